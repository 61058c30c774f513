// Plugins: what is installed (with who stands behind each package, its grants and upgrades
// on offer), what can be installed (the configured catalogs and the bundled plugins, see
// PluginCatalog.tsx), uploading a package; installing always goes through the review of the
// staged package (PluginReview.tsx). Per plugin: its grants, uninstalling, its groups
// (enable with a generated settings form, health, disable), logs and timers.

import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { localized, strings } from '../i18n';
import { navigate, onLinkClick, queryParam } from '../router';
import type { Group } from '../types';
import { Badge, Button, Empty, ErrorNote, Field, Modal, Spinner, describeError, toast } from '../ui/kit';
import { buildSettings, initialSettingValues, newestNewer, orgGroups, type OrgGroup, type SettingProblem, type SettingValues } from './logic';
import { CatalogTab } from './PluginCatalog';
import { CapChip, CapabilityChoices, TrustBadge, pluginName } from './PluginParts';
import { InstallFlow, UploadDialog, offerVersion, type Offer } from './PluginReview';
import { SettingsFields } from './SettingsForm';
import { ActionsCell, SectionHead, Table, confirmDialog, kindLabel, pool, relative, tc, useLoad, when } from './shared';
import type { CatalogItem, Enablement, Install, LogLine, Package, Timer } from './types';

