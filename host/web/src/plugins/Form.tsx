// A plugin's declarative form (host/runtime/src/form.rs), filled in by a person.
//
// The values are kept as the person typed them and checked on every change by the same
// rules the host applies (validate.ts), which also says which fields show and what the
// formulas come to. Problems show once a field has been left or a submit tried; the host's
// own answer (422 `invalid_form`, per field) replaces ours for the fields it names.

import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useId, useMemo, useRef, useState } from 'preact/hooks';
import { pick, strings } from '../i18n';
import { me } from '../session';
import { Button } from '../ui/kit';
import { rangeDays } from './dates';
import { explain, formErrors } from './errors';
import type { Values } from './formula';
import { groupOrg } from './lookups';
import { DepartmentSelect, FileField, GroupSelect, PersonPicker } from './pickers';
import type { FieldError, FormColumn, FormField, FormSchema } from './types';
import { normaliseValue, plainNumber, trimText, validateSubmission, type Checked } from './validate';
import './plugins.css';

const t = strings({
  submit: ['Submit', '提交'],
  cancel: ['Cancel', '取消'],
  choose: ['Choose…', '请选择…'],
  start: ['Start', '开始'],
  end: ['End', '结束'],
  day: ['{n} day', '共 {n} 天'],
  days: ['{n} days', '共 {n} 天'],
  addRow: ['Add row', '添加一行'],
  removeRow: ['Remove row {n}', '删除第 {n} 行'],
  row: ['Row {n}', '第 {n} 行'],
  noRows: ['No rows yet.', '还没有任何行。'],
  maxRows: ['At most {n} rows', '最多 {n} 行'],
  calculated: ['Calculated automatically', '自动计算'],
  fix: ['Some fields need attention.', '部分字段需要修改。'],
  uploading: ['Wait for the upload to finish.', '请等待文件上传完成。'],
});

// ---- Raw values: what the controls hold ----

/** A field's value as its control holds it, from a default in normalised JSON. */
function toRaw(field: FormColumn & { columns?: FormColumn[] }, v: unknown): unknown {
  switch (field.kind) {
    case 'checkbox':
      return v === true;
    case 'multi_select':
    case 'people':
      return Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [];
    case 'date_range': {
      const r = (v ?? {}) as { start?: unknown; end?: unknown };
      return { start: typeof r.start === 'string' ? r.start : '', end: typeof r.end === 'string' ? r.end : '' };
    }
    case 'table':
      return Array.isArray(v) ? v.map((row) => emptyRow(field.columns ?? [], row)) : [];
    case 'formula':
      return undefined;
    default:
      return typeof v === 'string' ? v : typeof v === 'number' ? plainNumber(v) : '';
  }
}

function emptyRow(columns: FormColumn[], from?: unknown): Values {
  const row: Values = {};
  const src = (from && typeof from === 'object' ? from : {}) as Values;
  for (const c of columns) if (c.kind !== 'formula') row[c.name] = toRaw(c, src[c.name]);
  return row;
}

function initialValues(form: FormSchema): Values {
  const raw: Values = {};
  for (const f of form.fields) {
    if (f.kind === 'formula') continue;
    raw[f.name] = toRaw(f, f.default);
    // A table that must have rows starts with as many empty ones as it needs.
    if (f.kind === 'table' && (raw[f.name] as Values[]).length === 0 && (f.required || (f.min ?? 0) > 0)) {
      const n = Math.min(Math.max(1, Math.ceil(f.min ?? 1)), 20);
      raw[f.name] = Array.from({ length: n }, () => emptyRow(f.columns ?? []));
    }
  }
  return raw;
}

/** What goes to the host: the visible fields a person can change, as typed (the host trims
 *  and normalises). Formulas are the host's to compute, hidden and read-only fields it
 *  drops anyway. */
export function submissionValues(form: FormSchema, raw: Values, visible: Record<string, boolean>): Values {
  const out: Values = {};
  for (const f of form.fields) {
    if (f.kind === 'formula' || f.read_only || visible[f.name] === false) continue;
    let v = raw[f.name];
    if (f.kind === 'table' && Array.isArray(v)) {
      const editable = (f.columns ?? []).filter((c) => c.kind !== 'formula').map((c) => c.name);
      v = v.map((row: Values) => Object.fromEntries(editable.map((n) => [n, row[n] ?? null])));
    }
    out[f.name] = v;
  }
  return out;
}

