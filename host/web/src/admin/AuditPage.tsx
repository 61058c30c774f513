// The audit log. The host answers the newest entries (up to 500) and filters by nothing
// else, so action, person, plugin, dates and free text are filtered here; CSV export too.

import { Fragment } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api';
import { strings } from '../i18n';
import { Badge, Button, Empty, ErrorNote, Spinner } from '../ui/kit';
import { auditSummary, dayBound, distinct, filterAudit, toCsv } from './logic';
import { useOrgGroups } from './PluginsPage';
import { PersonChip, SectionHead, Table, knownPerson, tc, useLoad, usePeople, when } from './shared';
import type { AuditEntry } from './types';

const t = strings({
  title: ['Audit log', '审计日志'],
  hint: ['Who changed what in this organization’s plugins: installs, upgrades, grants, enabling and disabling in groups. Newest first.', '记录本组织插件的变更：安装、升级、授权、在群组中启用和停用。最新的在前。'],
  action: ['Action', '操作'],
  anyAction: ['Any action', '全部操作'],
  actor: ['Person', '操作人'],
  anyActor: ['Anyone', '任何人'],
  target: ['Plugin', '插件'],
  anyTarget: ['Any plugin', '全部插件'],
  from: ['From', '开始日期'],
  to: ['To', '结束日期'],
  search: ['Search details', '搜索详情'],
  clear: ['Clear filters', '清除筛选'],
  when: ['When', '时间'],
  group: ['Group', '群组'],
  details: ['Details', '详情'],
  showDetail: ['Show details', '显示详情'],
  hideDetail: ['Hide details', '隐藏详情'],
  exportCsv: ['Export CSV', '导出 CSV'],
  count: ['{shown} of {total} entries', '共 {total} 条，显示 {shown} 条'],
  capped: ['Only the latest {n} entries are loaded.', '仅加载了最近 {n} 条记录。'],
  limit: ['Entries to load', '加载条数'],
  empty: ['Nothing recorded yet', '暂无记录'],
  emptyHint: ['Changes to plugins show up here as they happen.', '插件相关的变更会实时记录在这里。'],
  noMatch: ['No entries match these filters', '没有符合筛选条件的记录'],
  system: ['The system', '系统'],
  'plugin.installed': ['Installed', '安装'],
  'plugin.upgraded': ['Upgraded', '升级'],
  'plugin.grants_changed': ['Changed grants', '修改授权'],
  'plugin.uninstalled': ['Uninstalled', '卸载'],
  'plugin.enabled': ['Enabled in a group', '在群组中启用'],
  'plugin.disabled': ['Disabled in a group', '在群组中停用'],
});

const KNOWN = ['plugin.installed', 'plugin.upgraded', 'plugin.grants_changed', 'plugin.uninstalled', 'plugin.enabled', 'plugin.disabled'] as const;

function actionLabel(action: string): string {
  return (KNOWN as readonly string[]).includes(action) ? t(action as (typeof KNOWN)[number]) : action;
}

function actionTone(action: string) {
  if (action.endsWith('uninstalled') || action.endsWith('disabled')) return 'danger' as const;
  if (action.endsWith('installed') || action.endsWith('enabled')) return 'success' as const;
  return 'info' as const;
}

