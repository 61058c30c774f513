import { describe, expect, it } from 'vitest';
import {
  AUDIT_ACTIONS,
  AUDIT_CATEGORIES,
  appendPage,
  auditCategory,
  auditDetailParts,
  auditQuery,
  auditSummary,
  auditTone,
  buildSettings,
  checkDomains,
  checkEmail,
  checkIssuer,
  checkName,
  checkPassword,
  checkSlug,
  compareVersions,
  flattenTree,
  formatSize,
  groupCatalog,
  needsConsent,
  newestNewer,
  offerState,
  versionOrder,
  initialSettingValues,
  isAuditAction,
  isEmailDomain,
  nextAuditCursor,
  orgGroups,
  parseAdminPath,
  parseDomains,
  previewManifest,
  replaceRow,
  sameDomains,
  searchAudit,
  sectionPath,
  subtreeIds,
  toBase64,
  toCsv,
} from './logic';
import { areaPath, compact, labelIndexes, linear, linePath, niceTicks, utcDate } from './chartMath';
import type { AuditEntry, SettingSpec } from './types';

describe('admin routes', () => {
  it('maps paths to sections', () => {
    expect(parseAdminPath('/admin')).toEqual({ section: 'org' });
    expect(parseAdminPath('/admin/')).toEqual({ section: 'org' });
    expect(parseAdminPath('/admin/people?q=li')).toEqual({ section: 'people' });
    expect(parseAdminPath('/admin/analytics')).toEqual({ section: 'analytics' });
    expect(parseAdminPath('/admin/orgs')).toEqual({ section: 'orgs' });
    expect(parseAdminPath('/admin/sso')).toEqual({ section: 'sso' });
    expect(parseAdminPath('/admin/plugins')).toEqual({ section: 'plugins' });
    expect(parseAdminPath('/admin/plugins/dice')).toEqual({ section: 'plugins', pluginId: 'dice' });
    expect(parseAdminPath('/admin/plugins/a%2Fb')).toEqual({ section: 'plugins', pluginId: 'a/b' });
    expect(parseAdminPath('/admin/nope')).toEqual({ section: null });
    expect(parseAdminPath('/admin/people/extra')).toEqual({ section: null });
    expect(parseAdminPath('/g/1')).toEqual({ section: null });
  });

  it('builds paths back', () => {
    expect(sectionPath('org')).toBe('/admin');
    expect(sectionPath('audit')).toBe('/admin/audit');
    expect(sectionPath('sso')).toBe('/admin/sso');
  });
});

describe('checks like the host', () => {
  it('emails', () => {
    expect(checkEmail('')).toBe('required');
    expect(checkEmail('li.na@acme.example.com')).toBeNull();
    expect(checkEmail(' Li.Na@Acme.COM ')).toBeNull();
    expect(checkEmail('li.na@acme')).toBe('invalid_email');
    expect(checkEmail('@acme.com')).toBe('invalid_email');
    expect(checkEmail('a@.com')).toBe('invalid_email');
    expect(checkEmail('a b@acme.com')).toBe('invalid_email');
  });

  it('names, passwords and slugs', () => {
    expect(checkName('  ')).toBe('required');
    expect(checkName('张三')).toBeNull();
    expect(checkName('x'.repeat(101))).toBe('too_long');
    expect(checkName('张'.repeat(100))).toBeNull();
    expect(checkPassword('', true)).toBeNull();
    expect(checkPassword('')).toBe('required');
    expect(checkPassword('short')).toBe('weak_password');
    expect(checkPassword('correct horse battery')).toBeNull();
    expect(checkSlug('')).toBeNull();
    expect(checkSlug('acme')).toBeNull();
    expect(checkSlug('a')).toBe('invalid_slug');
    expect(checkSlug('-acme')).toBe('invalid_slug');
    expect(checkSlug('acme-')).toBe('invalid_slug');
    expect(checkSlug('Acme')).toBe('invalid_slug');
    expect(checkSlug('a'.repeat(48))).toBeNull();
    expect(checkSlug('a'.repeat(49))).toBe('invalid_slug');
  });

  it('versions compare numerically', () => {
    expect(compareVersions('1.10.0', '1.9.0')).toBe(1);
    expect(compareVersions('0.1.0', '0.1.0')).toBe(0);
    expect(compareVersions('0.1', '0.1.1')).toBe(-1);
    expect(compareVersions('x', '1.0.0')).toBeNull();
  });
});

