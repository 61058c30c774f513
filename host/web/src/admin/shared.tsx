// Pieces every admin page uses: which organization is managed, loading with states, the
// confirmation dialog, people's names, badges, switches and wording shared across pages.

import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { computed, signal } from '@preact/signals';
import { api } from '../api';
import { openProfile } from '../directory/profile';
import { formatDateTime, lang, strings } from '../i18n';
import { isPlatformAdmin, me } from '../session';
import type { Org, Person } from '../types';
import { Avatar, Badge, Button, Field, Modal } from '../ui/kit';
import type { Problem } from './logic';
import './admin.css';

export const tc = strings({
  cancel: ['Cancel', '取消'],
  save: ['Save changes', '保存更改'],
  saved: ['Changes saved', '已保存更改'],
  create: ['Create', '创建'],
  edit: ['Edit', '编辑'],
  confirm: ['Confirm', '确认'],
  refresh: ['Refresh', '刷新'],
  close: ['Close', '关闭'],
  all: ['All', '全部'],
  none: ['None', '无'],
  yes: ['Yes', '是'],
  no: ['No', '否'],
  actions: ['Actions', '操作'],
  name: ['Name', '名称'],
  created: ['Created', '创建时间'],
  unknownPerson: ['Unknown person', '未知人员'],
  required: ['Required', '必填'],
  tooLong: ['Too long', '内容过长'],
  invalidEmail: ['Enter a valid email address, like name@company.com', '请输入有效的邮箱地址，例如 name@company.com'],
  weakPassword: ['At least 10 characters', '至少 10 个字符'],
  invalidSlug: ['2–48 lowercase letters, digits and inner dashes', '2–48 个小写字母、数字或中间的短横线'],
  mismatch: ['The two entries differ', '两次输入不一致'],
  typeToConfirm: ['Type {word} to confirm', '输入 {word} 以确认'],
  roleplatform_admin: ['Platform admin', '平台管理员'],
  roleorg_admin: ['Org admin', '组织管理员'],
  rolemember: ['Member', '成员'],
  roleguest: ['Guest', '访客'],
  statusactive: ['Active', '正常'],
  statusdisabled: ['Disabled', '已停用'],
  statusinvited: ['Invited', '已邀请'],
  kinddepartment: ['Department', '部门'],
  kindteam: ['Team', '团队'],
  kindinterest: ['Interest group', '兴趣群'],
  kindannouncement: ['Announcement channel', '公告频道'],
  kindshared: ['Shared group', '外部共享群'],
  kinddirect: ['Direct message', '私聊'],
  copy: ['Copy', '复制'],
  copied: ['Copied', '已复制'],
});

// ---------------------------------------------------------------------------------------
// The organization being managed

const ORG_KEY = 'courtyard.admin.org';

function savedOrg(): string | null {
  try {
    return localStorage.getItem(ORG_KEY);
  } catch {
    return null;
  }
}

/** Organizations the admin can manage (all of them, for platform admins). */
export const orgs = signal<Org[] | null>(null);
export const orgsError = signal<unknown>(null);
const chosenOrg = signal<string | null>(savedOrg());

/** The organization the console manages: the admin's own, or a platform admin's pick. */
export const managedOrgId = computed<string | null>(() => {
  const mine = me.value?.org_id ?? null;
  if (!isPlatformAdmin.value) return mine;
  const list = orgs.value;
  const chosen = chosenOrg.value;
  if (chosen && (!list || list.some((o) => o.id === chosen))) return chosen;
  return mine ?? list?.[0]?.id ?? null;
});

export const managedOrg = computed<Org | null>(() => orgs.value?.find((o) => o.id === managedOrgId.value) ?? null);

export function chooseOrg(id: string) {
  chosenOrg.value = id;
  try {
    localStorage.setItem(ORG_KEY, id);
  } catch {
    /* storage may be blocked */
  }
}

export async function loadOrgs(): Promise<void> {
  try {
    orgs.value = await api.get<Org[]>('/api/v1/orgs');
    orgsError.value = null;
  } catch (e) {
    orgsError.value = e;
  }
}

/** Replaces (or adds) one organization in the list after a change. */
export function putOrg(org: Org) {
  const list = orgs.value ?? [];
  orgs.value = list.some((o) => o.id === org.id) ? list.map((o) => (o.id === org.id ? org : o)) : [...list, org].sort((a, b) => a.name.localeCompare(b.name));
}

// ---------------------------------------------------------------------------------------
// Loading

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  set: (v: T) => void;
}

