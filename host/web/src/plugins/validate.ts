// A submission against a form, as the host checks it: a port of
// host/runtime/src/form/{values,submit,messages}.rs. The host validates every submission
// again and is the authority; this copy lets people see the same problems, worded the
// same way in both languages, before they press submit, and computes which fields show
// and what the formulas come to while they type.
//
// No DOM or i18n here: the tests run it in node.

import { parseDate, validDatetime } from './dates';
import { compute, references, tryParse, type Expr, type Values } from './formula';
import { compilePattern } from './pattern';
import type { FieldError, FieldKind, FormColumn, FormField, FormSchema, SelectOption } from './types';

export const MAX_TEXT = 1000;
export const MAX_TEXTAREA = 10_000;
export const MAX_PEOPLE = 100;
export const MAX_ROWS = 200;
export const MAX_MONEY_DIGITS = 15;
export const MAX_ERRORS = 100;

/** What a value must meet: the rules a field and a table column share. */
interface Spec {
  label: string;
  kind: FieldKind;
  required: boolean;
  min: number | null;
  max: number | null;
  /** Undefined: no pattern; null: one this client cannot check (the host will). */
  pattern: RegExp | null | undefined;
  patternMessage: string | null;
  options: SelectOption[];
}

function spec(f: FormColumn): Spec {
  return {
    label: f.label,
    kind: f.kind,
    required: !!f.required,
    min: f.min ?? null,
    max: f.max ?? null,
    pattern: f.pattern == null ? undefined : compilePattern(f.pattern),
    patternMessage: f.pattern_message ?? null,
    options: f.options ?? [],
  };
}

/** Why a value was refused. */
type Problem =
  | { p: 'required' | 'type' | 'chars' | 'pattern' | 'precision' | 'huge' | 'date' | 'date_order' | 'incomplete' | 'not_an_option' | 'duplicate' }
  | { p: 'too_short' | 'too_long' | 'too_small' | 'too_large' | 'days_too_few' | 'days_too_many' | 'too_few' | 'too_many'; n: number };

class Refused {
  constructor(public problem: Problem) {}
}

const fail = (problem: Problem): never => {
  throw new Refused(problem);
};

// ---- Messages (messages.rs) ----

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);
const atLeast = (min: number) => Math.max(Math.ceil(min), 0);
const atMost = (max: number) => Math.max(Math.floor(max), 0);

/** A float as Rust's `Display` writes it: shortest digits, never an exponent. */
export function plainNumber(x: number): string {
  const s = String(x);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, first, rest = '', e] = m;
  const digits = first + rest;
  const point = 1 + Number(e);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** A number or money bound as people write it: `100000`, `0.5`, money as `12.50`. */
function bound(b: number, kind: FieldKind): string {
  return kind === 'money' && !Number.isInteger(b) ? b.toFixed(2) : plainNumber(b);
}

function malformed(kind: FieldKind): [string, string] {
  switch (kind) {
    case 'text':
    case 'textarea':
      return ['must be text', '必须是文字'];
    case 'number':
      return ['must be a number', '必须是数字'];
    case 'money':
      return ['must be an amount such as 12.50', '必须是金额，例如 12.50'];
    case 'date':
    case 'date_range':
    case 'datetime':
      return ['must be a valid date', '必须是有效的日期'];
    case 'select':
    case 'multi_select':
      return ['must be chosen from the listed options', '必须从列表中选择'];
    case 'person':
    case 'people':
      return ['must name people in the directory', '必须选择人员'];
    case 'group':
      return ['must be a group', '必须选择群组'];
    case 'department':
      return ['must be a department', '必须选择部门'];
    case 'file':
      return ['must be an uploaded file', '必须是已上传的文件'];
    case 'checkbox':
      return ['must be checked or unchecked', '只能勾选或不勾选'];
    case 'table':
      return ['must be a list of rows', '必须是若干行'];
    case 'formula':
      return ['is calculated and cannot be filled in', '由公式自动计算，不能填写'];
  }
}

function things(kind: FieldKind): [string, string, string] {
  if (kind === 'people') return ['person', 'people', '人'];
  if (kind === 'table') return ['row', 'rows', '行'];
  return ['choice', 'choices', '项'];
}