const t = strings({
  title: ['Plugins', '插件'],
  hint: ['Plugins add commands, cards, pages and automations. Install one for the organization, decide what it may reach, then switch it on per group.', '插件可以提供命令、卡片、页面和自动化。先为组织安装并决定其权限，再按群组启用。'],
  installed: ['Installed', '已安装'],
  catalogTab: ['Catalog', '插件目录'],
  upload: ['Upload package', '上传插件包'],
  noneInstalled: ['No plugins installed', '尚未安装插件'],
  noneInstalledHint: ['Install one from the catalog, or upload a package.', '可从插件目录中安装，或上传插件包。'],
  browseCatalog: ['Browse the catalog', '浏览插件目录'],
  plugin: ['Plugin', '插件'],
  publisher: ['Publisher', '发布者'],
  version: ['Version', '版本'],
  grants: ['Granted', '已授权'],
  commands: ['Commands', '命令'],
  updated: ['Updated', '更新时间'],
  manage: ['Manage', '管理'],
  upgradeTo: ['Upgrade to {v}', '升级到 {v}'],
  upgradeAvailable: ['{v} available', '可升级到 {v}'],
  hook: ['Checks messages before they are posted', '会在消息发出前进行检查'],
  installed_ok: ['{name} installed. Enable it in groups next.', '已安装 {name}，接下来请在群组中启用。'],
  upgraded_ok: ['{name} upgraded to {v}', '{name} 已升级到 {v}'],
  back: ['All plugins', '全部插件'],
  notInstalled: ['{id} is not installed in this organization', '本组织未安装 {id}'],
  overview: ['Overview', '概览'],
  groups: ['Groups', '群组'],
  logs: ['Logs', '日志'],
  timers: ['Timers', '定时任务'],
  about: ['About', '简介'],
  capabilities: ['Capabilities', '权限'],
  capabilitiesHint: ['Take a capability away and the plugin loses it at once, everywhere in the organization.', '收回某项权限后，插件会立即在整个组织内失去该权限。'],
  httpHosts: ['Web hosts it may reach', '允许访问的网络主机'],
  httpHostsHint: ['Only hosts its manifest lists are accepted.', '只能填写其清单中列出的主机。'],
  addHost: ['Add host', '添加主机'],
  remove: ['Remove', '移除'],
  noHosts: ['No hosts allowed', '未允许任何主机'],
  saveGrants: ['Save grants', '保存授权'],
  grantsSaved: ['Grants saved', '授权已保存'],
  dangerZone: ['Remove from organization', '从组织中移除'],
  uninstall: ['Uninstall', '卸载'],
  uninstallHint: ['Uninstalling deletes everything the plugin stored for this organization: its records, settings in every group and pending timers.', '卸载会删除插件为本组织保存的全部数据：记录、各群组中的设置以及待执行的定时任务。'],
  uninstallTitle: ['Uninstall {name}?', '卸载 {name}？'],
  uninstalled: ['{name} uninstalled', '已卸载 {name}'],
  installedAt: ['Installed', '安装时间'],
  sha: ['Package digest', '包摘要'],
  wit: ['Contract', '接口版本'],
  id: ['ID', 'ID'],
  usage: ['Usage', '用法'],
  group: ['Group', '群组'],
  kind: ['Kind', '类型'],
  state: ['State', '状态'],
  failures: ['Failures', '失败次数'],
  since: ['Enabled', '启用时间'],
  enabledState: ['Enabled', '已启用'],
  suspended: ['Suspended', '已暂停'],
  suspendedUntil: ['Suspended until {when}: {reason}', '暂停至 {when}：{reason}'],
  notEnabled: ['Not enabled', '未启用'],
  enable: ['Enable…', '启用…'],
  settings: ['Settings…', '设置…'],
  disable: ['Disable', '停用'],
  groupSearch: ['Filter groups', '筛选群组'],
  onlyEnabled: ['Only where enabled', '仅显示已启用'],
  checking: ['Checking {done} of {total} groups…', '正在检查 {done}/{total} 个群组…'],
  noGroups: ['No groups to show', '没有可显示的群组'],
  noGroupsHint: ['Every department and group of this organization appears here, including those you are not a member of.', '这里显示本组织的所有部门和群组，包括你未加入的。'],
  archivedGroup: ['Archived', '已归档'],
  enableTitle: ['Enable {name} in {group}', '在 {group} 中启用 {name}'],
  settingsTitle: ['{name} settings in {group}', '{name} 在 {group} 中的设置'],
  hookFailure: ['If the message check fails', '如果消息检查失败'],
  hookOpen: ['Let the message through', '允许消息发送'],
  hookClosed: ['Refuse the message', '拒绝消息'],
  hookDeadline: ['Message check deadline (ms)', '消息检查时限（毫秒）'],
  hookDeadlineHint: ['1 to 1000; at most what the plugin declares.', '1 到 1000，且不超过插件声明的值。'],
  badDeadline: ['A whole number from 1 to 1000', '请输入 1 到 1000 的整数'],
  enabled_ok: ['{name} enabled in {group}', '已在 {group} 中启用 {name}'],
  saved_ok: ['Settings saved', '设置已保存'],
  disableTitle: ['Disable {name} in {group}?', '在 {group} 中停用 {name}？'],
  disableMessage: ['Its commands stop working in this group and its settings there are forgotten. Its data stays.', '其命令将在该群组中停止工作，该群组中的设置将被清除。数据会保留。'],
  disabled_ok: ['{name} disabled in {group}', '已在 {group} 中停用 {name}'],
  level: ['Level', '级别'],
  anyLevel: ['All levels', '全部级别'],
  time: ['Time', '时间'],
  message: ['Message', '内容'],
  request: ['Request', '请求'],
  autoRefresh: ['Refresh every 5 s', '每 5 秒刷新'],
  noLogs: ['No log lines yet', '暂无日志'],
  noLogsHint: ['The last 200 lines the plugin wrote on this server appear here (they are kept in memory, not stored).', '这里显示插件在本服务器上最近写入的 200 行日志（仅保存在内存中）。'],
  key: ['Key', '键'],
  due: ['Due', '到期时间'],
  attempts: ['Failed attempts', '失败次数'],
  timer: ['Timer', '定时器'],
  schedule: ['Schedule', '计划任务'],
  noTimers: ['No pending timers', '没有待执行的定时任务'],
  noTimersHint: ['Timers the plugin sets and the schedules in its manifest appear here.', '这里显示插件设置的定时器和清单中的计划任务。'],
  wholeOrg: ['Whole organization', '整个组织'],
  overdue: ['overdue', '已逾期'],
});

// ---------------------------------------------------------------------------------------
// Offers and trust, shared by the list and a plugin's page

/** The bundled plugins and the configured catalogs' versions, and the best upgrade for an install. */
function useOffers(orgId: string) {
  const bundled = useLoad((signal) => api.get<Package[]>('/api/v1/plugins/catalog', undefined, signal), []);
  const catalog = useLoad((signal) => api.get<CatalogItem[]>(`/api/v1/orgs/${orgId}/plugin-catalog`, undefined, signal), [orgId]);
  const upgradeFor = (install: Install): Offer | null => {
    const id = install.package.id;
    // Signed catalog versions before a bundled one of the same version.
    const candidates: (Offer & { version: string })[] = [
      ...(catalog.data ?? []).filter((i) => i.id === id && i.compatible).map((item) => ({ kind: 'catalog' as const, item, version: item.version })),
      ...(bundled.data ?? []).filter((p) => p.id === id).map((pkg) => ({ kind: 'bundled' as const, pkg, version: pkg.version })),
    ];
    return newestNewer(install.package.version, candidates);
  };
  return { bundled, catalog, upgradeFor };
}