const SPECS: SettingSpec[] = [
  { name: 'max_sides', label: { en: 'Largest die', 'zh-CN': '最大面数' }, type: 'number', default: 100 },
  { name: 'creators', label: { en: 'Who', 'zh-CN': '谁' }, type: 'select', options: ['members', 'admins'], default: 'members' },
  { name: 'secret', label: { en: 'Secret', 'zh-CN': '密钥' }, type: 'text', required: true },
  { name: 'loud', label: { en: 'Loud', 'zh-CN': '大声' }, type: 'bool' },
];

describe('single sign-on settings', () => {
  it('issuers: https, or http on this machine; no query or fragment', () => {
    expect(checkIssuer('')).toBe('required');
    expect(checkIssuer('  ')).toBe('required');
    expect(checkIssuer('https://login.example.com/realms/acme')).toBeNull();
    expect(checkIssuer('https://login.example.com/')).toBeNull();
    expect(checkIssuer('http://127.0.0.1:9000')).toBeNull();
    expect(checkIssuer('http://localhost:9000')).toBeNull();
    expect(checkIssuer('http://[::1]:9000')).toBeNull();
    for (const bad of ['http://login.example.com', 'ftp://x.example', 'https://x.example/?a=b', 'https://x.example/#top', 'not a url', `https://x.example/${'a'.repeat(500)}`]) {
      expect(checkIssuer(bad), bad).toBe('invalid_issuer');
    }
  });

  it('domains: split on commas, spaces and lines; normalised; checked like the host', () => {
    expect(parseDomains('')).toEqual([]);
    expect(parseDomains(' Acme.COM, @acme.cn;\nacme.com  sub.acme.com\t')).toEqual(['acme.com', 'acme.cn', 'sub.acme.com']);
    expect(['acme.com', 'a-b.example.cn', 'x1.io'].every(isEmailDomain)).toBe(true);
    for (const bad of ['acme', '-x.com', 'x-.com', 'a..com', 'ex_ample.com', 'é.com', `${'a'.repeat(64)}.com`]) expect(isEmailDomain(bad), bad).toBe(false);
    expect(checkDomains(['acme.com', 'acme', 'b'])).toEqual({ problem: 'invalid_domain', domain: 'acme' });
    expect(checkDomains(Array.from({ length: 51 }, (_, i) => `d${i}.com`))).toEqual({ problem: 'too_many_domains' });
    expect(checkDomains(['acme.com'])).toBeNull();
    expect(sameDomains(['b.com', 'a.com'], ['a.com', 'b.com'])).toBe(true);
    expect(sameDomains(['a.com'], ['a.com', 'b.com'])).toBe(false);
  });
});

describe('plugin settings forms', () => {
  it('start from the group settings, else the defaults', () => {
    expect(initialSettingValues(SPECS)).toEqual({ max_sides: '100', creators: 'members', secret: '', loud: false });
    expect(initialSettingValues(SPECS, { max_sides: 20, loud: true, secret: 's' })).toEqual({
      max_sides: '20',
      creators: 'members',
      secret: 's',
      loud: true,
    });
  });

  it('validate and convert like the host', () => {
    const ok = buildSettings(SPECS, { max_sides: ' 20 ', creators: 'admins', secret: 'abc', loud: true });
    expect(ok.errors).toEqual({});
    expect(ok.settings).toEqual({ max_sides: 20, creators: 'admins', secret: 'abc', loud: true });

    const bad = buildSettings(SPECS, { max_sides: 'many', creators: 'everyone', secret: '', loud: false });
    expect(bad.errors).toEqual({ max_sides: 'not_a_number', creators: 'not_an_option', secret: 'required' });

    const long = buildSettings(SPECS, { max_sides: '', creators: '', secret: 'x'.repeat(2001), loud: false });
    expect(long.errors).toEqual({ secret: 'too_long' });
    // Empty optional fields are left for the host to default.
    expect('max_sides' in long.settings).toBe(false);
    expect(long.settings.loud).toBe(false);
  });
});