/** A problem's stable code and its message in English and Chinese. */
function describe(problem: Problem, s: Spec): [code: string, en: string, zh: string] {
  const l = s.label;
  const kind = s.kind;
  switch (problem.p) {
    case 'required':
      return kind === 'checkbox' ? ['required', `${l} must be checked`, `请勾选“${l}”`] : ['required', `${l} is required`, `${l}不能为空`];
    case 'type': {
      const [en, zh] = malformed(kind);
      return ['type', `${l} ${en}`, `${l}${zh}`];
    }
    case 'chars':
      return kind === 'text'
        ? ['type', `${l} must be a single line without control characters`, `${l}只能是单行文字，且不能包含控制字符`]
        : ['type', `${l} contains characters that are not allowed`, `${l}包含不允许的字符`];
    case 'too_short': {
      const n = atLeast(problem.n);
      return ['too_short', `${l} must be at least ${n} ${plural(n, 'character', 'characters')}`, `${l}至少需要 ${n} 个字符`];
    }
    case 'too_long': {
      const n = atMost(problem.n);
      return ['too_long', `${l} must be at most ${n} ${plural(n, 'character', 'characters')}`, `${l}不能超过 ${n} 个字符`];
    }
    case 'pattern':
      return s.patternMessage && s.patternMessage.trim()
        ? ['pattern', s.patternMessage, s.patternMessage]
        : ['pattern', `${l} is not in the expected format`, `${l}的格式不正确`];
    case 'too_small':
      return ['too_small', `${l} must be at least ${bound(problem.n, kind)}`, `${l}不能小于 ${bound(problem.n, kind)}`];
    case 'too_large':
      return ['too_large', `${l} must be at most ${bound(problem.n, kind)}`, `${l}不能大于 ${bound(problem.n, kind)}`];
    case 'precision':
      return ['type', `${l} can have at most two decimal places`, `${l}最多保留两位小数`];
    case 'huge':
      return ['too_large', `${l} is too large`, `${l}的数值过大`];
    case 'date':
      return kind === 'datetime'
        ? ['date', `${l} must be a valid date and time (YYYY-MM-DDTHH:MM)`, `${l}必须是有效的日期和时间（YYYY-MM-DDTHH:MM）`]
        : ['date', `${l} must be a valid date (YYYY-MM-DD)`, `${l}必须是有效的日期（YYYY-MM-DD）`];
    case 'incomplete':
      return ['date', `${l} needs both a start and an end date`, `${l}需要填写开始日期和结束日期`];
    case 'date_order':
      return ['date_order', `The end of ${l} cannot be before its start`, `${l}的结束日期不能早于开始日期`];
    case 'days_too_few': {
      const n = atLeast(problem.n);
      return ['too_small', `${l} must span at least ${n} ${plural(n, 'day', 'days')}`, `${l}至少为 ${n} 天`];
    }
    case 'days_too_many': {
      const n = atMost(problem.n);
      return ['too_large', `${l} can span at most ${n} ${plural(n, 'day', 'days')}`, `${l}最多为 ${n} 天`];
    }
    case 'not_an_option':
      return ['option', `${l}: choose from the listed options`, `${l}：请从列表中选择`];
    case 'duplicate':
      return ['type', `${l} lists the same choice more than once`, `${l}中有重复的选择`];
    case 'too_few': {
      const n = atLeast(problem.n);
      const [one, many, zh] = things(kind);
      return ['too_small', `${l} needs at least ${n} ${plural(n, one, many)}`, `${l}至少需要 ${n} ${zh}`];
    }
    case 'too_many': {
      const n = atMost(problem.n);
      const [one, many, zh] = things(kind);
      return ['too_many', `${l} can have at most ${n} ${plural(n, one, many)}`, `${l}最多 ${n} ${zh}`];
    }
  }
}

// ---- One value (values.rs) ----

const isObject = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: object, key: string): unknown => (Object.prototype.hasOwnProperty.call(o, key) ? (o as Values)[key] : undefined);

/** Rust's `str::trim`: Unicode White_Space at both ends. */
export function trimText(s: string): string {
  return s.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '');
}

const charCount = (s: string) => Array.from(s).length;

/** A string value trimmed, null when blank. */
function string(raw: unknown): string | null {
  if (typeof raw !== 'string') return fail({ p: 'type' });
  const s = trimText(raw);
  return s === '' ? null : s;
}

