// Wire types of plugin surfaces, as the host serialises them:
// cards: host/runtime/src/card.rs (`to_json`), forms: host/runtime/src/form.rs (`Form`,
// every key present), replies: host/src/app/plugins.rs (`PluginReply`) and
// host/src/app/plugins/surfaces.rs (`IssuedForm`, `PageView`).

import type { Message } from '../types';

export type Tone = 'neutral' | 'info' | 'success' | 'warning' | 'danger';

export interface CardButton {
  action_id: string;
  label: string;
  /** `default`, `primary` or `danger`. */
  style: string;
  value: string;
  /** A question to confirm before the press counts. */
  confirm: string | null;
}

export interface TimelineEntry {
  at_ms: number;
  title: string;
  detail: string;
  tone: Tone;
}

export type CardBlock =
  | { type: 'text'; text: string }
  | { type: 'fields'; fields: { label: string; value: string }[] }
  | { type: 'badge'; text: string; tone: Tone }
  | { type: 'table'; columns: string[]; rows: string[][] }
  | { type: 'image'; url: string }
  | { type: 'buttons'; buttons: CardButton[] }
  | { type: 'divider' }
  | { type: 'people'; people: { id: string; display_name: string }[] }
  /** On a page the host adds the `token` that lets the reader submit the form. */
  | { type: 'form'; form: FormSchema; token?: string }
  | { type: 'timeline'; entries: TimelineEntry[] };

export interface Card {
  title: string;
  blocks: CardBlock[];
}

export type FieldKind =
  | 'text'
  | 'textarea'
  | 'number'
  | 'money'
  | 'date'
  | 'date_range'
  | 'datetime'
  | 'select'
  | 'multi_select'
  | 'person'
  | 'people'
  | 'group'
  | 'file'
  | 'checkbox'
  | 'table'
  | 'department'
  | 'formula';

export interface SelectOption {
  value: string;
  label: string;
}

export interface Condition {
  field: string;
  values: string[];
}

export interface FormulaSpec {
  expression: string;
  /** `number`, or `money` (two decimals as a string like `12.50`). */
  result: 'number' | 'money';
}

/** A column of a `table` field. */
export interface FormColumn {
  name: string;
  label: string;
  kind: FieldKind;
  required?: boolean;
  min?: number | null;
  max?: number | null;
  pattern?: string | null;
  pattern_message?: string | null;
  options?: SelectOption[];
  formula?: FormulaSpec | null;
}

export interface FormField extends FormColumn {
  placeholder?: string | null;
  help?: string | null;
  default?: unknown;
  visible_when?: Condition | null;
  columns?: FormColumn[];
  /** Shown with its default but never taken from a submission. */
  read_only?: boolean;
}

export interface FormSchema {
  /** Passed back as the action id on submit. */
  id: string;
  title: string;
  submit_label?: string;
  value?: string;
  fields: FormField[];
}

/** A form handed to one person, with the token that lets them submit it (24 h). */
export interface IssuedForm {
  form: FormSchema;
  token: string;
}

/** What running a command, pressing a button or submitting a form produced. */
export interface PluginReply {
  /** Text only the caller sees. */
  ephemeral?: string | null;
  /** The message posted or updated, if any. */
  message?: Message | null;
  /** A form for the caller to fill in, with the token to submit it. */
  form?: IssuedForm | null;
}

/** One problem with a submitted value (`body.fields` of a 422 `invalid_form`). */
export interface FieldError {
  /** The field's name, or a path into a table such as `items[2].amount`; '' for the form. */
  field: string;
  code: string;
  message_en: string;
  message_zh: string;
}

export interface PageView {
  plugin_id: string;
  title: string;
  cards: Card[];
}