const ENTRIES: AuditEntry[] = [
  { id: '1', actor_id: 'p1', action: 'plugin.installed', target: 'dice', detail: { version: '0.1.0', grants: { capabilities: ['storage'], http_hosts: [] } }, at: 1000, ip: '127.0.0.1' },
  { id: '2', actor_id: 'p2', action: 'plugin.enabled', target: 'dice', detail: { group_id: 'g1', settings: { max_sides: 20 } }, at: 2000, ip: null },
  { id: '3', actor_id: 'p1', action: 'plugin.installed', target: 'forms', detail: { version: '1.0.0', grants: ['records'] }, at: 3000, ip: '10.0.0.7' },
];

const entry = (id: string, at: number): AuditEntry => ({ id, actor_id: null, action: 'person.updated', target: 'p', detail: {}, at, ip: null });

describe('audit log', () => {
  it('knows every action by its kind, each kind a prefix', () => {
    expect(AUDIT_ACTIONS).toHaveLength(28);
    for (const c of AUDIT_CATEGORIES) for (const a of c.actions) expect(auditCategory(a)).toBe(c.key);
    expect(AUDIT_CATEGORIES.map((c) => c.prefix)).toEqual(['auth.', 'person.', 'group.', 'org.', 'sso.', 'partner.', 'plugin.', 'token.', 'retention.']);
    expect(auditCategory('weather.changed')).toBeNull();
    expect(isAuditAction('person.updated')).toBe(true);
    expect(isAuditAction('person.')).toBe(false);
  });

  it('tones failures and removals apart from additions', () => {
    expect(['auth.sign_in_failed', 'plugin.uninstalled', 'plugin.disabled', 'token.revoked', 'partner.declined'].map(auditTone)).toEqual(Array(5).fill('danger'));
    expect(['auth.signed_in', 'person.created', 'plugin.installed', 'plugin.enabled', 'partner.accepted', 'sso.linked'].map(auditTone)).toEqual(Array(6).fill('success'));
    expect(['person.updated', 'plugin.upgraded', 'auth.password_changed', 'something.else'].map(auditTone)).toEqual(Array(4).fill('info'));
  });

  it('builds the query: filters, whole local days, the cursor', () => {
    const none = { action: '', actor: '', from: '', to: '' };
    expect(auditQuery(none, 100)).toEqual({ limit: 100 });
    expect(auditQuery({ ...none, action: 'person.', actor: 'p1' }, 50)).toEqual({ action: 'person.', actor: 'p1', limit: 50 });
    const days = auditQuery({ ...none, from: '2024-03-01', to: '2024-03-02' }, 100);
    expect(days.since).toBe(new Date(2024, 2, 1).getTime());
    // `until` is exclusive: the start of the day after `to`.
    expect(days.until).toBe(new Date(2024, 2, 3).getTime());
    // The cursor moves `until` back, never past the range's end.
    expect(auditQuery({ ...none, to: '2024-03-02' }, 100, new Date(2024, 2, 2, 12).getTime()).until).toBe(new Date(2024, 2, 2, 12).getTime());
    expect(auditQuery({ ...none, to: '2024-03-02' }, 100, new Date(2024, 5, 1).getTime()).until).toBe(new Date(2024, 2, 3).getTime());
    expect(auditQuery(none, 100, 1234)).toEqual({ until: 1234, limit: 100 });
    expect(auditQuery({ ...none, from: 'soon' }, 100)).toEqual({ limit: 100 });
  });

  it('pages by time without losing entries that share a millisecond', () => {
    expect(nextAuditCursor([], 3)).toBeNull();
    // A short page is the last one.
    expect(nextAuditCursor([entry('a', 30), entry('b', 20)], 3)).toBeNull();
    // A full page: its oldest millisecond is asked for again…
    expect(nextAuditCursor([entry('a', 30), entry('b', 20), entry('c', 10)], 3)).toBe(11);
    // …unless the whole page is that millisecond, which would ask for the same page again.
    expect(nextAuditCursor([entry('a', 10), entry('b', 10), entry('c', 10)], 3)).toBe(10);
    // The entries asked for again are not repeated.
    const loaded = [entry('a', 30), entry('b', 20), entry('c', 10)];
    expect(appendPage(loaded, [entry('c', 10), entry('d', 10), entry('e', 5)]).map((e) => e.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('searches the loaded entries, words included', () => {
    expect(searchAudit(ENTRIES, '').map((e) => e.id)).toEqual(['1', '2', '3']);
    expect(searchAudit(ENTRIES, ' FORMS ').map((e) => e.id)).toEqual(['3']);
    expect(searchAudit(ENTRIES, 'g1').map((e) => e.id)).toEqual(['2']);
    expect(searchAudit(ENTRIES, '10.0.0').map((e) => e.id)).toEqual(['3']);
    expect(searchAudit(ENTRIES, 'installed a plugin', (e) => (e.action === 'plugin.installed' ? 'Installed a plugin' : '')).map((e) => e.id)).toEqual(['1', '3']);
  });

  it('summarises plugin details', () => {
    expect(auditSummary(ENTRIES[0].detail)).toBe('v0.1.0 · storage');
    expect(auditSummary(ENTRIES[1].detail)).toBe('max_sides=20');
    expect(auditSummary(ENTRIES[2].detail)).toBe('v1.0.0 · records');
    expect(auditSummary(null)).toBe('');
    expect(auditDetailParts('plugin.enabled', ENTRIES[1].detail)).toEqual([
      { mode: 'is', field: 'group_id', value: 'g1' },
      { mode: 'text', text: 'max_sides=20' },
    ]);
    expect(auditDetailParts('plugin.uninstalled', {})).toEqual([]);
  });

  it('breaks other details into the parts worth showing', () => {
    expect(auditDetailParts('person.updated', { role: 'org_admin', status: 'active', department_id: null, title: '', company: 'Acme' })).toEqual([
      { mode: 'set', field: 'role', value: 'org_admin' },
      { mode: 'set', field: 'status', value: 'active' },
      { mode: 'set', field: 'company', value: 'Acme' },
    ]);
    expect(auditDetailParts('auth.sign_in_failed', { reason: 'wrong_password' })).toEqual([{ mode: 'is', field: 'reason', value: 'wrong_password' }]);
    expect(auditDetailParts('group.updated', { kind: 'team', name: 'Ops', archived: false, parent_id: null, head_id: 'p9' })).toEqual([
      { mode: 'set', field: 'name', value: 'Ops' },
      { mode: 'set', field: 'archived', value: false },
      { mode: 'set', field: 'head_id', value: 'p9' },
    ]);
    expect(auditDetailParts('partner.accepted', { host_org_id: 'o1', group_name: 'Shipments' })).toEqual([
      { mode: 'is', field: 'group_name', value: 'Shipments' },
      { mode: 'is', field: 'host_org_id', value: 'o1' },
    ]);
    expect(auditDetailParts('token.created', { name: 'ci', expires_at: null })).toEqual([{ mode: 'is', field: 'name', value: 'ci' }]);
    expect(auditDetailParts('auth.password_changed', {})).toEqual([]);
    // An action unknown here: its plain values, nested ones left to the full detail.
    expect(auditDetailParts('weather.changed', { sky: 'grey', wind: 4, extra: { a: 1 } })).toEqual([
      { mode: 'is', field: 'sky', value: 'grey' },
      { mode: 'is', field: 'wind', value: 4 },
    ]);
    // Single sign-on: its domains as one value; accounts made by it say so.
    expect(auditDetailParts('sso.configured', { issuer: 'https://id.acme.test', client_id: 'courtyard', domains: ['acme.test', 'acme.cn'], auto_provision: false, sso_only: true })).toEqual([
      { mode: 'set', field: 'issuer', value: 'https://id.acme.test' },
      { mode: 'set', field: 'client_id', value: 'courtyard' },
      { mode: 'set', field: 'domains', value: 'acme.test, acme.cn' },
      { mode: 'set', field: 'auto_provision', value: false },
      { mode: 'set', field: 'sso_only', value: true },
    ]);
    expect(auditDetailParts('sso.configured', { issuer: 'https://id.acme.test', domains: [] })).toEqual([{ mode: 'set', field: 'issuer', value: 'https://id.acme.test' }]);
    expect(auditDetailParts('sso.removed', {})).toEqual([]);
    expect(auditDetailParts('person.created', { email: 'a@acme.test', role: 'member', via: 'sso' })).toEqual([
      { mode: 'is', field: 'email', value: 'a@acme.test' },
      { mode: 'is', field: 'role', value: 'member' },
      { mode: 'is', field: 'via', value: 'sso' },
    ]);
    expect(auditDetailParts('person.updated', null)).toEqual([]);
    expect(auditDetailParts('person.updated', ['role'])).toEqual([]);
  });

  it('write CSV safely', () => {
    expect(toCsv([['a', 'b,c'], ['say "hi"', null], ['=SUM(A1)', 3]])).toBe('a,"b,c"\r\n"say ""hi""",\r\n\'=SUM(A1),3');
  });
});

describe('department trees', () => {
  const tree = [
    { id: 'ops', name: 'Operations', head_id: null, children: [{ id: 'log', name: 'Logistics', head_id: null, children: [{ id: 'wh', name: 'Warehouse', head_id: null, children: [] }] }] },
    { id: 'fin', name: 'Finance', head_id: null, children: [] },
  ];
  it('flatten with depth and path', () => {
    expect(flattenTree(tree).map((f) => [f.node.id, f.depth, f.path.join('/')])).toEqual([
      ['ops', 0, 'Operations'],
      ['log', 1, 'Operations/Logistics'],
      ['wh', 2, 'Operations/Logistics/Warehouse'],
      ['fin', 0, 'Finance'],
    ]);
  });
  it('find a subtree', () => {
    expect([...subtreeIds(tree, 'log')].sort()).toEqual(['log', 'wh']);
    expect([...subtreeIds(tree, 'nope')]).toEqual([]);
  });
});

describe('chart arithmetic', () => {
  it('picks round ticks from zero', () => {
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(9)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(1234)).toEqual([0, 250, 500, 750, 1000, 1250]);
    for (const max of [1, 7, 13, 55, 999, 123456]) {
      const t = niceTicks(max);
      expect(t[0]).toBe(0);
      expect(t[t.length - 1]).toBeGreaterThanOrEqual(max);
      expect(t.length).toBeLessThanOrEqual(8);
      expect(t.every(Number.isInteger)).toBe(true);
    }
  });

  it('scales and thins labels', () => {
    const y = linear(0, 10, 100, 0);
    expect(y(0)).toBe(100);
    expect(y(5)).toBe(50);
    expect(labelIndexes(5, 10)).toEqual([0, 1, 2, 3, 4]);
    const many = labelIndexes(30, 7);
    expect(many.length).toBeLessThanOrEqual(8);
    expect(many[many.length - 1]).toBe(29);
    expect(labelIndexes(0, 5)).toEqual([]);
  });

  it('draws paths and formats numbers', () => {
    expect(linePath([[0, 10], [5.04, 2]])).toBe('M0,10 L5,2');
    expect(areaPath([[0, 10], [5, 2]], 20)).toBe('M0,10 L5,2 L5,20 L0,20 Z');
    expect(areaPath([], 20)).toBe('');
    expect(compact(950)).toBe('950');
    expect(compact(1234)).toBe('1.2k');
    expect(compact(1_500_000)).toBe('1.5M');
    expect(utcDate('2026-11-30').toISOString()).toBe('2026-11-30T00:00:00.000Z');
  });
});

describe('uploaded package manifests', () => {
  it('read the top-level keys', () => {
    const toml = `id = "probe"\nversion = "1.2.0"\nwit = "0.3.0"\ncapabilities = [\n  "records",\n  "http",\n]\nhttp_hosts = ["api.example.com", "127.0.0.1:8080"]\n[name]\nen = "Probe"\n[[settings]]\nname = "capabilities"\n`;
    expect(previewManifest(toml)).toEqual({ id: 'probe', version: '1.2.0', capabilities: ['records', 'http'], http_hosts: ['api.example.com', '127.0.0.1:8080'] });
    expect(previewManifest('[name]\nid = "x"')).toEqual({ id: null, version: null, capabilities: null, http_hosts: null });
  });
  it('encode bytes', () => {
    expect(toBase64(new Uint8Array([0, 97, 115, 109]))).toBe('AGFzbQ==');
    expect(toBase64(new Uint8Array(100_000)).length).toBe(133_336);
  });
});

describe('paged people', () => {
  const p = (id: string, status = 'active') => ({ id, status });
  it('append a page without repeating rows', () => {
    expect(appendPage([p('a'), p('b')], [p('b'), p('c')]).map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(appendPage([], [p('a')]).map((r) => r.id)).toEqual(['a']);
  });
  it('replace a changed row, or drop it when it leaves the status shown', () => {
    const rows = [p('a'), p('b'), p('c')];
    expect(replaceRow(rows, p('b', 'disabled'), '')).toEqual([p('a'), p('b', 'disabled'), p('c')]);
    expect(replaceRow(rows, p('b', 'disabled'), 'active')).toEqual([p('a'), p('c')]);
    expect(replaceRow([p('a', 'disabled')], p('a', 'disabled'), 'disabled')).toEqual([p('a', 'disabled')]);
    expect(replaceRow([p('a', 'disabled')], p('a', 'active'), 'disabled')).toEqual([]);
  });
});

describe('organization groups', () => {
  const g = (id: string, kind: string, name: string, parent_id: string | null = null, archived = false) => ({ id, kind, name, parent_id, archived });
  it('name departments by their path and sort by kind then name', () => {
    const out = orgGroups([
      g('t2', 'team', 'Quiet room', null, true),
      g('d2', 'department', 'Backend', 'd1'),
      g('t1', 'team', 'Game night'),
      g('d1', 'department', 'Engineering'),
      g('d3', 'department', 'Storage', 'd2'),
    ]);
    expect(out.map((x) => [x.id, x.name])).toEqual([
      ['d1', 'Engineering'],
      ['d2', 'Engineering / Backend'],
      ['d3', 'Engineering / Backend / Storage'],
      ['t1', 'Game night'],
      ['t2', 'Quiet room'],
    ]);
    expect(out.find((x) => x.id === 't2')?.archived).toBe(true);
  });
  it('survive a missing or looping parent', () => {
    expect(orgGroups([g('a', 'department', 'A', 'gone')]).map((x) => x.name)).toEqual(['A']);
    expect(orgGroups([g('a', 'department', 'A', 'b'), g('b', 'department', 'B', 'a')]).map((x) => x.name)).toEqual(['A / B', 'B / A']);
  });
});

describe('plugin catalogs', () => {
  const v = (id: string, version: string, extra: Partial<{ compatible: boolean; installed_version: string | null; upgrade: boolean; source: string }> = {}) => ({
    id,
    version,
    compatible: true,
    installed_version: null as string | null,
    upgrade: false,
    source: 'a',
    ...extra,
  });
  it('order versions newest first, by number', () => {
    expect(['1.9.0', '1.10.0', '0.2.0', '1.10.0-beta.1'].sort(versionOrder)).toEqual(['1.10.0', '1.10.0-beta.1', '1.9.0', '0.2.0']);
    expect(versionOrder('b', 'a')).toBe(-1);
  });
  it('find the newest newer version', () => {
    expect(newestNewer('1.0.0', [{ version: '1.2.0' }, { version: '0.9.0' }, { version: '1.10.0' }])).toEqual({ version: '1.10.0' });
    expect(newestNewer('2.0.0', [{ version: '1.2.0' }, { version: '2.0.0' }])).toBe(null);
  });
  it('group versions by plugin, the newest compatible first', () => {
    const groups = groupCatalog([v('dice', '0.3.0', { compatible: false }), v('dice', '0.1.0'), v('dice', '0.2.0', { source: 'b' }), v('polls', '1.0.0'), v('zeta', '2.0.0', { compatible: false })]);
    expect(groups.map((g) => [g.id, g.primary.version, g.others.map((o) => o.version)])).toEqual([
      ['dice', '0.2.0', ['0.3.0', '0.1.0']],
      ['polls', '1.0.0', []],
      ['zeta', '2.0.0', []],
    ]);
    expect(groups[0].primary.source).toBe('b');
  });
  it('say what can be done with a version', () => {
    expect(offerState(v('dice', '1.0.0'))).toBe('install');
    expect(offerState(v('dice', '1.0.0', { installed_version: '1.0.0' }))).toBe('installed');
    expect(offerState(v('dice', '1.1.0', { installed_version: '1.0.0', upgrade: true }))).toBe('upgrade');
    expect(offerState(v('dice', '0.9.0', { installed_version: '1.0.0' }))).toBe('older');
    expect(offerState(v('dice', '2.0.0', { compatible: false, installed_version: '1.0.0' }))).toBe('incompatible');
  });
  it('sizes and consent', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(12_800)).toBe('13 KB');
    expect(formatSize(932_771)).toBe('911 KB');
    expect(formatSize(3_565_158)).toBe('3.4 MB');
    expect(['bundled', 'trusted', 'untrusted', 'unsigned', 'other'].map(needsConsent)).toEqual([false, false, true, true, true]);
  });
});