/** Installs or upgrades what `offer` names, through the review; says so when done. */
function useInstaller(orgId: string, installs: Install[], onInstalled: () => void) {
  const [offer, setOffer] = useState<Offer | null>(null);
  const done = (inst: Install) => {
    const name = pluginName(inst.package);
    const before = installs.find((i) => i.package.id === inst.package.id);
    toast(before && before.package.version !== inst.package.version ? t('upgraded_ok', { name, v: inst.package.version }) : t('installed_ok', { name }));
    setOffer(null);
    onInstalled();
  };
  const dialog = offer && <InstallFlow key={offer.kind === 'bundled' ? offer.pkg.sha256 : `${offer.item.source}@${offer.item.id}@${offer.item.version}`} orgId={orgId} offer={offer} installs={installs} onClose={() => setOffer(null)} onDone={done} />;
  return { open: setOffer, dialog, done };
}

// ---------------------------------------------------------------------------------------
// The list: installed plugins, and the catalog

type PageTab = 'installed' | 'catalog';

export function PluginsPage({ orgId }: { orgId: string }) {
  const installs = useLoad((signal) => api.get<Install[]>(`/api/v1/orgs/${orgId}/plugins`, undefined, signal), [orgId]);
  const { bundled, catalog, upgradeFor } = useOffers(orgId);
  const [uploading, setUploading] = useState(false);
  const list = installs.data ?? [];
  const reload = () => {
    installs.reload();
    catalog.reload();
  };
  const installer = useInstaller(orgId, list, reload);
  const tab: PageTab = queryParam('tab') === 'catalog' ? 'catalog' : 'installed';
  const setTab = (x: PageTab) => navigate(x === 'catalog' ? '/admin/plugins?tab=catalog' : '/admin/plugins', true);

  return (
    <div class="stack">
      <SectionHead title={t('title')} hint={t('hint')}>
        <Button onClick={() => setUploading(true)} data-testid="upload-plugin">
          {t('upload')}
        </Button>
      </SectionHead>
      <div class="tabs admin-subtabs" role="tablist">
        {(['installed', 'catalog'] as PageTab[]).map((x) => (
          <button key={x} type="button" role="tab" aria-selected={tab === x} class={`tab${tab === x ? ' active' : ''}`} onClick={() => setTab(x)} data-testid={`plugins-tab-${x}`}>
            {x === 'installed' ? t('installed') : t('catalogTab')}
            {x === 'installed' && installs.data && <span class="admin-count">{installs.data.length}</span>}
          </button>
        ))}
      </div>

      {tab === 'catalog' ? (
        <CatalogTab catalog={catalog} bundled={bundled} installs={list} onOffer={installer.open} />
      ) : installs.error ? (
        <ErrorNote error={installs.error} onRetry={installs.reload} />
      ) : !installs.data ? (
        <Spinner />
      ) : (
        <Table
          testid="installed-plugins"
          columns={[t('plugin'), t('version'), t('publisher'), t('grants'), t('commands'), t('updated')]}
          actions
          empty={
            installs.data.length === 0 && (
              <Empty title={t('noneInstalled')} hint={t('noneInstalledHint')}>
                <Button small variant="primary" onClick={() => setTab('catalog')}>
                  {t('browseCatalog')}
                </Button>
              </Empty>
            )
          }
        >
          {installs.data.map((i) => {
            const up = upgradeFor(i);
            const trust = i.trust;
            const href = `/admin/plugins/${encodeURIComponent(i.package.id)}`;
            return (
              <tr key={i.package.id} data-testid={`installed-${i.package.id}`}>
                <td>
                  <a href={href} onClick={(e) => onLinkClick(e, href)} class="admin-strong-link">
                    {pluginName(i.package)}
                  </a>
                  <div class="muted small">
                    <code>{i.package.id}</code>
                  </div>
                </td>
                <td class="nowrap">
                  {i.package.version} {up && <Badge tone="info">{t('upgradeAvailable', { v: offerVersion(up) })}</Badge>}
                </td>
                <td>{trust ? <TrustBadge trust={trust} /> : trust === undefined ? <span class="spinner" aria-hidden="true" /> : <span class="muted">—</span>}</td>
                <td>
                  <div class="admin-caps">
                    {i.package.capabilities.length === 0 ? <span class="muted">—</span> : i.package.capabilities.map((c) => <CapChip key={c} cap={c} granted={i.grants.includes(c)} />)}
                  </div>
                </td>
                <td>{i.package.commands.map((c) => `/${c.name}`).join(' ') || <span class="muted">—</span>}</td>
                <td class="nowrap" title={when(i.updated_at)}>
                  {relative(i.updated_at)}
                </td>
                <ActionsCell>
                  {up && (
                    <Button small onClick={() => installer.open(up)} data-testid={`upgrade-${i.package.id}`}>
                      {t('upgradeTo', { v: offerVersion(up) })}
                    </Button>
                  )}
                  <Button small variant="primary" onClick={() => navigate(href)}>
                    {t('manage')}
                  </Button>
                </ActionsCell>
              </tr>
            );
          })}
        </Table>
      )}

      {installer.dialog}
      {uploading && (
        <UploadDialog
          orgId={orgId}
          installs={list}
          onClose={() => setUploading(false)}
          onDone={(i) => {
            setUploading(false);
            installer.done(i);
          }}
        />
      )}
    </div>
  );
}