// ---- The form ----

interface Ctx {
  raw: Values;
  checked: Checked;
  set: (name: string, v: unknown) => void;
  touch: (path: string) => void;
  errorFor: (path: string) => string | null;
  busy: boolean;
  orgId: string | null;
  uploads: (delta: number) => void;
  uid: string;
}

const FormCtx = createContext<Ctx>(null as unknown as Ctx);

export interface PluginFormProps {
  form: FormSchema;
  /** Sends the values; a rejection with 422 `invalid_form` shows the host's per-field problems. */
  onSubmit: (values: Values) => Promise<unknown>;
  /** The button's label; the form's own `submit_label`, else "Submit". */
  submitLabel?: string;
  onCancel?: () => void;
  /** The group the form belongs to: `department` fields offer its organization's
   *  departments (in a shared group, the host organization's). */
  groupId?: string;
  /** Or the organization, when known; the reader's own when neither is given. */
  orgId?: string;
}

export function PluginForm({ form, onSubmit, submitLabel, onCancel, groupId, orgId }: PluginFormProps) {
  const uid = useId();
  const [raw, setRaw] = useState<Values>(() => initialValues(form));
  const [touched, setTouched] = useState<Set<string>>(() => new Set());
  const [attempted, setAttempted] = useState(false);
  const [serverErrors, setServerErrors] = useState<FieldError[]>([]);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState(0);
  const root = useRef<HTMLFormElement>(null);
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );

  const departmentOrg = useDepartmentOrg(form, groupId, orgId);
  const checked = useMemo(() => validateSubmission(form, raw), [form, raw]);
  const clientErrors = useMemo(() => {
    const m = new Map<string, FieldError>();
    for (const e of checked.errors) if (!m.has(e.field)) m.set(e.field, e);
    return m;
  }, [checked]);

  /** Whether a problem's path belongs to a control on screen. */
  const shownPath = (path: string) =>
    form.fields.some(
      (f) => f.kind !== 'formula' && !f.read_only && checked.visible[f.name] !== false && (path === f.name || (f.kind === 'table' && path.startsWith(`${f.name}[`) && /\]\.[^\]]+$/.test(path))),
    );

  const errorFor = (path: string): string | null => {
    const server = serverErrors.find((e) => e.field === path);
    if (server) return pick(server.message_en, server.message_zh);
    const client = clientErrors.get(path);
    return client && (attempted || touched.has(path)) ? pick(client.message_en, client.message_zh) : null;
  };

  const ctx: Ctx = {
    raw,
    checked,
    busy,
    orgId: departmentOrg,
    uid,
    set: (name, v) => {
      setRaw((r) => ({ ...r, [name]: v }));
      // The host's word on a field stands until the person changes that field.
      setServerErrors((errs) => errs.filter((e) => e.field !== name && !e.field.startsWith(`${name}[`)));
    },
    touch: (path) => setTouched((s) => (s.has(path) ? s : new Set(s).add(path))),
    errorFor,
    uploads: (d) => setPending((n) => n + d),
  };

  async function submit(e: Event) {
    e.preventDefault();
    if (busy || pending) return;
    setAttempted(true);
    setFailure(null);
    if (checked.errors.length) {
      focusFirstProblem();
      return;
    }
    setBusy(true);
    setServerErrors([]);
    try {
      await onSubmit(submissionValues(form, raw, checked.visible));
      // Sent: a form that stays (on a card, on a page) starts afresh rather than invite
      // the same submission twice.
      if (alive.current) {
        setRaw(initialValues(form));
        setTouched(new Set());
        setAttempted(false);
      }
    } catch (err) {
      if (!alive.current) return;
      const fields = formErrors(err);
      if (fields) {
        setServerErrors(fields);
        focusFirstProblem();
      } else {
        setFailure(err);
      }
    } finally {
      if (alive.current) setBusy(false);
    }
  }

  function focusFirstProblem() {
    // After the render that marks the fields.
    setTimeout(() => root.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
  }

  // Problems no control shows: the whole submission, unknown keys, a hidden field's.
  const general = [...serverErrors.filter((e) => !shownPath(e.field)), ...(attempted ? checked.errors.filter((e) => !shownPath(e.field)) : [])];
  const anyShown = attempted && (checked.errors.length > 0 || serverErrors.length > 0);

  return (
    <FormCtx.Provider value={ctx}>
      <form class="pf-form" ref={root} onSubmit={submit} noValidate>
        {form.fields.map((f) => (checked.visible[f.name] === false ? null : <FieldView key={f.name} field={f} />))}
        {anyShown && !general.length && <div class="pf-summary" role="status">{t('fix')}</div>}
        {general.length > 0 && (
          <ul class="pf-general error-note" role="alert">
            {general.map((e, i) => (
              <li key={i}>{pick(e.message_en, e.message_zh)}</li>
            ))}
          </ul>
        )}
        {failure != null && (
          <div class="error-note" role="alert">
            {explain(failure)}
          </div>
        )}
        <div class="pf-actions">
          {pending > 0 && <span class="muted small">{t('uploading')}</span>}
          {onCancel && (
            <Button variant="ghost" onClick={onCancel} disabled={busy}>
              {t('cancel')}
            </Button>
          )}
          <Button type="submit" variant="primary" busy={busy} disabled={pending > 0}>
            {submitLabel || form.submit_label || t('submit')}
          </Button>
        </div>
      </form>
    </FormCtx.Provider>
  );
}