/** The host's id alphabet: 1 to 64 of `[A-Za-z0-9_-]`. */
const isId = (s: string) => /^[A-Za-z0-9_-]{1,64}$/.test(s);

/**
 * Validates and normalises a value of any kind but `table`, applying `required`. Missing
 * values come back as null (a checkbox as false). Throws Refused.
 */
function cell(s: Spec, raw: unknown): unknown {
  const v = value(s, raw);
  if (v === undefined) {
    if (s.required) fail({ p: 'required' });
    return s.kind === 'checkbox' ? false : null;
  }
  // A required checkbox is a consent: it has to be ticked.
  if (v === false && s.required && s.kind === 'checkbox') fail({ p: 'required' });
  return v;
}

/** undefined when nothing was given: null, blank text, an empty list. */
function value(s: Spec, raw: unknown): unknown {
  if (raw === null || raw === undefined) return undefined;
  switch (s.kind) {
    case 'text':
    case 'textarea':
      return text(s, raw);
    case 'number':
      return number(s, raw);
    case 'money':
      return money(s, raw);
    case 'date': {
      const d = string(raw);
      if (d === null) return undefined;
      return parseDate(d) !== null ? d : fail({ p: 'date' });
    }
    case 'datetime': {
      const d = string(raw);
      if (d === null) return undefined;
      return validDatetime(d) ? d : fail({ p: 'date' });
    }
    case 'date_range':
      return dateRange(s, raw);
    case 'select':
      if (typeof raw !== 'string') return fail({ p: 'type' });
      if (raw === '') return undefined;
      return s.options.some((o) => o.value === raw) ? raw : fail({ p: 'not_an_option' });
    case 'multi_select': {
      const items = list(s, raw, Infinity);
      if (items === null) return undefined;
      if (items.some((x) => !s.options.some((o) => o.value === x))) fail({ p: 'not_an_option' });
      return raw;
    }
    case 'person':
    case 'group':
    case 'file':
    case 'department':
      if (typeof raw !== 'string') return fail({ p: 'type' });
      if (raw === '') return undefined;
      return isId(raw) ? raw : fail({ p: 'type' });
    case 'people': {
      const ids = list(s, raw, MAX_PEOPLE);
      if (ids === null) return undefined;
      if (!ids.every(isId)) fail({ p: 'type' });
      return raw;
    }
    case 'checkbox':
      return typeof raw === 'boolean' ? raw : fail({ p: 'type' });
    // Tables are walked by the caller; formulas are computed, never taken from a person.
    case 'table':
    case 'formula':
      return fail({ p: 'type' });
  }
}

function text(s: Spec, raw: unknown): string | undefined {
  const t = string(raw);
  if (t === null) return undefined;
  const multiline = s.kind === 'textarea';
  if (multiline ? /[^\P{Cc}\n\r\t]/u.test(t) : /\p{Cc}/u.test(t)) fail({ p: 'chars' });
  const cap = multiline ? MAX_TEXTAREA : MAX_TEXT;
  const len = charCount(t);
  if (s.min !== null && len < s.min) fail({ p: 'too_short', n: s.min });
  const max = s.max === null ? cap : Math.min(s.max, cap);
  if (len > max) fail({ p: 'too_long', n: max });
  // null: a pattern this client cannot check; the host will.
  if (s.pattern && !s.pattern.test(t)) fail({ p: 'pattern' });
  return t;
}

/** Rust's `f64::from_str` grammar (infinities and NaN are refused as not finite anyway). */
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function number(s: Spec, raw: unknown): number | undefined {
  let x: number;
  if (typeof raw === 'number') {
    x = raw;
  } else if (typeof raw === 'string') {
    const t = string(raw);
    if (t === null) return undefined;
    if (!FLOAT.test(t)) fail({ p: 'type' });
    x = Number(t);
  } else {
    return fail({ p: 'type' });
  }
  if (!Number.isFinite(x)) fail({ p: 'type' });
  if (s.min !== null && x < s.min) fail({ p: 'too_small', n: s.min });
  if (s.max !== null && x > s.max) fail({ p: 'too_large', n: s.max });
  return x;
}

