// The admin console: organization settings, people, departments, partners, plugins, the
// audit log, analytics, compliance (retention, legal holds, export), single sign-on and
// (platform admins) organizations. Routed under /admin; platform admins pick which
// organization they manage.

import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { strings } from '../i18n';
import { onLinkClick, path } from '../router';
import { isOrgAdmin, isPlatformAdmin, me } from '../session';
import { Empty, ErrorNote, Spinner } from '../ui/kit';
import { AnalyticsPage } from './AnalyticsPage';
import { AuditPage } from './AuditPage';
import { CompliancePage } from './CompliancePage';
import { DepartmentsPage } from './DepartmentsPage';
import { OrgSettings, OrgsPage } from './OrgPages';
import { PartnersPage } from './PartnersPage';
import { PeoplePage } from './PeoplePage';
import { PluginDetail, PluginsPage } from './PluginsPage';
import { SsoPage } from './SsoPage';
import { parseAdminPath, sectionPath, type Section } from './logic';
import { ConfirmHost, chooseOrg, loadOrgs, managedOrg, managedOrgId, orgs, orgsError } from './shared';

const t = strings({
  title: ['Admin console', '管理后台'],
  menu: ['Menu', '菜单'],
  sections: ['Admin sections', '管理栏目'],
  org: ['Organization', '组织设置'],
  people: ['People', '人员'],
  departments: ['Departments', '部门'],
  partners: ['Partners', '合作伙伴'],
  plugins: ['Plugins', '插件'],
  audit: ['Audit log', '审计日志'],
  analytics: ['Analytics', '数据分析'],
  compliance: ['Compliance', '合规'],
  // Short in English: ten tabs fit a 1280-pixel window only so.
  sso: ['SSO', '单点登录'],
  orgs: ['All organizations', '全部组织'],
  managing: ['Managing', '当前管理'],
  pickOrg: ['Organization to manage', '要管理的组织'],
  noAccess: ['Admins only', '仅限管理员'],
  noAccessHint: ['The admin console is for organization and platform admins. Ask an admin of your organization if you need a change.', '管理后台仅供组织管理员和平台管理员使用。如需调整，请联系你所在组织的管理员。'],
  notFound: ['There is no such page in the admin console', '管理后台中没有这个页面'],
  backToConsole: ['Back to organization settings', '返回组织设置'],
  noOrg: ['No organization to manage yet', '还没有可管理的组织'],
  noOrgHint: ['Create an organization first.', '请先创建一个组织。'],
});

const TABS: { section: Section; label: () => string; platformOnly?: boolean }[] = [
  { section: 'org', label: () => t('org') },
  { section: 'people', label: () => t('people') },
  { section: 'departments', label: () => t('departments') },
  { section: 'partners', label: () => t('partners') },
  { section: 'plugins', label: () => t('plugins') },
  { section: 'audit', label: () => t('audit') },
  { section: 'analytics', label: () => t('analytics') },
  { section: 'compliance', label: () => t('compliance') },
  { section: 'sso', label: () => t('sso') },
  { section: 'orgs', label: () => t('orgs'), platformOnly: true },
];

export function AdminConsole({ onMenu }: { onMenu?: () => void } = {}) {
  useEffect(() => {
    // Always fresh: the list may belong to whoever was signed in before.
    if (isOrgAdmin.value) void loadOrgs();
  }, []);

  const head = (extra?: ComponentChildren) => (
    <header class="pane-head admin-head">
      {onMenu && (
        <button type="button" class="icon-btn mobile-only" aria-label={t('menu')} onClick={onMenu}>
          ☰
        </button>
      )}
      <h1>{t('title')}</h1>
      <span class="spacer" />
      {extra}
    </header>
  );

  if (!me.value || !isOrgAdmin.value) {
    return (
      <div class="main admin">
        <section class="pane">
          {head()}
          <div class="pane-body">
            <Empty title={t('noAccess')} hint={t('noAccessHint')} />
          </div>
        </section>
      </div>
    );
  }

  const route = parseAdminPath(path.value);
  const platform = isPlatformAdmin.value;
  const orgId = managedOrgId.value;
  const section = route.section === 'orgs' && !platform ? null : route.section;

  let body: ComponentChildren;
  if (section === null) {
    body = (
      <Empty title={t('notFound')}>
        <p>
          <a href="/admin" onClick={(e) => onLinkClick(e, '/admin')}>
            {t('backToConsole')}
          </a>
        </p>
      </Empty>
    );
  } else if (section === 'orgs') {
    body = <OrgsPage />;
  } else if (orgsError.value && !orgs.value) {
    body = <ErrorNote error={orgsError.value} onRetry={() => void loadOrgs()} />;
  } else if (platform && orgs.value === null) {
    body = <Spinner />;
  } else if (!orgId) {
    body = <Empty title={t('noOrg')} hint={t('noOrgHint')} />;
  } else {
    body = <SectionBody key={orgId} section={section} orgId={orgId} pluginId={route.pluginId} />;
  }

  const picker = platform ? (
    <label class="admin-org-picker">
      <span class="muted small">{t('managing')}</span>
      <select aria-label={t('pickOrg')} data-testid="admin-org-picker" value={orgId ?? ''} onChange={(e) => chooseOrg((e.target as HTMLSelectElement).value)}>
        {(orgs.value ?? []).map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </label>
  ) : (
    managedOrg.value && <span class="admin-org-name muted">{managedOrg.value.name}</span>
  );

  return (
    <div class="main admin">
      <section class="pane">
        {head(picker)}
        <div class="pane-body">
          <div class="admin-page">
            <nav class="tabs admin-tabs" aria-label={t('sections')}>
              {TABS.filter((tab) => !tab.platformOnly || platform).map((tab) => {
                const href = sectionPath(tab.section);
                const active = tab.section === section;
                return (
                  <a key={tab.section} href={href} class={`tab${active ? ' active' : ''}`} aria-current={active ? 'page' : undefined} data-testid={`admin-tab-${tab.section}`} onClick={(e) => onLinkClick(e, href)}>
                    {tab.label()}
                  </a>
                );
              })}
            </nav>
            {body}
          </div>
        </div>
      </section>
      <ConfirmHost />
    </div>
  );
}

function SectionBody({ section, orgId, pluginId }: { section: Section; orgId: string; pluginId?: string }) {
  switch (section) {
    case 'org':
      return <OrgSettings orgId={orgId} />;
    case 'people':
      return <PeoplePage orgId={orgId} />;
    case 'departments':
      return <DepartmentsPage orgId={orgId} />;
    case 'partners':
      return <PartnersPage orgId={orgId} />;
    case 'plugins':
      return pluginId ? <PluginDetail orgId={orgId} pluginId={pluginId} /> : <PluginsPage orgId={orgId} />;
    case 'audit':
      return <AuditPage orgId={orgId} />;
    case 'analytics':
      return <AnalyticsPage orgId={orgId} />;
    case 'compliance':
      return <CompliancePage orgId={orgId} />;
    case 'sso':
      return <SsoPage orgId={orgId} />;
    default:
      return null;
  }
}