/** The organization whose departments the form's `department` fields offer (looked up
 *  only when the form has one). */
function useDepartmentOrg(form: FormSchema, groupId?: string, orgId?: string): string | null {
  const needed = useMemo(() => form.fields.some((f) => f.kind === 'department' || (f.columns ?? []).some((c) => c.kind === 'department')), [form]);
  const [fromGroup, setFromGroup] = useState<string | null>(null);
  useEffect(() => {
    if (!needed || orgId || !groupId) return;
    let live = true;
    groupOrg(groupId).then(
      (o) => live && setFromGroup(o),
      () => live && setFromGroup(me.value?.org_id ?? null),
    );
    return () => {
      live = false;
    };
  }, [needed, groupId, orgId]);
  if (orgId) return orgId;
  return groupId ? fromGroup : (me.value?.org_id ?? null);
}

// ---- Fields ----

function Required() {
  return (
    <span class="required" aria-hidden="true">
      {' *'}
    </span>
  );
}

/** Label, help and error around a control, wired for assistive technology. */
function Shell({ field, id, error, group, children, extra }: { field: FormField; id: string; error: string | null; group?: boolean; children: ComponentChildren; extra?: ComponentChildren }) {
  const ctx = useContext(FormCtx);
  return (
    <div
      class={`field pf-field pf-kind-${field.kind}${error ? ' has-error' : ''}`}
      role={group ? 'group' : undefined}
      aria-labelledby={group ? `${id}-label` : undefined}
      onFocusOut={(e) => {
        // Left the field (not just moved within it): its problems may show now.
        const to = e.relatedTarget as Node | null;
        if (!to || !(e.currentTarget as HTMLElement).contains(to)) ctx.touch(field.name);
      }}
    >
      {group ? (
        <span class="field-label" id={`${id}-label`}>
          {field.label}
          {field.required && <Required />}
        </span>
      ) : (
        <label class="field-label" for={id}>
          {field.label}
          {field.required && <Required />}
        </label>
      )}
      {children}
      <div class="pf-under">
        {error ? (
          <span class="field-error" id={`${id}-error`}>
            {error}
          </span>
        ) : field.help ? (
          <span class="field-hint" id={`${id}-hint`}>
            {field.help}
          </span>
        ) : (
          <span />
        )}
        {extra}
      </div>
    </div>
  );
}

