// What can be installed: the versions the configured plugin catalogs offer (grouped by
// plugin, the newest compatible version first, older ones a click away), and the plugins
// bundled with the server. Installing or upgrading opens the review (PluginReview.tsx).

import { localized, strings } from '../i18n';
import { navigate } from '../router';
import { Badge, Button, Empty, ErrorNote, Spinner } from '../ui/kit';
import { formatSize, groupCatalog, newestNewer, offerState, type CatalogGroup, type OfferState } from './logic';
import { CapChip, PluginIcon, TrustBadge, pluginName } from './PluginParts';
import type { Offer } from './PluginReview';
import { SectionHead, type Loaded } from './shared';
import type { CatalogItem, Install, Package } from './types';

const t = strings({
  catalogTitle: ['From plugin catalogs', '来自插件目录'],
  catalogHint: ['What the catalogs this server is set up with offer. Installing downloads the package, checks its signature and shows you what it asks for first.', '本服务器所配置的插件目录中提供的插件。安装时会下载插件包、校验签名，并先向你展示它所需的权限。'],
  noCatalog: ['No catalog offers anything', '插件目录中没有可安装的插件'],
  noCatalogHint: ['Catalogs are set in the server’s courtyard.toml (plugin_catalogs: a directory or an https address). One that cannot be read is left out and noted in the server’s log.', '插件目录在服务器的 courtyard.toml 中配置（plugin_catalogs：目录路径或 https 地址）。无法读取的目录会被略过，并记录在服务器日志中。'],
  bundledTitle: ['Bundled with this server', '本服务器自带'],
  bundledHint: ['Plugins that ship with Courtyard itself. Review what each asks for before installing.', '随 Courtyard 一同提供的插件。安装前请查看其所需权限。'],
  noBundled: ['No bundled plugins', '没有自带插件'],
  noBundledHint: ['This server has no bundled plugins. Use a catalog or upload a package.', '本服务器没有自带插件，可使用插件目录或上传插件包。'],
  install: ['Install…', '安装…'],
  upgradeTo: ['Upgrade to {v}…', '升级到 {v}…'],
  installed: ['Installed', '已安装'],
  installedVersion: ['{v} installed', '已安装 {v}'],
  olderThanInstalled: ['Older than the installed {v}', '比已安装的 {v} 旧'],
  notCompatible: ['Not compatible', '不兼容'],
  notCompatibleReason: ['Not compatible: {reason}', '不兼容：{reason}'],
  manage: ['Manage', '管理'],
  otherVersions: ['Other versions ({n})', '其他版本（{n}）'],
  asks: ['Asks for', '需要权限'],
  asksNothing: ['Asks for no capabilities', '不需要任何权限'],
  commands: ['Commands', '命令'],
  hook: ['Checks messages before they are posted', '会在消息发出前进行检查'],
  settingsCount: ['{n} settings per group', '每个群组 {n} 项设置'],
  contract: ['contract {wit}', '接口 {wit}'],
});

function itemName(item: CatalogItem): string {
  return localized(item.name) || item.id;
}

function iconSrc(item: CatalogItem): string | null {
  return item.icon_base64 ? `data:image/png;base64,${item.icon_base64}` : null;
}

function manage(id: string) {
  navigate(`/admin/plugins/${encodeURIComponent(id)}`);
}

/** The button (or words) for one catalog version. */
function OfferAction({ item, state, small, testid, onOffer }: { item: CatalogItem; state: OfferState; small?: boolean; testid?: string; onOffer: (o: Offer) => void }) {
  switch (state) {
    case 'install':
      return (
        <Button small={small} variant="primary" onClick={() => onOffer({ kind: 'catalog', item })} data-testid={testid}>
          {t('install')}
        </Button>
      );
    case 'upgrade':
      return (
        <Button small={small} variant="primary" onClick={() => onOffer({ kind: 'catalog', item })} data-testid={testid}>
          {t('upgradeTo', { v: item.version })}
        </Button>
      );
    case 'installed':
      return (
        <Button small={small} onClick={() => manage(item.id)} data-testid={testid}>
          {t('manage')}
        </Button>
      );
    case 'older':
      return <span class="muted small">{t('olderThanInstalled', { v: item.installed_version ?? '' })}</span>;
    case 'incompatible':
      return (
        <Button small={small} disabled title={localized(item.incompatible)} data-testid={testid}>
          {t('notCompatible')}
        </Button>
      );
  }
}