export function AuditPage({ orgId }: { orgId: string }) {
  const [limit, setLimit] = useState(500);
  const log = useLoad((signal) => api.get<AuditEntry[]>(`/api/v1/orgs/${orgId}/audit`, { limit }, signal), [orgId, limit]);
  const groups = useOrgGroups(orgId);
  const [action, setAction] = useState('');
  const [actor, setActor] = useState('');
  const [target, setTarget] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [text, setText] = useState('');
  const [open, setOpen] = useState<Set<string>>(new Set());

  const entries = log.data ?? [];
  const actors = useMemo(() => distinct(entries, (e) => e.actor_id), [entries]);
  usePeople(actors);
  const actions = useMemo(() => distinct(entries, (e) => e.action), [entries]);
  const targets = useMemo(() => distinct(entries, (e) => e.target), [entries]);
  const groupName = (id: unknown) => (typeof id === 'string' ? (groups.data?.find((g) => g.id === id)?.name ?? id.slice(0, 8)) : null);

  const shown = useMemo(
    () => filterAudit(entries, { action, actor, from: dayBound(from, false), to: dayBound(to, true), text }).filter((e) => !target || e.target === target),
    [entries, action, actor, target, from, to, text],
  );
  const filtering = !!(action || actor || target || from || to || text);

  const exportCsv = () => {
    const rows = [
      ['time', 'actor_id', 'actor', 'action', 'target', 'group', 'detail'],
      ...shown.map((e) => [new Date(e.at).toISOString(), e.actor_id ?? '', knownPerson(e.actor_id)?.display_name ?? '', e.action, e.target, groupName(e.detail?.group_id) ?? '', JSON.stringify(e.detail ?? {})]),
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
        <label class="admin-filter-field">
          <span class="field-label">{t('action')}</span>
          <select value={action} onChange={(e) => setAction((e.target as HTMLSelectElement).value)} data-testid="audit-action">
            <option value="">{t('anyAction')}</option>
            {actions.map((a) => (
              <option key={a} value={a}>
                {actionLabel(a)}
              </option>
            ))}
          </select>
        </label>
        <label class="admin-filter-field">
          <span class="field-label">{t('actor')}</span>
          <select value={actor} onChange={(e) => setActor((e.target as HTMLSelectElement).value)}>
            <option value="">{t('anyActor')}</option>
            {actors.map((a) => (
              <option key={a} value={a}>
                {knownPerson(a)?.display_name ?? a.slice(0, 8)}
              </option>
            ))}
          </select>
        </label>
        <label class="admin-filter-field">
          <span class="field-label">{t('target')}</span>
          <select value={target} onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}>
            <option value="">{t('anyTarget')}</option>
            {targets.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </label>
        <label class="admin-filter-field">
          <span class="field-label">{t('from')}</span>
          <input type="date" value={from} max={to || undefined} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
        </label>
        <label class="admin-filter-field">
          <span class="field-label">{t('to')}</span>
          <input type="date" value={to} min={from || undefined} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
        </label>
        <label class="admin-filter-field admin-filter-wide">
          <span class="field-label">{t('search')}</span>
          <input type="search" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} data-testid="audit-search" />
        </label>
        <label class="admin-filter-field">
          <span class="field-label">{t('limit')}</span>
          <select value={String(limit)} onChange={(e) => setLimit(Number((e.target as HTMLSelectElement).value))}>
            {[100, 200, 500].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        {filtering && (
          <Button
            small
            variant="ghost"
            onClick={() => {
              setAction('');
              setActor('');
              setTarget('');
              setFrom('');
              setTo('');
              setText('');
            }}
          >
            {t('clear')}
          </Button>
        )}
      </div>
      {log.error ? (
        <ErrorNote error={log.error} onRetry={log.reload} />
      ) : !log.data ? (
        <Spinner />
      ) : entries.length === 0 ? (
        <div class="panel">
          <Empty title={t('empty')} hint={t('emptyHint')} />
        </div>
      ) : (
        <>
          <p class="muted small" aria-live="polite">
            {t('count', { shown: shown.length, total: entries.length })}
            {entries.length >= limit && ` · ${t('capped', { n: limit })}`}
          </p>
          <Table
            testid="audit-table"
            columns={[t('when'), t('actor'), t('action'), t('target'), t('group'), t('details')]}
            empty={shown.length === 0 && <Empty title={t('noMatch')} />}
          >
            {shown.map((e) => {
              const expanded = open.has(e.id);
              return (
                <Fragment key={e.id}>
                  <tr>
                    <td class="nowrap">{when(e.at)}</td>
                    <td>{e.actor_id ? <PersonChip id={e.actor_id} /> : <span class="muted">{t('system')}</span>}</td>
                    <td>
                      <Badge tone={actionTone(e.action)}>{actionLabel(e.action)}</Badge>
                    </td>
                    <td>
                      <code>{e.target}</code>
                    </td>
                    <td>{groupName(e.detail?.group_id) ?? <span class="muted">—</span>}</td>
                    <td>
                      <div class="admin-audit-detail">
                        <span class="small">{auditSummary(e.detail)}</span>
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
        </>
      )}
    </div>
  );
}