/** Runs `load` when `deps` change (and on `reload`); a stale answer never lands. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ctrl = new AbortController();
    setLoading(true);
    setError(null);
    load(ctrl.signal).then(
      (v) => {
        if (ctrl.signal.aborted) return;
        setData(v);
        setLoading(false);
      },
      (e) => {
        if (ctrl.signal.aborted) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => ctrl.abort();
  }, [...deps, tick]);
  return { data, error, loading, reload: () => setTick((n) => n + 1), set: setData };
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ---------------------------------------------------------------------------------------
// People's names, looked up once

const people = signal<Record<string, Person | null>>({});
const pending = new Set<string>();

export function rememberPeople(list: Person[]) {
  const next = { ...people.value };
  for (const p of list) next[p.id] = p;
  people.value = next;
}

export function knownPerson(id: string | null | undefined): Person | null | undefined {
  return id ? people.value[id] : undefined;
}

/** Looks up the people not known yet (`null` once a lookup fails). */
export function usePeople(ids: (string | null | undefined)[]) {
  const wanted = ids.filter((id): id is string => !!id && !(id in people.value) && !pending.has(id));
  const key = [...new Set(wanted)].sort().join(',');
  useEffect(() => {
    if (!key) return;
    const list = key.split(',');
    list.forEach((id) => pending.add(id));
    void pool(list, 6, async (id) => {
      try {
        return [id, await api.get<Person>(`/api/v1/people/${encodeURIComponent(id)}`)] as const;
      } catch {
        return [id, null] as const;
      }
    }).then((found) => {
      const next = { ...people.value };
      for (const [id, p] of found) {
        next[id] = p;
        pending.delete(id);
      }
      people.value = next;
    });
  }, [key]);
}

/** A person's avatar and name; opens their profile card. */
export function PersonChip({ id, name, sub }: { id: string; name?: string; sub?: ComponentChildren }) {
  const known = people.value[id];
  const display = name ?? known?.display_name ?? (known === null ? tc('unknownPerson') : '…');
  return (
    <button type="button" class="person-chip" onClick={() => openProfile(id)} title={display}>
      <Avatar id={id} name={display} size={26} />
      <span class="person-chip-text">
        <span class="person-chip-name">{display}</span>
        {sub && <span class="person-chip-sub">{sub}</span>}
      </span>
    </button>
  );
}

// ---------------------------------------------------------------------------------------
// Words and badges

export function problemText(p: Problem | null | undefined): string | null {
  switch (p) {
    case 'required':
      return tc('required');
    case 'too_long':
      return tc('tooLong');
    case 'invalid_email':
      return tc('invalidEmail');
    case 'weak_password':
      return tc('weakPassword');
    case 'invalid_slug':
      return tc('invalidSlug');
    case 'mismatch':
      return tc('mismatch');
    default:
      return null;
  }
}

export function roleLabel(role: string): string {
  return ['platform_admin', 'org_admin', 'member', 'guest'].includes(role) ? tc(`role${role}` as 'rolemember') : role;
}

export function RoleBadge({ role }: { role: string }) {
  const tone = role === 'guest' ? 'external' : role === 'member' ? 'neutral' : 'info';
  return <Badge tone={tone}>{roleLabel(role)}</Badge>;
}

export function StatusBadge({ status }: { status: string }) {
  const tone = status === 'active' ? 'success' : status === 'disabled' ? 'danger' : 'warning';
  const label = ['active', 'disabled', 'invited'].includes(status) ? tc(`status${status}` as 'statusactive') : status;
  return <Badge tone={tone}>{label}</Badge>;
}

export function kindLabel(kind: string): string {
  return ['department', 'team', 'interest', 'announcement', 'shared', 'direct'].includes(kind) ? tc(`kind${kind}` as 'kindteam') : kind;
}

export function when(ms: number | null | undefined): string {
  return ms ? formatDateTime(ms) : '—';
}

/** A date without the time, in the interface language. */
export function day(ms: number | null | undefined): string {
  return ms ? new Intl.DateTimeFormat(lang.value, { dateStyle: 'medium' }).format(new Date(ms)) : '—';
}

/** "3 minutes ago" style, in the interface language. */
export function relative(ms: number): string {
  const rtf = new Intl.RelativeTimeFormat(lang.value, { numeric: 'auto' });
  const diff = ms - Date.now();
  const abs = Math.abs(diff);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
  ];
  for (const [unit, size] of units) if (abs >= size) return rtf.format(Math.round(diff / size), unit);
  return rtf.format(Math.round(diff / 1000), 'second');
}

// ---------------------------------------------------------------------------------------
// Layout helpers

export function SectionHead({ title, hint, children }: { title: string; hint?: string; children?: ComponentChildren }) {
  return (
    <div class="admin-section-head">
      <div class="admin-section-title">
        <h2>{title}</h2>
        {hint && <p class="muted small">{hint}</p>}
      </div>
      {children && <div class="admin-section-actions">{children}</div>}
    </div>
  );
}

/** A column heading: its text, or its content with a class for the `th` (alignment, width). */
export type Column = string | { label: ComponentChildren; class?: string };

/**
 * A table in its scrolling wrapper: one `th scope="col"` per column, then (with `actions`)
 * the actions column, headed for screen readers only; `children` are the body's rows. When
 * `empty` is given (not false or null), it shows on a panel instead of the table.
 */