function CatalogCard({ group, onOffer }: { group: CatalogGroup<CatalogItem>; onOffer: (o: Offer) => void }) {
  const p = group.primary;
  const state = offerState(p);
  const name = itemName(p);
  return (
    <article class="panel admin-plugin-card" data-testid={`catalog-item-${p.id}`} data-state={state} data-version={p.version}>
      <header class="admin-plugin-card-head">
        <div class="admin-pkg-head">
          <PluginIcon src={iconSrc(p)} name={name} size={40} />
          <div class="admin-pkg-title">
            <h4>{name}</h4>
            <span class="muted small">
              <code>{p.id}</code> · {p.version}
            </span>
          </div>
        </div>
        {p.installed_version !== null &&
          (state === 'installed' ? <Badge tone="success">{t('installed')}</Badge> : <Badge tone="neutral">{t('installedVersion', { v: p.installed_version })}</Badge>)}
      </header>
      <TrustBadge trust={p.trust} />
      {p.summary && <p class="admin-plugin-desc">{localized(p.summary)}</p>}
      <div class="admin-plugin-meta">
        <span class="muted small">{p.capabilities.length ? t('asks') : t('asksNothing')}</span>
        <div class="admin-caps">
          {p.capabilities.map((c) => (
            <CapChip key={c} cap={c} />
          ))}
        </div>
        <span class="muted small">
          {formatSize(p.size)} · {p.catalog_name || p.source} · {t('contract', { wit: p.wit })}
        </span>
      </div>
      {state === 'incompatible' && (
        <p class="admin-warning" data-testid="incompatible">
          {t('notCompatibleReason', { reason: localized(p.incompatible) })}
        </p>
      )}
      {group.others.length > 0 && (
        <details class="admin-versions" data-testid="other-versions">
          <summary>{t('otherVersions', { n: group.others.length })}</summary>
          <ul>
            {group.others.map((o) => {
              const s = offerState(o);
              return (
                <li key={`${o.source}@${o.version}`} data-testid={`catalog-version-${o.version}`} data-state={s}>
                  <span class="admin-version-label">
                    <strong>{o.version}</strong>
                    <TrustBadge trust={o.trust} publisher={false} />
                    <span class="muted small">
                      {formatSize(o.size)} · {o.catalog_name || o.source}
                    </span>
                    {s === 'incompatible' && <span class="small admin-version-why">{t('notCompatibleReason', { reason: localized(o.incompatible) })}</span>}
                  </span>
                  {s !== 'incompatible' && <OfferAction item={o} state={s} small onOffer={onOffer} />}
                </li>
              );
            })}
          </ul>
        </details>
      )}
      <footer class="admin-plugin-card-foot">
        <OfferAction item={p} state={state} testid={`catalog-install-${p.id}`} onOffer={onOffer} />
      </footer>
    </article>
  );
}

/** The configured catalogs' plugins. */
function CatalogList({ catalog, onOffer }: { catalog: Loaded<CatalogItem[]>; onOffer: (o: Offer) => void }) {
  if (catalog.error) return <ErrorNote error={catalog.error} onRetry={catalog.reload} />;
  if (!catalog.data) return <Spinner />;
  if (catalog.data.length === 0) {
    return (
      <div class="panel" data-testid="catalog-items">
        <Empty title={t('noCatalog')} hint={t('noCatalogHint')} />
      </div>
    );
  }
  return (
    <div class="admin-cards" data-testid="catalog-items">
      {groupCatalog(catalog.data).map((g) => (
        <CatalogCard key={g.id} group={g} onOffer={onOffer} />
      ))}
    </div>
  );
}

