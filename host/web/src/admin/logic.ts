// The admin console's pure logic: routes, checks mirroring the host's, plugin settings
// forms, audit filters and CSV. No DOM, no i18n: callers turn the codes into words.

import type { AuditEntry, SettingSpec } from './types';

// ---------------------------------------------------------------------------------------
// Routes

export type Section = 'org' | 'people' | 'departments' | 'partners' | 'plugins' | 'audit' | 'analytics' | 'orgs';

export interface AdminRoute {
  section: Section | null;
  /** `/admin/plugins/:id` */
  pluginId?: string;
}

const SECTIONS: Record<string, Section> = {
  '': 'org',
  people: 'people',
  departments: 'departments',
  partners: 'partners',
  plugins: 'plugins',
  audit: 'audit',
  analytics: 'analytics',
  orgs: 'orgs',
};

/** Reads `/admin/...` (query string ignored); `section: null` for an unknown page. */
export function parseAdminPath(path: string): AdminRoute {
  const parts = path.split('?')[0].split('#')[0].split('/').filter(Boolean);
  if (parts[0] !== 'admin') return { section: null };
  const rest = parts.slice(1);
  if (rest.length === 0) return { section: 'org' };
  if (rest.length === 2 && rest[0] === 'plugins') {
    let id = rest[1];
    try {
      id = decodeURIComponent(id);
    } catch {
      /* keep as typed */
    }
    return { section: 'plugins', pluginId: id };
  }
  if (rest.length !== 1) return { section: null };
  return { section: SECTIONS[rest[0]] ?? null };
}

export function sectionPath(section: Section): string {
  return section === 'org' ? '/admin' : `/admin/${section}`;
}

// ---------------------------------------------------------------------------------------
// Checks that mirror the host's (host/src/app/auth.rs, orgs.rs; domain limits)

export const MIN_PASSWORD_CHARS = 10;
export const MAX_NAME_CHARS = 100;

export type Problem = 'required' | 'too_long' | 'invalid_email' | 'weak_password' | 'invalid_slug' | 'mismatch';

export function checkEmail(email: string): Problem | null {
  const e = email.trim().toLowerCase();
  if (!e) return 'required';
  const at = e.indexOf('@');
  const ok =
    e.length <= 254 &&
    at > 0 &&
    e.indexOf('@', at + 1) === -1 &&
    e.slice(at + 1).includes('.') &&
    !e.slice(at + 1).startsWith('.') &&
    !/\s/.test(e);
  return ok ? null : 'invalid_email';
}

export function checkName(name: string, max = MAX_NAME_CHARS): Problem | null {
  const n = name.trim();
  if (!n) return 'required';
  return [...n].length > max ? 'too_long' : null;
}

export function checkOptionalText(text: string, max = MAX_NAME_CHARS): Problem | null {
  return [...text].length > max ? 'too_long' : null;
}

/** An empty password is allowed where `optional` (the person cannot sign in yet). */
export function checkPassword(password: string, optional = false): Problem | null {
  if (!password) return optional ? null : 'required';
  if ([...password].length < MIN_PASSWORD_CHARS) return 'weak_password';
  if (new TextEncoder().encode(password).length > 1024) return 'too_long';
  return null;
}

/** An organization's slug: 2–48 of a-z, 0-9 and inner dashes; empty lets the host derive it. */
export function checkSlug(slug: string): Problem | null {
  if (!slug) return null;
  return /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])$/.test(slug) ? null : 'invalid_slug';
}