export function Table({
  columns,
  actions,
  testid,
  class: tableClass,
  wrapClass,
  empty,
  children,
}: {
  columns: Column[];
  actions?: boolean;
  testid?: string;
  class?: string;
  wrapClass?: string;
  empty?: ComponentChildren;
  children: ComponentChildren;
}) {
  if (empty) return <div class="panel">{empty}</div>;
  return (
    <div class={wrapClass ? `table-wrap ${wrapClass}` : 'table-wrap'}>
      <table class={tableClass ? `table ${tableClass}` : 'table'} data-testid={testid}>
        <thead>
          <tr>
            {columns.map((c, i) =>
              typeof c === 'string' ? (
                <th key={i} scope="col">
                  {c}
                </th>
              ) : (
                <th key={i} scope="col" class={c.class}>
                  {c.label}
                </th>
              ),
            )}
            {actions && (
              <th scope="col" class="admin-col-actions">
                <span class="sr-only">{tc('actions')}</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A row's last cell in a table with `actions`: its buttons side by side (nothing when `children` is false). */
export function ActionsCell({ children }: { children: ComponentChildren }) {
  return <td class="admin-col-actions">{children && <div class="admin-row-actions">{children}</div>}</td>;
}

/** A labelled on/off switch (a checkbox underneath). */
export function Toggle({ label, hint, checked, onChange, disabled, testid }: { label: string; hint?: string; checked: boolean; onChange: (v: boolean) => void; disabled?: boolean; testid?: string }) {
  return (
    <label class={`admin-toggle${disabled ? ' is-disabled' : ''}`}>
      <span class="admin-toggle-text">
        <span class="field-label">{label}</span>
        {hint && <span class="field-hint">{hint}</span>}
      </span>
      <input type="checkbox" role="switch" class="admin-switch" checked={checked} disabled={disabled} data-testid={testid} onChange={(e) => onChange((e.target as HTMLInputElement).checked)} />
    </label>
  );
}

/** A value with a copy button: ids shortened, or (`full`) the whole value, such as an address. */
export function CopyId({ value, full, testid }: { value: string; full?: boolean; testid?: string }) {
  const [done, setDone] = useState(false);
  return (
    <span class={full ? 'admin-id admin-id-full' : 'admin-id'}>
      <code title={value} data-testid={testid}>
        {full || value.length <= 14 ? value : `${value.slice(0, 8)}…${value.slice(-4)}`}
      </code>
      <button
        type="button"
        class="icon-btn admin-copy"
        aria-label={done ? tc('copied') : tc('copy')}
        title={done ? tc('copied') : tc('copy')}
        onClick={() => {
          void navigator.clipboard?.writeText(value).then(() => {
            setDone(true);
            setTimeout(() => setDone(false), 1500);
          });
        }}
      >
        {done ? (
          <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
            <path d="M3 8.5l3 3 7-7" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
          </svg>
        ) : (
          <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
            <rect x="5" y="5" width="8.5" height="8.5" rx="1.5" fill="none" stroke="currentColor" stroke-width="1.4" />
            <path d="M3 10.5V3.5A1 1 0 0 1 4 2.5h6.5" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" />
          </svg>
        )}
      </button>
    </span>
  );
}

// ---------------------------------------------------------------------------------------
// Confirmation before destructive actions

interface ConfirmRequest {
  id: number;
  title: string;
  message: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  /** The admin must type this word (e.g. a plugin id) before confirming. */
  typeToConfirm?: string;
  resolve: (ok: boolean) => void;
}

const confirmation = signal<ConfirmRequest | null>(null);
let confirmSeq = 0;

/** Asks before doing something that cannot be undone; resolves true when confirmed. */
export function confirmDialog(opts: Omit<ConfirmRequest, 'resolve' | 'id'>): Promise<boolean> {
  confirmation.value?.resolve(false);
  return new Promise((resolve) => {
    confirmation.value = { ...opts, id: ++confirmSeq, resolve };
  });
}

/** Renders the pending confirmation, if any; mounted once by the console. */
export function ConfirmHost() {
  const req = confirmation.value;
  return req ? <ConfirmDialog key={req.id} req={req} /> : null;
}

function ConfirmDialog({ req }: { req: ConfirmRequest }) {
  const [typed, setTyped] = useState('');
  const done = (ok: boolean) => {
    if (confirmation.value === req) confirmation.value = null;
    req.resolve(ok);
  };
  const blocked = !!req.typeToConfirm && typed.trim() !== req.typeToConfirm;
  return (
    <Modal title={req.title} onClose={() => done(false)}>
      <form
        class="stack"
        data-testid="confirm-dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (!blocked) done(true);
        }}
      >
        <div class="admin-confirm-message">{req.message}</div>
        {req.typeToConfirm && (
          <Field label={tc('typeToConfirm', { word: req.typeToConfirm })}>
            <input value={typed} autoComplete="off" spellcheck={false} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} />
          </Field>
        )}
        <div class="admin-form-actions">
          <Button onClick={() => done(false)}>{tc('cancel')}</Button>
          <Button type="submit" variant={req.danger ? 'danger' : 'primary'} disabled={blocked} data-testid="confirm-ok">
            {req.confirmLabel}
          </Button>
        </div>
      </form>
    </Modal>
  );
}
