// The audit log: who did what to the organization, when and from where. The host filters
// (kind of action, person, dates) and pages (`until`); the search box only narrows what is
// loaded, and the CSV export holds what is shown.

import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { strings } from '../i18n';
import { PersonPicker } from '../plugins/pickers';
import { Badge, Button, Empty, ErrorNote, Spinner } from '../ui/kit';
import {
  AUDIT_CATEGORIES,
  appendPage,
  auditCategory,
  auditDetailParts,
  auditQuery,
  auditTone,
  isAuditAction,
  nextAuditCursor,
  searchAudit,
  toCsv,
  type AuditCategory,
  type AuditDetailPart,
  type AuditFilter,
} from './logic';
import { useOrgGroups } from './PluginsPage';
import { PersonChip, SectionHead, Table, day, kindLabel, knownPerson, orgs, roleLabel, tc, usePeople, when } from './shared';
import type { AuditEntry } from './types';

const t = strings({
  title: ['Audit log', '审计日志'],
  hint: [
    'Who did what in this organization, when and from where: sign-ins, people, groups and departments, settings, partners, plugins and access tokens. Newest first.',
    '记录本组织中谁在何时、从何处做了什么：登录、人员、群组和部门、组织设置、合作组织、插件和访问令牌。最新的在前。',
  ],
  action: ['Action', '操作'],
  anyAction: ['Any action', '全部操作'],
  actor: ['Person', '操作人'],
  anyActor: ['Anyone', '任何人'],
  from: ['From', '开始日期'],
  to: ['To', '结束日期'],
  search: ['Search loaded entries', '在已加载的记录中搜索'],
  clear: ['Clear filters', '清除筛选'],
  when: ['When', '时间'],
  target: ['Target', '对象'],
  details: ['Details', '详情'],
  ip: ['IP address', 'IP 地址'],
  showDetail: ['Show details', '显示详情'],
  hideDetail: ['Hide details', '隐藏详情'],
  exportCsv: ['Export CSV', '导出 CSV'],
  loaded: ['{n} entries loaded', '已加载 {n} 条记录'],
  searched: ['{shown} of {total} loaded entries', '已加载 {total} 条，符合 {shown} 条'],
  more: ['Load more', '加载更多'],
  noOlder: ['No older entries', '没有更早的记录了'],
  empty: ['Nothing recorded yet', '暂无记录'],
  emptyHint: ['Sign-ins and changes show up here as they happen.', '登录和各项变更会实时记录在这里。'],
  noMatch: ['No entries match these filters', '没有符合筛选条件的记录'],
  system: ['The system', '系统'],
  is: ['{field}: {value}', '{field}：{value}'],
  set: ['{field} → {value}', '{field} → {value}'],
  wrongPassword: ['wrong password', '密码错误'],
  accountDisabled: ['account disabled', '账号已停用'],
  password: ['password', '密码'],
  sso: ['single sign-on', '单点登录'],
  ssoRequired: ['single sign-on required', '须使用单点登录'],
  never: ['never', '永不'],
});