/** The plugins bundled with the server. */
function BundledList({ bundled, installs, onOffer }: { bundled: Loaded<Package[]>; installs: Install[]; onOffer: (o: Offer) => void }) {
  if (bundled.error) return <ErrorNote error={bundled.error} onRetry={bundled.reload} />;
  if (!bundled.data) return <Spinner />;
  if (bundled.data.length === 0) {
    return (
      <div class="panel">
        <Empty title={t('noBundled')} hint={t('noBundledHint')} />
      </div>
    );
  }
  return (
    <div class="admin-cards" data-testid="plugin-catalog">
      {bundled.data.map((p) => {
        const current = installs.find((i) => i.package.id === p.id);
        const up = current && newestNewer(current.package.version, [p]);
        return (
          <article key={p.id} class="panel admin-plugin-card" data-testid={`catalog-${p.id}`}>
            <header class="admin-plugin-card-head">
              <div class="admin-pkg-head">
                <PluginIcon src={null} name={pluginName(p)} size={40} />
                <div class="admin-pkg-title">
                  <h4>{pluginName(p)}</h4>
                  <span class="muted small">
                    <code>{p.id}</code> · {p.version}
                  </span>
                </div>
              </div>
              {current && (current.package.version === p.version ? <Badge tone="success">{t('installed')}</Badge> : <Badge tone="neutral">{t('installedVersion', { v: current.package.version })}</Badge>)}
            </header>
            {p.description && <p class="admin-plugin-desc">{localized(p.description)}</p>}
            <div class="admin-plugin-meta">
              <span class="muted small">{p.capabilities.length ? t('asks') : t('asksNothing')}</span>
              <div class="admin-caps">
                {p.capabilities.map((c) => (
                  <CapChip key={c} cap={c} />
                ))}
              </div>
              {p.commands.length > 0 && (
                <span class="muted small">
                  {t('commands')}: {p.commands.map((c) => `/${c.name}`).join(' ')}
                </span>
              )}
              {p.before_message_hook && <span class="muted small">⚑ {t('hook')}</span>}
              {p.settings.length > 0 && <span class="muted small">{t('settingsCount', { n: p.settings.length })}</span>}
            </div>
            <footer class="admin-plugin-card-foot">
              {up ? (
                <Button small variant="primary" onClick={() => onOffer({ kind: 'bundled', pkg: p })} data-testid={`install-${p.id}`}>
                  {t('upgradeTo', { v: p.version })}
                </Button>
              ) : current ? (
                <Button small onClick={() => manage(p.id)}>
                  {t('manage')}
                </Button>
              ) : (
                <Button small variant="primary" onClick={() => onOffer({ kind: 'bundled', pkg: p })} data-testid={`install-${p.id}`}>
                  {t('install')}
                </Button>
              )}
            </footer>
          </article>
        );
      })}
    </div>
  );
}

/** The Catalog tab of the plugins page: the configured catalogs, then the bundled plugins. */
export function CatalogTab({ catalog, bundled, installs, onOffer }: { catalog: Loaded<CatalogItem[]>; bundled: Loaded<Package[]>; installs: Install[]; onOffer: (o: Offer) => void }) {
  return (
    <div class="stack">
      <SectionHead title={t('catalogTitle')} hint={t('catalogHint')} />
      <CatalogList catalog={catalog} onOffer={onOffer} />
      <div class="admin-subsection">
        <SectionHead title={t('bundledTitle')} hint={t('bundledHint')} />
      </div>
      <BundledList bundled={bundled} installs={installs} onOffer={onOffer} />
    </div>
  );
}