// ---------------------------------------------------------------------------------------
// One installed plugin

type Tab = 'overview' | 'groups' | 'logs' | 'timers';

export function PluginDetail({ orgId, pluginId }: { orgId: string; pluginId: string }) {
  const installs = useLoad((signal) => api.get<Install[]>(`/api/v1/orgs/${orgId}/plugins`, undefined, signal), [orgId]);
  const { catalog, upgradeFor } = useOffers(orgId);
  const groups = useOrgGroups(orgId);
  const [tab, setTab] = useState<Tab>('overview');
  const install = installs.data?.find((i) => i.package.id === pluginId);
  const installer = useInstaller(orgId, installs.data ?? [], () => {
    installs.reload();
    catalog.reload();
  });

  const back = (
    <a href="/admin/plugins" class="admin-back" onClick={(e) => onLinkClick(e, '/admin/plugins')}>
      ← {t('back')}
    </a>
  );
  if (installs.error) return <ErrorNote error={installs.error} onRetry={installs.reload} />;
  if (!installs.data) return <Spinner />;
  if (!install) {
    return (
      <div class="stack">
        {back}
        <div class="panel">
          <Empty title={t('notInstalled', { id: pluginId })} />
        </div>
      </div>
    );
  }
  const pkg = install.package;
  const up = upgradeFor(install);
  const name = pluginName(pkg);
  const trust = install.trust;

  return (
    <div class="stack" data-testid="plugin-detail">
      {back}
      <div class="admin-detail-head">
        <div>
          <h2>{name}</h2>
          <p class="muted small">
            <code>{pkg.id}</code> · {pkg.version} {trust && <TrustBadge trust={trust} />}
          </p>
        </div>
        <div class="admin-section-actions">
          {up && (
            <Button variant="primary" onClick={() => installer.open(up)} data-testid="upgrade-plugin">
              {t('upgradeTo', { v: offerVersion(up) })}
            </Button>
          )}
        </div>
      </div>
      <div class="tabs admin-subtabs" role="tablist">
        {(['overview', 'groups', 'logs', 'timers'] as Tab[]).map((x) => (
          <button key={x} type="button" role="tab" aria-selected={tab === x} class={`tab${tab === x ? ' active' : ''}`} onClick={() => setTab(x)} data-testid={`plugin-tab-${x}`}>
            {t(x)}
          </button>
        ))}
      </div>
      {tab === 'overview' && <Overview orgId={orgId} install={install} onChanged={(i) => installs.set(installs.data!.map((x) => (x.package.id === i.package.id ? i : x)))} />}
      {tab === 'groups' && <PluginGroups pkg={pkg} groups={groups} />}
      {tab === 'logs' && <PluginLogs orgId={orgId} pluginId={pkg.id} groupName={(id) => groups.data?.find((g) => g.id === id)?.name} />}
      {tab === 'timers' && <PluginTimers orgId={orgId} pluginId={pkg.id} groupName={(id) => groups.data?.find((g) => g.id === id)?.name} />}
      {installer.dialog}
    </div>
  );
}