/** What each action reads as; anything else shows as the host wrote it. */
const labels = strings({
  'auth.signed_in': ['Signed in', '登录'],
  'auth.sign_in_failed': ['Sign-in failed', '登录失败'],
  'auth.password_changed': ['Changed their password', '修改了自己的密码'],
  'token.created': ['Created an access token', '创建访问令牌'],
  'token.revoked': ['Revoked an access token', '撤销访问令牌'],
  'person.created': ['Added a person', '添加人员'],
  'person.updated': ['Updated a person', '修改人员信息'],
  'person.password_reset': ['Reset a password', '重置密码'],
  'group.created': ['Created a group', '创建群组'],
  'group.updated': ['Updated a group', '修改群组'],
  'group.legal_hold_placed': ['Placed a legal hold', '设置法律保留'],
  'group.legal_hold_released': ['Released a legal hold', '解除法律保留'],
  'org.created': ['Created the organization', '创建组织'],
  'org.updated': ['Changed organization settings', '修改组织设置'],
  'org.exported': ['Exported the organization’s data', '导出组织数据'],
  'sso.configured': ['Set up single sign-on', '配置单点登录'],
  'sso.removed': ['Removed single sign-on', '移除单点登录'],
  'sso.linked': ['Linked an account to the identity provider', '将账号关联到身份提供方'],
  'retention.applied': ['Deleted messages past retention', '按保留期限删除消息'],
  'partner.invited': ['Invited a partner organization', '邀请合作组织'],
  'partner.accepted': ['Accepted a partner invitation', '接受合作邀请'],
  'partner.declined': ['Declined a partner invitation', '拒绝合作邀请'],
  'plugin.installed': ['Installed a plugin', '安装插件'],
  'plugin.upgraded': ['Upgraded a plugin', '升级插件'],
  'plugin.grants_changed': ['Changed a plugin’s grants', '修改插件授权'],
  'plugin.uninstalled': ['Uninstalled a plugin', '卸载插件'],
  'plugin.enabled': ['Enabled a plugin', '启用插件'],
  'plugin.disabled': ['Disabled a plugin', '停用插件'],
});

const categories = strings<AuditCategory>({
  signins: ['Sign-ins', '登录'],
  people: ['People', '人员'],
  groups: ['Groups and departments', '群组和部门'],
  org: ['Organization', '组织'],
  sso: ['Single sign-on', '单点登录'],
  partners: ['Partners', '合作组织'],
  plugins: ['Plugins', '插件'],
  tokens: ['Access tokens', '访问令牌'],
  retention: ['Retention', '消息保留'],
});

const everything = strings<AuditCategory>({
  signins: ['All sign-in activity', '全部登录活动'],
  people: ['All changes to people', '全部人员变更'],
  groups: ['All changes to groups and departments', '全部群组和部门变更'],
  org: ['All organization changes', '全部组织变更'],
  sso: ['All single sign-on changes', '全部单点登录变更'],
  partners: ['All partner activity', '全部合作组织活动'],
  plugins: ['All plugin changes', '全部插件变更'],
  tokens: ['All access token changes', '全部访问令牌变更'],
  retention: ['All retention runs', '全部保留期限清理'],
});

/** Names of the detail's fields (`auditDetailParts`); others show as written. */
const FIELDS = {
  method: ['method', '方式'],
  reason: ['reason', '原因'],
  name: ['name', '名称'],
  expires_at: ['expires', '到期'],
  email: ['email', '邮箱'],
  role: ['role', '角色'],
  status: ['status', '状态'],
  department_id: ['department', '部门'],
  title: ['title', '职务'],
  company: ['company', '公司'],
  kind: ['kind', '类型'],
  archived: ['archived', '已归档'],
  parent_id: ['parent', '上级部门'],
  head_id: ['head', '负责人'],
  time_zone: ['time zone', '时区'],
  read_receipts_enabled: ['read receipts', '已读回执'],
  anonymous_posts_enabled: ['anonymous posts', '匿名发帖'],
  group_name: ['group', '群组'],
  group_id: ['group', '群组'],
  org_id: ['organization', '组织'],
  host_org_id: ['inviting organization', '邀请方组织'],
  message_retention_days: ['retention (days)', '保留天数'],
  days: ['days', '天数'],
  deleted: ['deleted', '已删除'],
  tombstoned: ['kept as tombstones', '保留为占位'],
  events_pruned: ['events removed', '已删除事件'],
  file: ['file', '文件'],
  cutoff: ['older than', '早于'],
  via: ['via', '来源'],
  issuer: ['issuer', '签发者'],
  client_id: ['client ID', '客户端 ID'],
  domains: ['domains', '域名'],
  auto_provision: ['create accounts on first sign-in', '首次登录时创建账号'],
  sso_only: ['single sign-on only', '仅限单点登录'],
} as const;
const fields = strings(FIELDS);

