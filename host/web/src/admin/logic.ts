// The admin console's pure logic: routes, checks mirroring the host's, plugin settings
// forms, single sign-on settings, audit queries and CSV. No DOM, no i18n: callers turn the
// codes into words.

import type { AuditEntry, SettingSpec } from './types';

// ---------------------------------------------------------------------------------------
// Routes

export type Section = 'org' | 'people' | 'departments' | 'partners' | 'plugins' | 'audit' | 'analytics' | 'compliance' | 'sso' | 'orgs';

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
  compliance: 'compliance',
  sso: 'sso',
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
// Single sign-on settings (host/src/app/sso.rs: `check_issuer`, `check_domain`)

export const MAX_SSO_DOMAINS = 50;

export type SsoProblem = 'required' | 'invalid_issuer' | 'invalid_domain' | 'too_many_domains' | 'too_long';

/** An issuer the host will talk to: https://, or http:// on this machine; no query or fragment. */
export function checkIssuer(raw: string): SsoProblem | null {
  const issuer = raw.trim().replace(/\/+$/, '');
  if (!issuer) return 'required';
  if (issuer.length > 500 || issuer.includes('?') || issuer.includes('#')) return 'invalid_issuer';
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return 'invalid_issuer';
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  return url.protocol === 'https:' || (url.protocol === 'http:' && loopback) ? null : 'invalid_issuer';
}

/**
 * Email domains as typed: separated by commas, semicolons, spaces or new lines, a leading
 * `@` dropped, lower case, each once, in the order typed.
 */
export function parseDomains(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/[\s,;]+/)) {
    const d = part.replace(/^@+/, '').toLowerCase();
    if (d && !out.includes(d)) out.push(d);
  }
  return out;
}

/** Whether the host takes `domain` (already lower case) as an email domain such as example.com. */
export function isEmailDomain(domain: string): boolean {
  return (
    domain.length <= 253 &&
    domain.includes('.') &&
    domain.split('.').every((label) => label.length > 0 && label.length <= 63 && !label.startsWith('-') && !label.endsWith('-') && /^[a-z0-9-]+$/.test(label))
  );
}

/** What is wrong with a list of domains: the first the host would refuse, or too many. */
export function checkDomains(domains: string[]): { problem: SsoProblem; domain?: string } | null {
  const bad = domains.find((d) => !isEmailDomain(d));
  if (bad !== undefined) return { problem: 'invalid_domain', domain: bad };
  return domains.length > MAX_SSO_DOMAINS ? { problem: 'too_many_domains' } : null;
}

/** Whether two lists hold the same domains (the host keeps them sorted). */
export function sameDomains(a: string[], b: string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((d, i) => d === y[i]);
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
// The audit log (host/src/app/audit.rs): the host filters by action prefix, actor and time
// and pages with `until`; these build its queries, page through it and break an entry's
// detail into parts the page puts into words.

export type AuditCategory = 'signins' | 'people' | 'groups' | 'org' | 'sso' | 'partners' | 'plugins' | 'tokens' | 'retention';

/** The kinds of entry, each a prefix of its actions, with the actions the host records. */
export const AUDIT_CATEGORIES = [
  { key: 'signins', prefix: 'auth.', actions: ['auth.signed_in', 'auth.sign_in_failed', 'auth.password_changed'] },
  { key: 'people', prefix: 'person.', actions: ['person.created', 'person.updated', 'person.password_reset'] },
  { key: 'groups', prefix: 'group.', actions: ['group.created', 'group.updated', 'group.legal_hold_placed', 'group.legal_hold_released'] },
  { key: 'org', prefix: 'org.', actions: ['org.created', 'org.updated', 'org.exported'] },
  { key: 'sso', prefix: 'sso.', actions: ['sso.configured', 'sso.removed', 'sso.linked'] },
  { key: 'partners', prefix: 'partner.', actions: ['partner.invited', 'partner.accepted', 'partner.declined'] },
  {
    key: 'plugins',
    prefix: 'plugin.',
    actions: ['plugin.installed', 'plugin.upgraded', 'plugin.grants_changed', 'plugin.uninstalled', 'plugin.enabled', 'plugin.disabled'],
  },
  { key: 'tokens', prefix: 'token.', actions: ['token.created', 'token.revoked'] },
  { key: 'retention', prefix: 'retention.', actions: ['retention.applied'] },
] as const satisfies readonly { key: AuditCategory; prefix: string; actions: readonly string[] }[];

/** An action the host records (and the console has words for). */
export type AuditAction = (typeof AUDIT_CATEGORIES)[number]['actions'][number];

export const AUDIT_ACTIONS: readonly AuditAction[] = AUDIT_CATEGORIES.flatMap((c) => c.actions);

export function isAuditAction(action: string): action is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(action);
}