/** `-?digits(.d{1,2})?` in integer cents, exactly. Throws Refused. */
function parseMoney(s: string): bigint {
  const negative = s.startsWith('-');
  const unsigned = negative ? s.slice(1) : s;
  const dot = unsigned.indexOf('.');
  const int = dot < 0 ? unsigned : unsigned.slice(0, dot);
  const frac = dot < 0 ? '00' : unsigned.slice(dot + 1);
  const digits = (t: string) => /^[0-9]+$/.test(t);
  if (!digits(int) || !digits(frac)) fail({ p: 'type' });
  if (frac.length > 2) fail({ p: 'precision' });
  const significant = int.replace(/^0+/, '');
  if (significant.length > MAX_MONEY_DIGITS) fail({ p: 'huge' });
  const cents = BigInt(significant || '0') * 100n + BigInt(frac.length === 1 ? frac + '0' : frac);
  return negative ? -cents : cents;
}

/** A money bound in cents, if it is an amount money can hold. */
export function moneyBound(b: number): bigint | null {
  if (!Number.isFinite(b)) return null;
  try {
    return parseMoney(plainNumber(b));
  } catch {
    return null;
  }
}

function money(s: Spec, raw: unknown): string | undefined {
  let cents: bigint;
  if (typeof raw === 'number') {
    // Beyond this a float prints in exponent form, which we would call malformed.
    if (Math.abs(raw) >= 1e15) fail({ p: 'huge' });
    cents = parseMoney(String(raw));
  } else if (typeof raw === 'string') {
    const t = string(raw);
    if (t === null) return undefined;
    cents = parseMoney(t);
  } else {
    return fail({ p: 'type' });
  }
  const below = (b: number) => {
    const c = moneyBound(b);
    return c === null ? Number(cents) / 100 < b : cents < c;
  };
  const above = (b: number) => {
    const c = moneyBound(b);
    return c === null ? Number(cents) / 100 > b : cents > c;
  };
  if (s.min !== null && below(s.min)) fail({ p: 'too_small', n: s.min });
  if (s.max !== null && above(s.max)) fail({ p: 'too_large', n: s.max });
  const abs = cents < 0n ? -cents : cents;
  return `${cents < 0n ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

function dateRange(s: Spec, raw: unknown): { start: string; end: string } | undefined {
  if (!isObject(raw)) return fail({ p: 'type' });
  if (Object.keys(raw).some((k) => k !== 'start' && k !== 'end')) fail({ p: 'type' });
  const end = (key: string) => {
    const v = own(raw, key);
    return v === null || v === undefined ? null : string(v);
  };
  const a = end('start');
  const b = end('end');
  if (a === null && b === null) return undefined;
  if (a === null || b === null) return fail({ p: 'incomplete' });
  const from = parseDate(a);
  const to = parseDate(b);
  if (from === null || to === null) return fail({ p: 'date' });
  if (from > to) fail({ p: 'date_order' });
  const days = to - from + 1;
  if (s.min !== null && days < s.min) fail({ p: 'days_too_few', n: s.min });
  if (s.max !== null && days > s.max) fail({ p: 'days_too_many', n: s.max });
  return { start: a, end: b };
}

/** A list of distinct strings within the count bounds; null when empty. */
function list(s: Spec, raw: unknown, cap: number): string[] | null {
  if (!Array.isArray(raw)) return fail({ p: 'type' });
  if (raw.length === 0) return null;
  if (raw.length > cap) fail({ p: 'too_many', n: cap });
  if (!raw.every((x) => typeof x === 'string')) fail({ p: 'type' });
  if (new Set(raw).size !== raw.length) fail({ p: 'duplicate' });
  count(s, raw.length);
  return raw as string[];
}

/** Checks a count of choices, people or rows against `min`/`max`. */
function count(s: Spec, n: number) {
  if (s.min !== null && n < s.min) fail({ p: 'too_few', n: s.min });
  if (s.max !== null && n > s.max) fail({ p: 'too_many', n: s.max });
}

// ---- A submission (submit.rs) ----

/** Collects errors up to MAX_ERRORS, each with its field's position in the form. */
class Errors {
  list: [number, FieldError][] = [];
  at = 0;

  full() {
    return this.list.length >= MAX_ERRORS;
  }

  push(e: FieldError) {
    if (!this.full()) this.list.push([this.at, e]);
  }

  /** The errors in the order of the form's fields (a stable sort). */
  sorted(): FieldError[] {
    return [...this.list].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
  }

  /** A problem with a field, or with a cell: `[row index, column name, table label]`. */
  problem(field: string, row: [number, string, string] | null, p: Problem, s: Spec) {
    const [code, en, zh] = describe(p, s);
    if (!row) {
      this.push({ field, code, message_en: en, message_zh: zh });
    } else {
      const [i, column, table] = row;
      this.push({ field: `${field}[${i}].${column}`, code, message_en: `${table}, row ${i + 1}: ${en}`, message_zh: `${table}第 ${i + 1} 行：${zh}` });
    }
  }

  unknown(path: string, key: string) {
    const shown = Array.from(key).slice(0, 64).join('');
    this.push({ field: path, code: 'unknown_field', message_en: `“${shown}” is not a field of this form`, message_zh: `“${shown}”不是此表单的字段` });
  }
}

const parsedCache = new Map<string, Expr | null>();

/** The parsed formula of a `formula` field or column, if it parses. Validation runs on
 *  every keystroke, so each expression is parsed once. */
function parsed(f: FormColumn): Expr | null {
  if (f.kind !== 'formula' || !f.formula) return null;
  const src = f.formula.expression;
  if (!parsedCache.has(src)) {
    if (parsedCache.size > 500) parsedCache.clear();
    parsedCache.set(src, tryParse(src));
  }
  return parsedCache.get(src)!;
}

/** Fields in validation order: each after the field its condition names and the fields its
 *  formula uses, otherwise as declared; fields on a loop last (the host refuses those). */
export function evaluationOrder(fields: FormField[], exprs: (Expr | null)[]): number[] {
  const index = (name: string) => {
    const i = fields.findIndex((f) => f.name === name);
    return i < 0 ? [] : [i];
  };
  const needs = fields.map((f, i) => {
    const out: number[] = f.visible_when ? index(f.visible_when.field) : [];
    const e = exprs[i];
    if (e) for (const r of references(e)) out.push(...index(r.name));
    return out;
  });
  const done = fields.map(() => false);
  const order: number[] = [];
  for (;;) {
    const i = fields.findIndex((_, i) => !done[i] && needs[i].every((j) => done[j]));
    if (i < 0) break;
    done[i] = true;
    order.push(i);
  }
  fields.forEach((_, i) => !done[i] && order.push(i));
  return order;
}

/** How a condition sees a number: `5`, `2.5`, never `5.0`. */
function numberText(x: number): string {
  return plainNumber(x);
}

/** Whether a field shows, given the value of the field its condition names. */
function met(values: string[], other: unknown): boolean {
  const listed = (s: string) => values.includes(s);
  if (other === null || other === undefined) return listed('');
  if (typeof other === 'string') return listed(other);
  if (typeof other === 'boolean') return listed(other ? 'true' : 'false');
  if (typeof other === 'number') return listed(numberText(other));
  if (Array.isArray(other)) return other.some((v) => typeof v === 'string' && listed(v));
  return false;
}

export interface Checked {
  /** Every problem, in the order of the form's fields, as the host would report them. */
  errors: FieldError[];
  /**
   * The normalised values as the host would give the plugin: one key per visible, editable
   * field, and the computed value of each visible formula field (and formula column, in each
   * table row). On an error a field keeps what was sent.
   */
  values: Values;
  /** Whether each field shows now (by name). */
  visible: Record<string, boolean>;
}

/**
 * Checks a submission against a form and normalises it: text trimmed, money as `"1234.50"`,
 * numeric strings as numbers. Fields hidden by `visible_when` and read-only fields are
 * dropped; formulas are computed from the normalised values.
 */
export function validateSubmission(form: FormSchema, submitted: unknown): Checked {
  if (!isObject(submitted)) {
    return {
      errors: [{ field: '', code: 'type', message_en: 'The form was not submitted correctly', message_zh: '表单提交的格式不正确' }],
      values: {},
      visible: {},
    };
  }
  const fields = form.fields;
  const errors = new Errors();
  const out: (unknown | undefined)[] = fields.map(() => undefined);
  // What each field's condition sees, and what formulas see.
  const seen = new Map<string, unknown>();
  const inputs: Values = {};
  const visibleByName: Record<string, boolean> = {};
  const exprs = fields.map(parsed);
  for (const i of evaluationOrder(fields, exprs)) {
    if (errors.full()) break;
    errors.at = i;
    const field = fields[i];
    const name = field.name;
    const cond = field.visible_when;
    const visible = !cond || met(cond.values, seen.get(cond.field) ?? null);
    visibleByName[name] = visible;
    if (field.kind === 'formula') {
      const expr = exprs[i];
      const v = visible && expr && field.formula ? compute(expr, field.formula.result, inputs) : null;
      seen.set(name, v);
      if (visible) {
        inputs[name] = v;
        out[i] = v;
      }
      continue;
    }
    if (field.read_only) {
      // The person could not change it, so conditions see what they were shown.
      const shown = field.default == null ? null : fieldValue(field, field.default, new Errors());
      if (visible) inputs[name] = shown;
      seen.set(name, shown);
      continue;
    }
    if (!visible) {
      seen.set(name, null);
      continue;
    }
    const raw = own(submitted, name) ?? null;
    const v = fieldValue(field, raw, errors);
    // Conditions may not refer to tables.
    if (field.kind !== 'table') seen.set(name, v);
    inputs[name] = v;
    out[i] = v;
  }
  errors.at = Number.MAX_SAFE_INTEGER;
  for (const key of Object.keys(submitted)) {
    if (errors.full()) break;
    if (!fields.some((f) => f.name === key)) errors.unknown(Array.from(key).slice(0, 64).join(''), key);
  }
  const values: Values = {};
  fields.forEach((f, i) => {
    if (out[i] !== undefined) values[f.name] = out[i];
  });
  return { errors: errors.sorted(), values, visible: visibleByName };
}

/** One field's normalised value; on error, the raw value (conditions still compare it). */
function fieldValue(field: FormField, raw: unknown, errors: Errors): unknown {
  const s = spec(field);
  if (field.kind === 'table') return table(field, s, raw, errors);
  try {
    return cell(s, raw);
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    errors.problem(field.name, null, e.problem, s);
    return raw;
  }
}

function table(field: FormField, s: Spec, raw: unknown, errors: Errors): unknown {
  const name = field.name;
  let rows: unknown[];
  if (raw === null || raw === undefined) rows = [];
  else if (Array.isArray(raw)) rows = raw;
  else {
    errors.problem(name, null, { p: 'type' }, s);
    return raw;
  }
  if (rows.length === 0) {
    if (s.required) errors.problem(name, null, { p: 'required' }, s);
    return null;
  }
  if (rows.length > MAX_ROWS) {
    errors.problem(name, null, { p: 'too_many', n: MAX_ROWS }, s);
    return raw;
  }
  try {
    count(s, rows.length);
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    errors.problem(name, null, e.problem, s);
  }
  const columns = field.columns ?? [];
  const specs = columns.map(spec);
  const exprs = columns.map(parsed);
  const result: Values[] = [];
  for (const [i, row] of rows.entries()) {
    if (errors.full()) break;
    if (!isObject(row)) {
      errors.push({
        field: `${name}[${i}]`,
        code: 'type',
        message_en: `${s.label}, row ${i + 1}, was not submitted correctly`,
        message_zh: `${s.label}第 ${i + 1} 行的格式不正确`,
      });
      continue;
    }
    const normal: Values = {};
    columns.forEach((column, c) => {
      if (column.kind === 'formula') return;
      try {
        normal[column.name] = cell(specs[c], own(row, column.name) ?? null);
      } catch (e) {
        if (!(e instanceof Refused)) throw e;
        errors.problem(name, [i, column.name, s.label], e.problem, specs[c]);
      }
    });
    // Formulas last: one may use any other column and the formula columns before it.
    columns.forEach((column, c) => {
      if (column.kind !== 'formula') return;
      const expr = exprs[c];
      normal[column.name] = expr && column.formula ? compute(expr, column.formula.result, normal) : null;
    });
    for (const key of Object.keys(row)) {
      if (!columns.some((c) => c.name === key)) {
        errors.unknown(`${name}[${i}].${Array.from(key).slice(0, 64).join('')}`, key);
      }
    }
    result.push(normal);
  }
  return result;
}

/** A value as the host would normalise it (money as `12.50`, text trimmed), or undefined
 *  when it is empty or refused. For tidying an input once the person leaves it. */
export function normaliseValue(column: FormColumn, raw: unknown): unknown {
  try {
    const v = value({ ...spec(column), required: false }, raw);
    return v === null ? undefined : v;
  } catch (e) {
    if (e instanceof Refused) return undefined;
    throw e;
  }
}