/** Compares dotted numeric versions like the host (`version_cmp`); null when not numeric. */
export function compareVersions(a: string, b: string): number | null {
  const parse = (v: string) => {
    const parts = v.split('-')[0].split('.');
    if (parts.some((p) => !/^\d+$/.test(p))) return null;
    return parts.map(Number);
  };
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return null;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// Plugin settings, generated from the manifest's schema (host/runtime/src/manifest.rs,
// `validate_settings`): text (≤ 2000 characters), number, bool, select (one of options).

export const MAX_SETTING_TEXT = 2000;

/** What the form holds: strings for text, number and select inputs; booleans for bool. */
export type SettingValues = Record<string, string | boolean>;

export type SettingProblem = 'required' | 'not_a_number' | 'too_long' | 'not_an_option';

/** Form values from what a group has now, else the manifest's defaults. */
export function initialSettingValues(specs: SettingSpec[], current?: Record<string, unknown> | null): SettingValues {
  const values: SettingValues = {};
  for (const s of specs) {
    const v = current && s.name in current ? current[s.name] : s.default;
    if (s.type === 'bool') values[s.name] = v === true;
    else if (v === null || v === undefined) values[s.name] = '';
    else values[s.name] = String(v);
  }
  return values;
}

/**
 * Checks form values against the schema and builds the `settings` object to send. Empty
 * optional fields are left out (the host fills in their defaults).
 */
export function buildSettings(
  specs: SettingSpec[],
  values: SettingValues,
): { settings: Record<string, unknown>; errors: Record<string, SettingProblem> } {
  const settings: Record<string, unknown> = {};
  const errors: Record<string, SettingProblem> = {};
  for (const s of specs) {
    const raw = values[s.name];
    if (s.type === 'bool') {
      settings[s.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw : '';
    if (s.type !== 'text' ? text.trim() === '' : text === '') {
      if (s.required && (s.default === undefined || s.default === null)) errors[s.name] = 'required';
      continue;
    }
    switch (s.type) {
      case 'number': {
        const n = Number(text.trim());
        if (!Number.isFinite(n)) errors[s.name] = 'not_a_number';
        else settings[s.name] = n;
        break;
      }
      case 'select':
        if (!(s.options ?? []).includes(text)) errors[s.name] = 'not_an_option';
        else settings[s.name] = text;
        break;
      default:
        if ([...text].length > MAX_SETTING_TEXT) errors[s.name] = 'too_long';
        else settings[s.name] = text;
    }
  }
  return { settings, errors };
}

// ---------------------------------------------------------------------------------------
// The audit log: the host filters by nothing but `limit`, so everything else is here.

export interface AuditFilter {
  action?: string;
  actor?: string;
  /** Free text over target and detail. */
  text?: string;
  /** Inclusive bounds in ms. */
  from?: number | null;
  to?: number | null;
}

export function filterAudit(entries: AuditEntry[], f: AuditFilter): AuditEntry[] {
  const text = f.text?.trim().toLowerCase();
  return entries.filter((e) => {
    if (f.action && e.action !== f.action) return false;
    if (f.actor && e.actor_id !== f.actor) return false;
    if (f.from != null && e.at < f.from) return false;
    if (f.to != null && e.at > f.to) return false;
    if (text) {
      const hay = `${e.action} ${e.target} ${JSON.stringify(e.detail ?? '')}`.toLowerCase();
      if (!hay.includes(text)) return false;
    }
    return true;
  });
}

/** Distinct values of a key, sorted, without empties. */
export function distinct<T>(items: T[], key: (t: T) => string | null | undefined): string[] {
  const set = new Set<string>();
  for (const i of items) {
    const k = key(i);
    if (k) set.add(k);
  }
  return [...set].sort();
}

/** Bounds of a `YYYY-MM-DD` day in local time: start for `from`, end for `to`. */
export function dayBound(date: string, end: boolean): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (end) d.setHours(23, 59, 59, 999);
  return d.getTime();
}

/** RFC 4180 CSV; cells that a spreadsheet would run as formulas are quoted with a `'`. */
export function toCsv(rows: (string | number | null | undefined)[][]): string {
  return rows
    .map((row) =>
      row
        .map((cell) => {
          let s = cell === null || cell === undefined ? '' : String(cell);
          if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
          return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
        })
        .join(','),
    )
    .join('\r\n');
}

/** A short summary of an audit entry's detail for a table cell. */
export function auditSummary(detail: any): string {
  if (!detail || typeof detail !== 'object') return '';
  const parts: string[] = [];
  if (typeof detail.version === 'string') parts.push(`v${detail.version}`);
  const grants = detail.grants;
  if (grants && Array.isArray(grants.capabilities)) parts.push(grants.capabilities.join(', ') || '—');
  else if (Array.isArray(grants)) parts.push(grants.join(', ') || '—');
  if (grants && Array.isArray(grants.http_hosts) && grants.http_hosts.length) parts.push(grants.http_hosts.join(', '));
  if (detail.settings && typeof detail.settings === 'object') {
    const s = Object.entries(detail.settings)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(', ');
    if (s) parts.push(s);
  }
  return parts.join(' · ');
}

// ---------------------------------------------------------------------------------------
// Departments

export interface TreeNode {
  id: string;
  name: string;
  head_id: string | null;
  children: TreeNode[];
}

/** Every department with its depth and path of names, in tree order. */
export function flattenTree(nodes: TreeNode[], depth = 0, trail: string[] = []): { node: TreeNode; depth: number; path: string[] }[] {
  const out: { node: TreeNode; depth: number; path: string[] }[] = [];
  for (const n of nodes) {
    const path = [...trail, n.name];
    out.push({ node: n, depth, path });
    out.push(...flattenTree(n.children, depth + 1, path));
  }
  return out;
}

/** Ids of a department and everything under it (where it cannot be moved to). */
export function subtreeIds(nodes: TreeNode[], id: string): Set<string> {
  const ids = new Set<string>();
  const collect = (n: TreeNode) => {
    ids.add(n.id);
    n.children.forEach(collect);
  };
  const find = (list: TreeNode[]): boolean => {
    for (const n of list) {
      if (n.id === id) {
        collect(n);
        return true;
      }
      if (find(n.children)) return true;
    }
    return false;
  };
  find(nodes);
  return ids;
}

// ---------------------------------------------------------------------------------------
// Uploaded packages: enough of the manifest (`courtyard.toml`) to ask about grants before
// installing. The host verifies the real thing; this only reads top-level keys.

export interface ManifestPreview {
  id: string | null;
  version: string | null;
  capabilities: string[] | null;
  http_hosts: string[] | null;
}

export function previewManifest(toml: string): ManifestPreview {
  // Top-level keys come before the first table header.
  const head = toml.split(/^\s*\[/m)[0] ?? '';
  const str = (key: string) => {
    const m = new RegExp(`^\\s*${key}\\s*=\\s*"([^"]*)"`, 'm').exec(head);
    return m ? m[1] : null;
  };
  const list = (key: string) => {
    const m = new RegExp(`^\\s*${key}\\s*=\\s*\\[([^\\]]*)\\]`, 'm').exec(head);
    if (!m) return null;
    return [...m[1].matchAll(/"([^"]*)"/g)].map((x) => x[1]);
  };
  return { id: str('id'), version: str('version'), capabilities: list('capabilities'), http_hosts: list('http_hosts') };
}

/** Base64 of bytes, in chunks so large components do not overflow the call stack. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

// ---------------------------------------------------------------------------------------
// Paged lists (the people of an organization, a page at a time)

/** `rows` with the next page appended; a row already there (the list shifted) is not repeated. */
export function appendPage<T extends { id: string }>(rows: T[], page: T[]): T[] {
  const seen = new Set(rows.map((r) => r.id));
  return [...rows, ...page.filter((r) => !seen.has(r.id))];
}

/**
 * `rows` after one of them changed: replaced in place, or dropped when it no longer has the
 * status the list is filtered by (so the next page's offset, the number of rows, still
 * counts only rows the server would list).
 */
export function replaceRow<T extends { id: string; status: string }>(rows: T[], changed: T, statusFilter: string): T[] {
  if (statusFilter && changed.status !== statusFilter) return rows.filter((r) => r.id !== changed.id);
  return rows.map((r) => (r.id === changed.id ? changed : r));
}

// ---------------------------------------------------------------------------------------
// An organization's groups (where a plugin can be enabled)

export interface GroupLike {
  id: string;
  name: string;
  kind: string;
  parent_id: string | null;
  archived: boolean;
}

export interface OrgGroup {
  id: string;
  /** Departments are named with their path: "Engineering / Backend". */
  name: string;
  kind: string;
  archived: boolean;
}

/** The groups by kind then name, departments named with the path of their parents. */
export function orgGroups(groups: GroupLike[]): OrgGroup[] {
  const byId = new Map(groups.map((g) => [g.id, g]));
  const label = (g: GroupLike) => {
    if (g.kind !== 'department') return g.name;
    const path = [g.name];
    const seen = new Set([g.id]);
    for (let p = g.parent_id ? byId.get(g.parent_id) : undefined; p && !seen.has(p.id); p = p.parent_id ? byId.get(p.parent_id) : undefined) {
      seen.add(p.id);
      path.unshift(p.name);
    }
    return path.join(' / ');
  };
  return groups
    .map((g) => ({ id: g.id, name: label(g), kind: g.kind, archived: g.archived }))
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}