export function auditCategory(action: string): AuditCategory | null {
  return AUDIT_CATEGORIES.find((c) => action.startsWith(c.prefix))?.key ?? null;
}

/** How an entry's badge looks: failures and removals `danger`, additions `success`. */
export function auditTone(action: string): 'danger' | 'success' | 'info' {
  if (/\.(sign_in_failed|uninstalled|disabled|revoked|declined)$/.test(action)) return 'danger';
  if (/\.(signed_in|created|installed|enabled|accepted|linked)$/.test(action)) return 'success';
  return 'info';
}

/** The filters as the page holds them: an action prefix, a person id, `YYYY-MM-DD` days. */
export interface AuditFilter {
  action: string;
  actor: string;
  from: string;
  to: string;
}

/** The query string of `GET /api/v1/orgs/{org}/audit`. */
export interface AuditQuery {
  action?: string;
  actor?: string;
  /** ms, inclusive */
  since?: number;
  /** ms, exclusive */
  until?: number;
  limit: number;
}

/**
 * The query for a page of entries: the filters (the days whole, in local time) and, after
 * the first page, `cursor` from `nextAuditCursor`.
 */
export function auditQuery(f: AuditFilter, limit: number, cursor?: number | null): AuditQuery {
  const since = dayBound(f.from, false);
  const end = dayBound(f.to, true);
  const bounds = [end === null ? null : end + 1, cursor ?? null].filter((n): n is number => n !== null);
  const q: AuditQuery = { limit };
  if (f.action) q.action = f.action;
  if (f.actor) q.actor = f.actor;
  if (since !== null) q.since = since;
  if (bounds.length) q.until = Math.min(...bounds);
  return q;
}

/**
 * The `until` of the page after `page` (newest first), or null when it was the last. The
 * host's `until` is exclusive and entries can share a millisecond, so the next page asks
 * again for the oldest one's millisecond (`appendPage` drops the entries already there);
 * only a page all of one millisecond moves past it, so every page makes progress.
 */
export function nextAuditCursor(page: AuditEntry[], limit: number): number | null {
  if (page.length === 0 || page.length < limit) return null;
  const oldest = Math.min(...page.map((e) => e.at));
  return page.every((e) => e.at === oldest) ? oldest : oldest + 1;
}

/** Bounds of a `YYYY-MM-DD` day in local time: its first ms, or its last with `end`. */
export function dayBound(date: string, end: boolean): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (end) d.setHours(23, 59, 59, 999);
  return d.getTime();
}

/**
 * The loaded entries with `text` (case-insensitive) in their action, target, address,
 * detail or `words` (what the page shows for them: label and summary).
 */