function actionLabel(action: string): string {
  return isAuditAction(action) ? labels(action) : action;
}

function statusLabel(status: string): string {
  return ['active', 'disabled', 'invited'].includes(status) ? tc(`status${status}` as 'statusactive') : status;
}

function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

function orgName(id: string): string {
  return orgs.value?.find((o) => o.id === id)?.name ?? shortId(id);
}

/** Entries asked for at a time. */
const PAGE = 100;

/**
 * The organization's audit entries matching `filter`, a page at a time, newest first. New
 * filters drop the answers still on their way; `loadMore` asks for the entries before the
 * oldest loaded.
 */
function useAuditLog(orgId: string, filter: AuditFilter) {
  const [rows, setRows] = useState<AuditEntry[] | null>(null);
  /** The next page's `until`; null when everything is loaded. */
  const [cursor, setCursor] = useState<number | null>(null);
  const [loading, setLoading] = useState<'first' | 'next' | null>('first');
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const inflight = useRef<AbortController | null>(null);

  const fetchPage = (after: number | null) => {
    inflight.current?.abort();
    const ctrl = new AbortController();
    inflight.current = ctrl;
    setLoading(after === null ? 'first' : 'next');
    setError(null);
    api.get<AuditEntry[]>(`/api/v1/orgs/${orgId}/audit`, { ...auditQuery(filter, PAGE, after) }, ctrl.signal).then(
      (page) => {
        if (ctrl.signal.aborted) return;
        setRows((old) => (after === null || !old ? page : appendPage(old, page)));
        setCursor(nextAuditCursor(page, PAGE));
        setLoading(null);
      },
      (e) => {
        if (ctrl.signal.aborted) return;
        // A failed first page leaves nothing to show; a failed next page keeps the rest.
        if (after === null) setRows(null);
        setError(e);
        setLoading(null);
      },
    );
  };

  useEffect(() => {
    fetchPage(null);
    return () => inflight.current?.abort();
  }, [orgId, filter.action, filter.actor, filter.from, filter.to, tick]);

  return {
    rows,
    more: cursor !== null,
    loading,
    error,
    reload: () => setTick((n) => n + 1),
    loadMore: () => fetchPage(cursor),
  };
}