function FieldView({ field }: { field: FormField }) {
  const ctx = useContext(FormCtx);
  const id = `${ctx.uid}-${field.name}`;
  const error = ctx.errorFor(field.name);
  const describedBy = error ? `${id}-error` : field.help ? `${id}-hint` : undefined;
  const disabled = ctx.busy || !!field.read_only;
  // A read-only field shows what the host will use: its default.
  const value = field.read_only ? toRaw(field, field.default) : ctx.raw[field.name];
  const set = (v: unknown) => ctx.set(field.name, v);

  if (field.kind === 'formula') {
    const v = ctx.checked.values[field.name];
    return (
      <div class="field pf-field pf-kind-formula">
        <span class="field-label" id={`${id}-label`}>
          {field.label}
        </span>
        <output class="pf-formula" aria-labelledby={`${id}-label`} aria-live="polite">
          {formatComputed(v)}
        </output>
        <span class="field-hint">{field.help || t('calculated')}</span>
      </div>
    );
  }

  if (field.kind === 'checkbox') {
    return (
      <div class={`field pf-field pf-kind-checkbox${error ? ' has-error' : ''}`} onFocusOut={() => ctx.touch(field.name)}>
        <label class="pf-check">
          <input
            id={id}
            type="checkbox"
            checked={value === true}
            disabled={disabled}
            aria-invalid={!!error || undefined}
            aria-describedby={describedBy}
            onChange={(e) => set(e.currentTarget.checked)}
          />
          <span>
            {field.label}
            {field.required && <Required />}
          </span>
        </label>
        {error ? (
          <span class="field-error" id={`${id}-error`}>
            {error}
          </span>
        ) : (
          field.help && (
            <span class="field-hint" id={`${id}-hint`}>
              {field.help}
            </span>
          )
        )}
      </div>
    );
  }

  if (field.read_only) {
    return (
      <div class="field pf-field pf-readonly-field">
        <span class="field-label" id={`${id}-label`}>
          {field.label}
        </span>
        <div class="pf-readonly" role="group" aria-labelledby={`${id}-label`}>
          <ReadOnlyValue column={field} value={field.default} columns={field.columns} />
        </div>
        {field.help && <span class="field-hint">{field.help}</span>}
      </div>
    );
  }

  if (field.kind === 'table') {
    return (
      <Shell field={field} id={id} error={error} group extra={field.max != null && <span class="field-hint">{t('maxRows', { n: Math.floor(field.max) })}</span>}>
        <TableField field={field} rows={(value as Values[]) ?? []} set={set} disabled={disabled} id={id} />
      </Shell>
    );
  }

  const group = field.kind === 'date_range' || field.kind === 'multi_select' || field.kind === 'people';
  return (
    <Shell field={field} id={id} error={error} group={group} extra={<Extra field={field} value={value} />}>
      <Control column={field} placeholder={field.placeholder} value={value} onChange={set} id={id} invalid={!!error} describedBy={describedBy} disabled={disabled} />
    </Shell>
  );
}

/** What shows to the right under a control: a character count, a range's days. */
function Extra({ field, value }: { field: FormField; value: unknown }) {
  if ((field.kind === 'text' || field.kind === 'textarea') && field.max != null && typeof value === 'string') {
    const n = Array.from(trimText(value)).length;
    return <span class={`pf-count${n > field.max ? ' over' : ''}`}>{`${n}/${Math.floor(field.max)}`}</span>;
  }
  if (field.kind === 'date_range' && value && typeof value === 'object') {
    const r = value as { start: string; end: string };
    const n = rangeDays(r.start, r.end);
    if (n !== null) return <span class="field-hint">{t(n === 1 ? 'day' : 'days', { n })}</span>;
  }
  return null;
}