export function searchAudit(entries: AuditEntry[], text: string, words: (e: AuditEntry) => string = () => ''): AuditEntry[] {
  const needle = text.trim().toLowerCase();
  if (!needle) return entries;
  return entries.filter((e) => `${e.action} ${e.target} ${e.ip ?? ''} ${JSON.stringify(e.detail ?? '')} ${words(e)}`.toLowerCase().includes(needle));
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

/** A plugin entry's detail in short: version, grants, hosts, settings. */
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

/**
 * One piece of an entry's detail: `set`, a value something now has (role → org_admin);
 * `is`, a fact about what happened (reason: wrong_password); `text`, already in words.
 */
export type AuditDetailPart = { mode: 'set' | 'is'; field: string; value: string | number | boolean } | { mode: 'text'; text: string };

/** Which fields of each action's detail are worth a summary, and how they read. */
const DETAIL_FIELDS: Record<string, { mode: 'set' | 'is'; fields: string[] }> = {
  'auth.signed_in': { mode: 'is', fields: ['method'] },
  'auth.sign_in_failed': { mode: 'is', fields: ['reason'] },
  'token.created': { mode: 'is', fields: ['name', 'expires_at'] },
  'person.created': { mode: 'is', fields: ['email', 'role', 'status', 'via'] },
  // The person as they are after the change.
  'person.updated': { mode: 'set', fields: ['role', 'status', 'department_id', 'title', 'company'] },
  'group.created': { mode: 'is', fields: ['name', 'kind'] },
  'group.updated': { mode: 'set', fields: ['name', 'archived', 'parent_id', 'head_id'] },
  'org.created': { mode: 'is', fields: ['name'] },
  'org.updated': { mode: 'set', fields: ['name', 'time_zone', 'read_receipts_enabled', 'anonymous_posts_enabled'] },
  'sso.configured': { mode: 'set', fields: ['issuer', 'client_id', 'domains', 'auto_provision', 'sso_only'] },
  'sso.removed': { mode: 'is', fields: [] },
  'sso.linked': { mode: 'is', fields: ['email', 'issuer'] },
  'partner.invited': { mode: 'is', fields: ['group_name', 'org_id'] },
  'partner.accepted': { mode: 'is', fields: ['group_name', 'host_org_id'] },
  'partner.declined': { mode: 'is', fields: ['group_name', 'host_org_id'] },
};

const isScalar = (v: unknown): v is string | number | boolean => (typeof v === 'string' && v !== '') || typeof v === 'number' || typeof v === 'boolean';

/**
 * The parts of an entry's detail for its summary, in order; empty and missing values left
 * out, lists of text joined. Plugin entries name their group and summarise the rest; an
 * action not known here shows its detail's plain values.
 */
export function auditDetailParts(action: string, detail: any): AuditDetailPart[] {
  if (!detail || typeof detail !== 'object' || Array.isArray(detail)) return [];
  if (action.startsWith('plugin.')) {
    const parts: AuditDetailPart[] = [];
    if (isScalar(detail.group_id)) parts.push({ mode: 'is', field: 'group_id', value: detail.group_id });
    const text = auditSummary(detail);
    if (text) parts.push({ mode: 'text', text });
    return parts;
  }
  const spec = DETAIL_FIELDS[action] ?? { mode: 'is' as const, fields: Object.keys(detail) };
  const parts: AuditDetailPart[] = [];
  for (const f of spec.fields) {
    const v = detail[f];
    // A list of names (an organization's email domains) reads as one value.
    const value = isScalar(v) ? v : Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? v.join(', ') : null;
    if (value !== null) parts.push({ mode: spec.mode, field: f, value });
  }
  return parts;
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

/** Orders versions newest first: semantic versions by number, anything else by text. */
export function versionOrder(a: string, b: string): number {
  const c = compareVersions(a, b);
  if (c !== null) return -c;
  return a < b ? 1 : a > b ? -1 : 0;
}

/** The newest of `candidates` that is newer than `installed`, or null. */
export function newestNewer<T extends { version: string }>(installed: string, candidates: T[]): T | null {
  let best: T | null = null;
  for (const c of candidates) {
    if (versionOrder(c.version, installed) >= 0) continue;
    if (!best || versionOrder(c.version, best.version) < 0) best = c;
  }
  return best;
}

// ---------------------------------------------------------------------------------------
// Plugin catalogs (`GET …/plugin-catalog`: one entry per version, maybe from several catalogs)

export interface CatalogEntryLike {
  id: string;
  version: string;
  compatible: boolean;
  installed_version: string | null;
  upgrade: boolean;
}

export interface CatalogGroup<T> {
  id: string;
  /** What to offer first: the newest compatible version (the newest of all when none is). */
  primary: T;
  /** The other versions, newest first. */
  others: T[];
}

/** Catalog entries grouped by plugin id, in the order ids first appear. */
export function groupCatalog<T extends CatalogEntryLike>(items: T[]): CatalogGroup<T>[] {
  const byId = new Map<string, T[]>();
  for (const item of items) {
    const list = byId.get(item.id);
    if (list) list.push(item);
    else byId.set(item.id, [item]);
  }
  return [...byId].map(([id, list]) => {
    // Stable: entries of one version from several catalogs keep the server's order.
    const sorted = list.map((x, i) => [x, i] as const).sort((a, b) => versionOrder(a[0].version, b[0].version) || a[1] - b[1]).map(([x]) => x);
    const primary = sorted.find((x) => x.compatible) ?? sorted[0];
    return { id, primary, others: sorted.filter((x) => x !== primary) };
  });
}

/** What the console offers for one catalog version. */
export type OfferState = 'install' | 'upgrade' | 'installed' | 'older' | 'incompatible';

export function offerState(item: CatalogEntryLike): OfferState {
  if (!item.compatible) return 'incompatible';
  if (item.installed_version === null) return 'install';
  if (item.installed_version === item.version) return 'installed';
  if (item.upgrade || versionOrder(item.version, item.installed_version) < 0) return 'upgrade';
  return 'older';
}

/** A byte count for people: 512 B, 12 KB, 3.4 MB. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The largest package file the host stages (host/src/package.rs `MAX_PACKAGE_BYTES`). */
export const MAX_PACKAGE_FILE_BYTES = 56 << 20;

/** Whether installing a package with this trust status needs the admin's explicit consent. */
export function needsConsent(status: string): boolean {
  return status !== 'bundled' && status !== 'trusted';
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