export function AuditPage({ orgId }: { orgId: string }) {
  const [action, setAction] = useState('');
  const [actor, setActor] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [text, setText] = useState('');
  const [open, setOpen] = useState<Set<string>>(new Set());
  const log = useAuditLog(orgId, { action, actor, from, to });
  const groups = useOrgGroups(orgId);

  const entries = log.rows ?? [];
  const personTarget = (e: AuditEntry) => e.action.startsWith('person.') || e.action.startsWith('auth.') || e.action === 'sso.linked';
  usePeople([
    ...entries.map((e) => e.actor_id),
    ...entries.filter(personTarget).map((e) => e.target),
    ...entries.map((e) => (typeof e.detail?.head_id === 'string' ? e.detail.head_id : null)),
  ]);

  const groupName = (id: string) => groups.data?.find((g) => g.id === id)?.name ?? shortId(id);

  const valueText = (field: string, value: string | number | boolean): string => {
    if (typeof value === 'boolean') return value ? tc('yes') : tc('no');
    const s = String(value);
    switch (field) {
      case 'role':
        return roleLabel(s);
      case 'status':
        return statusLabel(s);
      case 'kind':
        return kindLabel(s);
      case 'reason':
        return s === 'wrong_password' ? t('wrongPassword') : s === 'disabled' ? t('accountDisabled') : s === 'sso_required' ? t('ssoRequired') : s;
      case 'method':
      case 'via':
        return s === 'password' ? t('password') : s === 'sso' ? t('sso') : s;
      case 'department_id':
      case 'parent_id':
      case 'group_id':
        return groupName(s);
      case 'head_id':
        return knownPerson(s)?.display_name ?? shortId(s);
      case 'org_id':
      case 'host_org_id':
        return orgName(s);
      case 'expires_at':
        return typeof value === 'number' ? day(value) : s;
      default:
        return s;
    }
  };

  const partText = (p: AuditDetailPart): string => {
    if (p.mode === 'text') return p.text;
    const field = p.field in FIELDS ? fields(p.field as keyof typeof FIELDS) : p.field;
    return t(p.mode, { field, value: valueText(p.field, p.value) });
  };

  const summary = (e: AuditEntry): string => {
    const parts = auditDetailParts(e.action, e.detail).map(partText);
    if (e.action === 'token.created' && e.detail && e.detail.expires_at == null) parts.push(t('is', { field: fields('expires_at'), value: t('never') }));
    return parts.join(' · ');
  };

  /** The target in words: a person, group, organization, plugin or token. */
  const targetText = (e: AuditEntry): string => {
    switch (auditCategory(e.action)) {
      case 'people':
      case 'signins':
        return knownPerson(e.target)?.display_name ?? shortId(e.target);
      case 'groups':
        return groups.data?.find((g) => g.id === e.target)?.name ?? (typeof e.detail?.name === 'string' ? e.detail.name : shortId(e.target));
      case 'partners':
        return typeof e.detail?.group_name === 'string' ? e.detail.group_name : groupName(e.target);
      case 'org':
        return orgName(e.target);
      case 'sso':
        return e.action === 'sso.linked' ? (knownPerson(e.target)?.display_name ?? shortId(e.target)) : orgName(e.target);
      default:
        return e.target;
    }
  };

  const targetCell = (e: AuditEntry) => {
    const category = auditCategory(e.action);
    // A sign-in's target is whoever signed in: the person already named.
    if (category === 'signins' && e.target === e.actor_id) return <span class="muted">—</span>;
    if (category === 'people' || category === 'signins' || e.action === 'sso.linked') return <PersonChip id={e.target} />;
    if (category === 'plugins' || category === null) return <code>{e.target}</code>;
    if (category === 'tokens') return <code title={e.target}>{shortId(e.target)}</code>;
    return <span title={e.target}>{targetText(e)}</span>;
  };

  const shown = searchAudit(entries, text, (e) => `${actionLabel(e.action)} ${targetText(e)} ${summary(e)}`);
  const filtering = !!(action || actor || from || to || text);

  const exportCsv = () => {
    const rows = [
      ['time', 'actor_id', 'actor', 'action', 'label', 'target', 'target_name', 'ip', 'summary', 'detail'],
      ...shown.map((e) => [
        new Date(e.at).toISOString(),
        e.actor_id ?? '',
        knownPerson(e.actor_id)?.display_name ?? '',
        e.action,
        actionLabel(e.action),
        e.target,
        targetText(e),
        e.ip ?? '',
        summary(e),
        JSON.stringify(e.detail ?? {}),
      ]),
    ];
    const blob = new Blob(['\ufeff', toCsv(rows)], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `audit-${new Date().toISOString().slice(0, 10)}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <div class="stack">
      <SectionHead title={t('title')} hint={t('hint')}>
        <Button onClick={log.reload}>{tc('refresh')}</Button>
        <Button onClick={exportCsv} disabled={shown.length === 0} data-testid="audit-export">
          {t('exportCsv')}
        </Button>
      </SectionHead>
      <div class="admin-filters panel" role="search">
        <label class="admin-filter-field admin-filter-mid">
          <span class="field-label">{t('action')}</span>
          <select value={action} onChange={(e) => setAction((e.target as HTMLSelectElement).value)} data-testid="audit-action">
            <option value="">{t('anyAction')}</option>
            {AUDIT_CATEGORIES.map((c) => (
              <optgroup key={c.key} label={categories(c.key)}>
                <option value={c.prefix}>{everything(c.key)}</option>
                {c.actions.map((a) => (
                  <option key={a} value={a}>
                    {labels(a)}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </label>
        <div class="admin-filter-field admin-filter-mid" data-testid="audit-actor">
          <span class="field-label" aria-hidden="true">
            {t('actor')}
          </span>
          <PersonPicker id="audit-actor" ids={actor ? [actor] : []} multiple={false} onChange={(ids) => setActor(ids[0] ?? '')} placeholder={t('anyActor')} label={t('actor')} />
        </div>
        <label class="admin-filter-field">
          <span class="field-label">{t('from')}</span>
          <input type="date" value={from} max={to || undefined} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} data-testid="audit-from" />
        </label>
        <label class="admin-filter-field">
          <span class="field-label">{t('to')}</span>
          <input type="date" value={to} min={from || undefined} onInput={(e) => setTo((e.target as HTMLInputElement).value)} data-testid="audit-to" />
        </label>
        <label class="admin-filter-field admin-filter-wide">
          <span class="field-label">{t('search')}</span>
          <input type="search" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} data-testid="audit-search" />
        </label>
        {filtering && (
          <Button
            small
            variant="ghost"
            onClick={() => {
              setAction('');
              setActor('');
              setFrom('');
              setTo('');
              setText('');
            }}
          >
            {t('clear')}
          </Button>
        )}
      </div>
      {log.error && !log.rows ? (
        <ErrorNote error={log.error} onRetry={log.reload} />
      ) : !log.rows || log.loading === 'first' ? (
        <Spinner />
      ) : entries.length === 0 ? (
        <div class="panel">{filtering ? <Empty title={t('noMatch')} /> : <Empty title={t('empty')} hint={t('emptyHint')} />}</div>
      ) : (
        <>
          <p class="muted small" aria-live="polite">
            {text.trim() ? t('searched', { shown: shown.length, total: entries.length }) : t('loaded', { n: entries.length })}
          </p>
          <Table
            testid="audit-table"
            columns={[t('when'), t('actor'), t('action'), t('target'), t('details'), t('ip')]}
            empty={shown.length === 0 && <Empty title={t('noMatch')} />}
          >
            {shown.map((e) => {
              const expanded = open.has(e.id);
              return (
                <Fragment key={e.id}>
                  <tr data-testid={`audit-${e.id}`}>
                    <td class="nowrap">{when(e.at)}</td>
                    <td>{e.actor_id ? <PersonChip id={e.actor_id} /> : <span class="muted">{t('system')}</span>}</td>
                    <td>
                      <Badge tone={auditTone(e.action)}>{actionLabel(e.action)}</Badge>
                    </td>
                    <td>{targetCell(e)}</td>
                    <td>
                      <div class="admin-audit-detail">
                        <span class="small">{summary(e)}</span>
                        <button
                          type="button"
                          class="icon-btn"
                          aria-expanded={expanded}
                          aria-label={expanded ? t('hideDetail') : t('showDetail')}
                          title={expanded ? t('hideDetail') : t('showDetail')}
                          onClick={() => {
                            const next = new Set(open);
                            if (expanded) next.delete(e.id);
                            else next.add(e.id);
                            setOpen(next);
                          }}
                        >
                          {expanded ? '▴' : '▾'}
                        </button>
                      </div>
                    </td>
                    <td class="nowrap">{e.ip ? <code class="small">{e.ip}</code> : <span class="muted">—</span>}</td>
                  </tr>
                  {expanded && (
                    <tr class="admin-detail-row">
                      <td colSpan={6}>
                        <pre class="code-block">{JSON.stringify(e.detail, null, 2)}</pre>
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </Table>
          {log.error ? (
            <ErrorNote error={log.error} onRetry={log.loadMore} />
          ) : (
            <div class="admin-more">
              {log.more ? (
                <Button onClick={log.loadMore} busy={log.loading === 'next'} disabled={!!log.loading} data-testid="audit-more">
                  {t('more')}
                </Button>
              ) : (
                <span class="muted small">{t('noOlder')}</span>
              )}
            </div>
          )}
        </>
      )}
    </div>
  );
}