function Overview({ orgId, install, onChanged }: { orgId: string; install: Install; onChanged: (i: Install) => void }) {
  const pkg = install.package;
  const name = pluginName(pkg);
  const [chosen, setChosen] = useState(() => new Set(install.grants));
  const [hosts, setHosts] = useState<string[]>(install.http_hosts);
  const [newHost, setNewHost] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const grants = pkg.capabilities.filter((c) => chosen.has(c));
  const dirty = grants.join(',') !== pkg.capabilities.filter((c) => install.grants.includes(c)).join(',') || hosts.join(',') !== install.http_hosts.join(',');

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const updated = await api.patch<Install>(`/api/v1/orgs/${orgId}/plugins/${encodeURIComponent(pkg.id)}`, { grants, http_hosts: hosts });
      onChanged(updated);
      setChosen(new Set(updated.grants));
      setHosts(updated.http_hosts);
      toast(t('grantsSaved'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const uninstall = async () => {
    const ok = await confirmDialog({
      title: t('uninstallTitle', { name }),
      message: t('uninstallHint'),
      confirmLabel: t('uninstall'),
      danger: true,
      typeToConfirm: pkg.id,
    });
    if (!ok) return;
    try {
      await api.del(`/api/v1/orgs/${orgId}/plugins/${encodeURIComponent(pkg.id)}?confirm=true`);
      toast(t('uninstalled', { name }));
      navigate('/admin/plugins');
    } catch (err) {
      toast(describeError(err), 'error');
    }
  };

  const addHost = () => {
    const h = newHost.trim().toLowerCase();
    if (h && !hosts.includes(h)) setHosts([...hosts, h]);
    setNewHost('');
  };

  return (
    <div class="admin-grid-main">
      <div class="stack">
        <form class="panel stack" onSubmit={save} data-testid="plugin-grants">
          <SectionHead title={t('capabilities')} hint={t('capabilitiesHint')} />
          <CapabilityChoices caps={pkg.capabilities} chosen={chosen} onChange={setChosen} quiet />
          {pkg.capabilities.includes('http') && (
            <div class="field">
              <span class="field-label">{t('httpHosts')}</span>
              <span class="field-hint">{t('httpHostsHint')}</span>
              <div class="admin-chips">
                {hosts.length === 0 && <span class="muted small">{t('noHosts')}</span>}
                {hosts.map((h) => (
                  <span key={h} class="admin-chip">
                    <code>{h}</code>
                    <button type="button" class="admin-chip-x" aria-label={`${t('remove')} ${h}`} onClick={() => setHosts(hosts.filter((x) => x !== h))}>
                      ×
                    </button>
                  </span>
                ))}
              </div>
              <div class="admin-input-row">
                <input
                  value={newHost}
                  placeholder="api.example.com"
                  aria-label={t('addHost')}
                  spellcheck={false}
                  onInput={(e) => setNewHost((e.target as HTMLInputElement).value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') {
                      e.preventDefault();
                      addHost();
                    }
                  }}
                />
                <Button small onClick={addHost} disabled={!newHost.trim()}>
                  {t('addHost')}
                </Button>
              </div>
            </div>
          )}
          <ErrorNote error={error} />
          <div class="admin-form-actions">
            <Button type="submit" variant="primary" busy={busy} disabled={!dirty} data-testid="save-grants">
              {t('saveGrants')}
            </Button>
          </div>
        </form>
        <section class="panel stack admin-danger">
          <h3>{t('dangerZone')}</h3>
          <p class="muted">{t('uninstallHint')}</p>
          <div>
            <Button variant="danger" onClick={() => void uninstall()} data-testid="uninstall-plugin">
              {t('uninstall')}
            </Button>
          </div>
        </section>
      </div>
      <aside class="panel admin-facts">
        <h3>{t('about')}</h3>
        {pkg.description && <p>{localized(pkg.description)}</p>}
        <dl>
          <dt>{t('id')}</dt>
          <dd>
            <code>{pkg.id}</code>
          </dd>
          <dt>{t('version')}</dt>
          <dd>{pkg.version}</dd>
          <dt>{t('wit')}</dt>
          <dd>{pkg.wit}</dd>
          <dt>{t('installedAt')}</dt>
          <dd>{when(install.installed_at)}</dd>
          <dt>{t('updated')}</dt>
          <dd>{when(install.updated_at)}</dd>
          <dt>{t('sha')}</dt>
          <dd>
            <code title={pkg.sha256}>{pkg.sha256.slice(0, 12)}…</code>
          </dd>
        </dl>
        {pkg.commands.length > 0 && (
          <>
            <h4>{t('commands')}</h4>
            <ul class="admin-commands">
              {pkg.commands.map((c) => (
                <li key={c.name}>
                  <code>
                    /{c.name}
                    {c.usage ? ` ${c.usage}` : ''}
                  </code>
                  <span class="muted small">{localized(c.description)}</span>
                </li>
              ))}
            </ul>
          </>
        )}
        {pkg.before_message_hook && <p class="muted small">⚑ {t('hook')}</p>}
      </aside>
    </div>
  );
}

// ---------------------------------------------------------------------------------------
// Groups: where the plugin is on, its health there, enabling with settings

/** Every group of the organization but direct conversations, archived ones included. */
export function useOrgGroups(orgId: string) {
  return useLoad(async (signal) => orgGroups(await api.get<Group[]>(`/api/v1/orgs/${orgId}/groups`, undefined, signal)), [orgId]);
}

function PluginGroups({ pkg, groups }: { pkg: Package; groups: ReturnType<typeof useOrgGroups> }) {
  const [states, setStates] = useState<Record<string, Enablement | null | 'error'>>({});
  const [done, setDone] = useState(0);
  const [filter, setFilter] = useState('');
  const [onlyEnabled, setOnlyEnabled] = useState(false);
  const [editing, setEditing] = useState<{ group: OrgGroup; current: Enablement | null } | null>(null);
  const list = groups.data ?? [];
  const name = pluginName(pkg);

  const check = async (g: OrgGroup) => {
    try {
      const en = await api.get<Enablement[]>(`/api/v1/groups/${g.id}/plugins`);
      return [g.id, en.find((e) => e.plugin_id === pkg.id) ?? null] as const;
    } catch {
      return [g.id, 'error' as const] as const;
    } finally {
      setDone((n) => n + 1);
    }
  };

  useEffect(() => {
    if (!groups.data) return;
    let live = true;
    setDone(0);
    void pool(groups.data, 6, check).then((found) => {
      if (live) setStates(Object.fromEntries(found));
    });
    return () => {
      live = false;
    };
  }, [groups.data, pkg.id]);

  const disable = async (g: OrgGroup) => {
    const ok = await confirmDialog({
      title: t('disableTitle', { name, group: g.name }),
      message: t('disableMessage'),
      confirmLabel: t('disable'),
      danger: true,
    });
    if (!ok) return;
    try {
      await api.del(`/api/v1/groups/${g.id}/plugins/${encodeURIComponent(pkg.id)}`);
      setStates({ ...states, [g.id]: null });
      toast(t('disabled_ok', { name, group: g.name }));
    } catch (err) {
      toast(describeError(err), 'error');
    }
  };

  if (groups.error) return <ErrorNote error={groups.error} onRetry={groups.reload} />;
  if (!groups.data) return <Spinner />;
  const checked = Object.keys(states).length > 0;
  const q = filter.trim().toLowerCase();
  const shown = list.filter((g) => (!q || g.name.toLowerCase().includes(q)) && (!onlyEnabled || (states[g.id] && states[g.id] !== 'error')));

  return (
    <div class="stack">
      <div class="admin-toolbar">
        <input type="search" class="admin-search" placeholder={t('groupSearch')} aria-label={t('groupSearch')} value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        <label class="admin-check">
          <input type="checkbox" checked={onlyEnabled} onChange={(e) => setOnlyEnabled((e.target as HTMLInputElement).checked)} />
          <span>{t('onlyEnabled')}</span>
        </label>
        {!checked && list.length > 0 && <span class="muted small">{t('checking', { done, total: list.length })}</span>}
      </div>
      <Table
        testid="plugin-groups"
        columns={[t('group'), t('kind'), t('state'), t('failures'), t('since')]}
        actions
        empty={shown.length === 0 && <Empty title={t('noGroups')} hint={t('noGroupsHint')} />}
      >
        {shown.map((g) => {
          const st = states[g.id];
          const en = st && st !== 'error' ? st : null;
          return (
            <tr key={g.id} data-testid={`plugin-group-${g.id}`}>
              <td>
                <strong>{g.name}</strong> {g.archived && <Badge tone="neutral">{t('archivedGroup')}</Badge>}
              </td>
              <td>{kindLabel(g.kind)}</td>
              <td>
                {st === undefined ? (
                  <span class="spinner" aria-hidden="true" />
                ) : st === 'error' ? (
                  <span class="muted">—</span>
                ) : en ? (
                  en.suspended_reason ? (
                    <span title={t('suspendedUntil', { when: when(en.suspended_until), reason: en.suspended_reason })}>
                      <Badge tone="danger">{t('suspended')}</Badge>
                      <div class="small muted">{t('suspendedUntil', { when: en.suspended_until ? relative(en.suspended_until) : '—', reason: en.suspended_reason })}</div>
                    </span>
                  ) : (
                    <Badge tone="success">{t('enabledState')}</Badge>
                  )
                ) : (
                  <span class="muted">{t('notEnabled')}</span>
                )}
              </td>
              <td>{en ? en.failures > 0 ? <Badge tone="warning">{en.failures}</Badge> : '0' : ''}</td>
              <td class="nowrap">{en ? relative(en.enabled_at) : ''}</td>
              <ActionsCell>
                {st !== undefined &&
                  st !== 'error' &&
                  (en ? (
                    <>
                      <Button small onClick={() => setEditing({ group: g, current: en })}>
                        {t('settings')}
                      </Button>
                      <Button small variant="danger" onClick={() => void disable(g)}>
                        {t('disable')}
                      </Button>
                    </>
                  ) : (
                    <Button small variant="primary" onClick={() => setEditing({ group: g, current: null })} data-testid="enable-plugin">
                      {t('enable')}
                    </Button>
                  ))}
              </ActionsCell>
            </tr>
          );
        })}
      </Table>
      {editing && (
        <EnableDialog
          pkg={pkg}
          group={editing.group}
          current={editing.current}
          onClose={() => setEditing(null)}
          onDone={(en) => {
            setStates({ ...states, [editing.group.id]: en });
            setEditing(null);
          }}
        />
      )}
    </div>
  );
}

function EnableDialog({ pkg, group, current, onClose, onDone }: { pkg: Package; group: OrgGroup; current: Enablement | null; onClose: () => void; onDone: (e: Enablement) => void }) {
  const [values, setValues] = useState<SettingValues>(() => initialSettingValues(pkg.settings, current?.settings));
  const [errors, setErrors] = useState<Record<string, SettingProblem>>({});
  const [hookFailure, setHookFailure] = useState(current?.hook_failure ?? 'open');
  const [deadline, setDeadline] = useState(current ? String(current.hook_deadline_ms) : '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [tried, setTried] = useState(false);
  const name = pluginName(pkg);
  const deadlineOk = deadline.trim() === '' || (/^\d+$/.test(deadline.trim()) && +deadline >= 1 && +deadline <= 1000);

  const change = (v: SettingValues) => {
    setValues(v);
    if (tried) setErrors(buildSettings(pkg.settings, v).errors);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setTried(true);
    const built = buildSettings(pkg.settings, values);
    setErrors(built.errors);
    if (Object.keys(built.errors).length > 0 || !deadlineOk) return;
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { settings: built.settings };
      if (pkg.before_message_hook) {
        body.hook_failure = hookFailure;
        if (deadline.trim()) body.hook_deadline_ms = Number(deadline.trim());
      }
      const en = await api.put<Enablement>(`/api/v1/groups/${group.id}/plugins/${encodeURIComponent(pkg.id)}`, body);
      toast(current ? t('saved_ok') : t('enabled_ok', { name, group: group.name }));
      onDone(en);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal title={current ? t('settingsTitle', { name, group: group.name }) : t('enableTitle', { name, group: group.name })} onClose={onClose} wide>
      <form class="stack" onSubmit={submit} noValidate data-testid="enable-form">
        <SettingsFields specs={pkg.settings} values={values} errors={errors} onChange={change} />
        {pkg.before_message_hook && (
          <div class="admin-form-grid">
            <Field label={t('hookFailure')}>
              <select value={hookFailure} onChange={(e) => setHookFailure((e.target as HTMLSelectElement).value)}>
                <option value="open">{t('hookOpen')}</option>
                <option value="closed">{t('hookClosed')}</option>
              </select>
            </Field>
            <Field label={t('hookDeadline')} hint={t('hookDeadlineHint')} error={tried && !deadlineOk ? t('badDeadline') : null}>
              <input type="text" inputMode="numeric" value={deadline} onInput={(e) => setDeadline((e.target as HTMLInputElement).value)} />
            </Field>
          </div>
        )}
        <ErrorNote error={error} />
        <div class="admin-form-actions">
          <Button onClick={onClose}>{tc('cancel')}</Button>
          <Button type="submit" variant="primary" busy={busy} data-testid="enable-confirm">
            {current ? tc('save') : t('enable').replace('…', '')}
          </Button>
        </div>
      </form>
    </Modal>
  );
}

// ---------------------------------------------------------------------------------------
// Logs and timers

function PluginLogs({ orgId, pluginId, groupName }: { orgId: string; pluginId: string; groupName: (id: string) => string | undefined }) {
  const logs = useLoad((signal) => api.get<LogLine[]>(`/api/v1/orgs/${orgId}/plugins/${encodeURIComponent(pluginId)}/logs`, undefined, signal), [orgId, pluginId]);
  const [level, setLevel] = useState('');
  const [auto, setAuto] = useState(false);
  useEffect(() => {
    if (!auto) return;
    const timer = setInterval(logs.reload, 5000);
    return () => clearInterval(timer);
  }, [auto]);
  const shown = (logs.data ?? []).filter((l) => !level || l.level === level);
  const tone = (l: string) => (l === 'error' ? 'danger' : l === 'warn' ? 'warning' : l === 'info' ? 'info' : 'neutral');
  return (
    <div class="stack">
      <div class="admin-toolbar">
        <select aria-label={t('level')} class="admin-filter" value={level} onChange={(e) => setLevel((e.target as HTMLSelectElement).value)}>
          <option value="">{t('anyLevel')}</option>
          {['error', 'warn', 'info', 'debug'].map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
        <label class="admin-check">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto((e.target as HTMLInputElement).checked)} />
          <span>{t('autoRefresh')}</span>
        </label>
        <span class="spacer" />
        <Button small onClick={logs.reload} busy={logs.loading && !!logs.data}>
          {tc('refresh')}
        </Button>
      </div>
      {logs.error ? (
        <ErrorNote error={logs.error} onRetry={logs.reload} />
      ) : !logs.data ? (
        <Spinner />
      ) : (
        <Table
          class="admin-logs"
          testid="plugin-logs"
          columns={[t('time'), t('level'), t('group'), t('message'), t('request')]}
          empty={shown.length === 0 && <Empty title={t('noLogs')} hint={t('noLogsHint')} />}
        >
          {shown.map((l, i) => (
            <tr key={`${l.at}-${i}`}>
              <td class="nowrap">{when(l.at)}</td>
              <td>
                <Badge tone={tone(l.level)}>{l.level}</Badge>
              </td>
              <td>{l.group_id ? (groupName(l.group_id) ?? <code>{l.group_id.slice(0, 8)}</code>) : <span class="muted">—</span>}</td>
              <td class="admin-log-message">{l.message}</td>
              <td>
                <code class="small" title={l.request_id}>
                  {l.request_id.slice(0, 8)}
                </code>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}

function PluginTimers({ orgId, pluginId, groupName }: { orgId: string; pluginId: string; groupName: (id: string) => string | undefined }) {
  const timers = useLoad((signal) => api.get<Timer[]>(`/api/v1/orgs/${orgId}/plugins/${encodeURIComponent(pluginId)}/timers`, undefined, signal), [orgId, pluginId]);
  const now = Date.now();
  return (
    <div class="stack">
      <div class="admin-toolbar">
        <span class="spacer" />
        <Button small onClick={timers.reload}>
          {tc('refresh')}
        </Button>
      </div>
      {timers.error ? (
        <ErrorNote error={timers.error} onRetry={timers.reload} />
      ) : !timers.data ? (
        <Spinner />
      ) : (
        <Table
          testid="plugin-timers"
          columns={[t('kind'), t('key'), t('group'), t('due'), t('attempts')]}
          empty={timers.data.length === 0 && <Empty title={t('noTimers')} hint={t('noTimersHint')} />}
        >
          {[...timers.data]
            .sort((a, b) => a.due_at - b.due_at)
            .map((x) => (
              <tr key={x.id}>
                <td>
                  <Badge tone={x.kind === 'schedule' ? 'info' : 'neutral'}>{x.kind === 'schedule' ? t('schedule') : t('timer')}</Badge>
                </td>
                <td>
                  <code>{x.key}</code>
                </td>
                <td>{x.group_id ? (groupName(x.group_id) ?? <code>{x.group_id.slice(0, 8)}</code>) : <span class="muted">{t('wholeOrg')}</span>}</td>
                <td class="nowrap" title={when(x.due_at)}>
                  {relative(x.due_at)} {x.due_at < now && <Badge tone="warning">{t('overdue')}</Badge>}
                </td>
                <td>{x.attempts > 0 ? <Badge tone="danger">{x.attempts}</Badge> : '0'}</td>
              </tr>
            ))}
        </Table>
      )}
    </div>
  );
}