/** A value the person cannot change, as text (people as chips, files as links). */
function ReadOnlyValue({ column, value, columns }: { column: FormColumn; value: unknown; columns?: FormColumn[] }) {
  const empty = <span class="muted">—</span>;
  if (value === null || value === undefined || value === '' || (Array.isArray(value) && !value.length)) return empty;
  switch (column.kind) {
    case 'person':
    case 'people': {
      const ids = (Array.isArray(value) ? value : [value]).filter((x): x is string => typeof x === 'string');
      return <PersonPicker id="" ids={ids} multiple onChange={() => {}} disabled />;
    }
    case 'file':
      return typeof value === 'string' ? <FileField id="" value={value} onChange={() => {}} onBusy={() => {}} disabled /> : empty;
    case 'select':
      return <>{column.options?.find((o) => o.value === value)?.label ?? String(value)}</>;
    case 'multi_select':
      return <>{(value as string[]).map((v) => column.options?.find((o) => o.value === v)?.label ?? v).join(', ')}</>;
    case 'money': {
      const n = normaliseValue(column, value);
      return <>{typeof n === 'string' ? n : String(value)}</>;
    }
    case 'date_range': {
      const r = value as { start?: string; end?: string };
      return <>{`${r.start ?? ''} – ${r.end ?? ''}`}</>;
    }
    case 'checkbox':
      return <>{value === true ? '✓' : '✗'}</>;
    case 'table': {
      const rows = Array.isArray(value) ? (value as Values[]) : [];
      const cols = columns ?? [];
      return (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                {cols.map((c) => (
                  <th key={c.name}>{c.label}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr key={i}>
                  {cols.map((c) => (
                    <td key={c.name}>
                      <ReadOnlyValue column={c} value={row?.[c.name]} />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    }
    default:
      return <>{typeof value === 'number' ? plainNumber(value) : typeof value === 'string' ? value : JSON.stringify(value)}</>;
  }
}

function formatComputed(v: unknown): string {
  if (v === null || v === undefined) return '—';
  return typeof v === 'number' ? plainNumber(v) : String(v);
}

interface ControlProps {
  column: FormColumn;
  placeholder?: string | null;
  value: unknown;
  onChange: (v: unknown) => void;
  id: string;
  invalid: boolean;
  describedBy?: string;
  disabled: boolean;
  /** For controls inside a table cell, which have no label of their own. */
  label?: string;
}

/** The input for one value of any kind but table and formula (fields and table cells). */
function Control({ column, placeholder, value, onChange, id, invalid, describedBy, disabled, label }: ControlProps) {
  const ctx = useContext(FormCtx);
  const common = {
    id,
    disabled,
    'aria-label': label,
    'aria-invalid': invalid || undefined,
    'aria-describedby': describedBy,
  };
  const pickerA11y = { id, disabled, label, invalid, describedBy };
  const str = typeof value === 'string' ? value : '';
  const list = Array.isArray(value) ? (value as string[]) : [];
  switch (column.kind) {
    case 'textarea':
      return <textarea {...common} rows={4} placeholder={placeholder ?? undefined} value={str} onInput={(e) => onChange(e.currentTarget.value)} />;
    case 'number':
    case 'money':
      return (
        <input
          {...common}
          type="text"
          inputMode="decimal"
          autocomplete="off"
          class={column.kind === 'money' ? 'pf-money' : 'pf-number'}
          placeholder={placeholder ?? (column.kind === 'money' ? '0.00' : undefined)}
          value={str}
          onInput={(e) => onChange(e.currentTarget.value)}
          onBlur={() => {
            // Money reads back as the host will keep it: `12.5` becomes `12.50`.
            if (column.kind !== 'money') return;
            const n = normaliseValue(column, str);
            if (typeof n === 'string' && n !== str) onChange(n);
          }}
        />
      );
    case 'date':
      return <input {...common} type="date" value={str} onInput={(e) => onChange(e.currentTarget.value)} />;
    case 'datetime':
      return <input {...common} type="datetime-local" step={60} value={str} onInput={(e) => onChange(e.currentTarget.value)} />;
    case 'date_range': {
      const r = (value ?? { start: '', end: '' }) as { start: string; end: string };
      return (
        <div class="pf-range">
          <input {...common} type="date" aria-label={`${label ?? column.label} · ${t('start')}`} value={r.start} onInput={(e) => onChange({ ...r, start: e.currentTarget.value })} />
          <span aria-hidden="true">–</span>
          <input {...common} id={`${id}-end`} type="date" aria-label={`${label ?? column.label} · ${t('end')}`} value={r.end} min={r.start || undefined} onInput={(e) => onChange({ ...r, end: e.currentTarget.value })} />
        </div>
      );
    }
    case 'select':
      return (
        <select {...common} value={str} onChange={(e) => onChange(e.currentTarget.value)}>
          <option value="">{placeholder || t('choose')}</option>
          {(column.options ?? []).map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      );
    case 'multi_select':
      return (
        <div class={`pf-choices${invalid ? ' is-invalid' : ''}`} id={id} aria-describedby={describedBy}>
          {(column.options ?? []).map((o) => (
            <label key={o.value} class="pf-check">
              <input
                type="checkbox"
                disabled={disabled}
                checked={list.includes(o.value)}
                aria-invalid={invalid || undefined}
                // Kept in the options' order, whatever order they were ticked in.
                onChange={(e) => {
                  const on = e.currentTarget.checked;
                  const next = (column.options ?? []).map((x) => x.value).filter((v) => (v === o.value ? on : list.includes(v)));
                  onChange(next);
                }}
              />
              <span>{o.label}</span>
            </label>
          ))}
        </div>
      );
    case 'person':
      return <PersonPicker {...pickerA11y} ids={str ? [str] : []} multiple={false} placeholder={placeholder} onChange={(ids) => onChange(ids[0] ?? '')} />;
    case 'people':
      return <PersonPicker {...pickerA11y} ids={list} multiple max={column.max} placeholder={placeholder} onChange={onChange} />;
    case 'group':
      return <GroupSelect {...pickerA11y} value={str} onChange={onChange} />;
    case 'department':
      return <DepartmentSelect {...pickerA11y} value={str} orgId={ctx.orgId} onChange={onChange} />;
    case 'file':
      return <FileField {...pickerA11y} value={str} onChange={onChange} onBusy={ctx.uploads} />;
    case 'checkbox':
      return <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(e.currentTarget.checked)} />;
    default:
      return <input {...common} type="text" placeholder={placeholder ?? undefined} value={str} onInput={(e) => onChange(e.currentTarget.value)} />;
  }
}

/** A cell's problem without the "Items, row 3:" the host puts first: in the cell, the
 *  table and row go without saying. */
function inCell(message: string | null, table: string, i: number): string | null {
  if (!message) return null;
  for (const prefix of [`${table}, row ${i + 1}: `, `${table}第 ${i + 1} 行：`]) {
    if (message.startsWith(prefix)) return message.slice(prefix.length);
  }
  return message;
}

/** Rows of cells; formula columns show what they come to for their row. */
function TableField({ field, rows, set, disabled, id }: { field: FormField; rows: Values[]; set: (rows: Values[]) => void; disabled: boolean; id: string }) {
  const ctx = useContext(FormCtx);
  const columns = field.columns ?? [];
  const computed = (ctx.checked.values[field.name] ?? []) as Values[];
  const full = rows.length >= Math.min(field.max ?? 200, 200);
  const setCell = (i: number, name: string, v: unknown) => set(rows.map((r, j) => (j === i ? { ...r, [name]: v } : r)));

  return (
    <div class="pf-table-block">
      {rows.length > 0 ? (
        <div class="table-wrap">
          <table class="table pf-table">
            <thead>
              <tr>
                <th class="pf-rownum" aria-hidden="true" />
                {columns.map((c) => (
                  <th key={c.name} class={`pf-col-${c.kind}`}>
                    {c.label}
                    {c.required && <Required />}
                  </th>
                ))}
                {!disabled && <th class="pf-rowact" />}
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr key={i}>
                  <td class="pf-rownum">{i + 1}</td>
                  {columns.map((c) => {
                    const path = `${field.name}[${i}].${c.name}`;
                    const cellId = `${id}-${i}-${c.name}`;
                    if (c.kind === 'formula') {
                      return (
                        <td key={c.name} class="pf-cell pf-col-formula">
                          <output>{formatComputed(computed[i]?.[c.name])}</output>
                        </td>
                      );
                    }
                    const error = inCell(ctx.errorFor(path), field.label, i);
                    return (
                      <td key={c.name} class={`pf-cell pf-col-${c.kind}${error ? ' has-error' : ''}`} onFocusOut={() => ctx.touch(path)}>
                        <Control
                          column={c}
                          value={row[c.name]}
                          onChange={(v) => setCell(i, c.name, v)}
                          id={cellId}
                          label={`${c.label} · ${t('row', { n: i + 1 })}`}
                          invalid={!!error}
                          describedBy={error ? `${cellId}-error` : undefined}
                          disabled={disabled}
                        />
                        {error && (
                          <span class="field-error pf-cell-error" id={`${cellId}-error`}>
                            {error}
                          </span>
                        )}
                      </td>
                    );
                  })}
                  {!disabled && (
                    <td class="pf-rowact">
                      <button type="button" class="icon-btn" aria-label={t('removeRow', { n: i + 1 })} onClick={() => set(rows.filter((_, j) => j !== i))}>
                        ×
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <div class="pf-norows muted small">{t('noRows')}</div>
      )}
      {!disabled && (
        <Button small variant="ghost" class="pf-addrow" disabled={full} onClick={() => set([...rows, emptyRow(columns)])}>
          + {t('addRow')}
        </Button>
      )}
    </div>
  );
}
