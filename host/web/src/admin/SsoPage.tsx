// Single sign-on: the organization's OpenID Connect identity provider, the email domains
// whose people it signs in, creating accounts on first sign-in, and "single sign-on only".
// The host checks the provider's discovery document before it saves anything.

import { useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { strings } from '../i18n';
import { Badge, Button, ErrorNote, Field, Spinner, toast } from '../ui/kit';
import { MAX_SSO_DOMAINS, type SsoProblem, checkDomains, checkIssuer, parseDomains, sameDomains } from './logic';
import { CopyId, SectionHead, Toggle, confirmDialog, tc, useLoad, when } from './shared';
import type { SsoConfig } from './types';

const t = strings({
  title: ['Single sign-on', '单点登录'],
  hint: ['People of this organization sign in through your company’s identity provider (OpenID Connect), such as Microsoft Entra ID, Okta, Keycloak or Authing.', '组织成员通过贵公司的身份提供方（OpenID Connect）登录，例如 Microsoft Entra ID、Okta、Keycloak 或 Authing。'],
  on: ['Set up', '已配置'],
  off: ['Not set up', '未配置'],
  notSetUp: ['People sign in with their passwords.', '成员使用密码登录。'],
  onHint: ['Email domains: {domains}', '邮箱域名：{domains}'],
  issuer: ['Issuer URL', '签发者（Issuer）地址'],
  issuerHint: ['The provider’s issuer, e.g. https://login.example.com/realms/acme. Courtyard reads its discovery document when you save.', '身份提供方的签发者地址，例如 https://login.example.com/realms/acme。保存时 Courtyard 会读取其发现文档。'],
  badIssuer: ['An https:// address without ? or #', '请输入不含 ? 或 # 的 https:// 地址'],
  clientId: ['Client ID', '客户端 ID'],
  clientSecret: ['Client secret', '客户端密钥'],
  secretHint: ['Issued by the provider for Courtyard. It is stored and never shown again.', '由身份提供方为 Courtyard 签发。保存后不会再显示。'],
  secretKeepHint: ['A secret is stored. Leave empty to keep it, or type a new one to replace it.', '已保存密钥。留空则保持不变，输入新密钥则替换。'],
  secretUnchanged: ['Unchanged', '保持不变'],
  domains: ['Email domains', '邮箱域名'],
  domainsHint: ['Whoever chooses single sign-on with an email in these domains is sent to this provider. Separate with commas, spaces or new lines.', '使用这些域名邮箱选择单点登录的人将被转到此身份提供方。可用逗号、空格或换行分隔。'],
  badDomain: ['“{domain}” is not an email domain such as example.com', '“{domain}”不是有效的邮箱域名（例如 example.com）'],
  tooManyDomains: ['At most {max} domains', '最多 {max} 个域名'],
  noDomains: ['Without a domain nobody is sent to this provider from the sign-in page.', '未填写域名时，登录页不会把任何人转到此身份提供方。'],
  autoProvision: ['Create accounts on first sign-in', '首次登录时自动创建账号'],
  autoProvisionHint: ['Anyone the provider signs in with a verified email address and no account here becomes a member. When off, only people already added to this organization can sign in, matched by their email.', '身份提供方确认了邮箱、但在此尚无账号的人将成为成员。关闭时，只有已添加到本组织的人员（按邮箱匹配）可以登录。'],
  ssoOnly: ['Single sign-on only', '仅限单点登录'],
  ssoOnlyHint: ['Password sign-in closes for everyone in this organization except platform admins.', '本组织中除平台管理员外的所有人都不能再用密码登录。'],
  ssoOnlyWarning: ['Passwords stop working for everyone in this organization except platform admins: they must sign in through the identity provider. Make sure single sign-on works (sign in with it once) before saving.', '本组织中除平台管理员外的所有人的密码都将失效，必须通过身份提供方登录。保存前请先确认单点登录可用（亲自用它登录一次）。'],
  ssoOnlyTitle: ['Close password sign-in?', '关闭密码登录？'],
  ssoOnlyConfirm: ['Single sign-on only', '仅限单点登录'],
  save: ['Save', '保存'],
  saved: ['Single sign-on saved', '已保存单点登录设置'],
  domainTaken: ['One of these domains already signs in through another organization’s single sign-on.', '其中某个域名已被其他组织的单点登录使用。'],
  provider: ['At your identity provider', '在身份提供方处'],
  providerHint: ['Register Courtyard as a web application (a confidential client using the authorization code flow with PKCE, scopes openid, email and profile) with this redirect URI:', '将 Courtyard 注册为 Web 应用（机密客户端，使用带 PKCE 的授权码流程，作用域 openid、email、profile），并填写以下重定向 URI：'],
  redirectUri: ['Redirect URI', '重定向 URI'],
  redirectGuess: ['From this page’s address; confirmed by the host once saved.', '根据本页地址得出；保存后以服务器返回为准。'],
  status: ['Status', '状态'],
  updated: ['Last changed', '最后修改'],
  remove: ['Remove single sign-on', '移除单点登录'],
  removeHint: ['People sign in with passwords again. Accounts created by single sign-on have no password until an admin sets one. Links between accounts and the provider are kept for if you set it up again.', '成员将恢复使用密码登录。通过单点登录创建的账号在管理员设置密码之前没有密码。账号与身份提供方的关联会保留，以便重新配置。'],
  removeTitle: ['Remove single sign-on?', '移除单点登录？'],
  removeConfirm: ['Remove', '移除'],
  removed: ['Single sign-on removed', '已移除单点登录'],
  dangerZone: ['Danger zone', '危险操作'],
});

/** The settings, or null when the organization has no provider (404 `sso_not_configured`). */
async function loadSso(orgId: string, signal: AbortSignal): Promise<SsoConfig | null> {
  try {
    return await api.get<SsoConfig>(`/api/v1/orgs/${orgId}/sso`, undefined, signal);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'sso_not_configured') return null;
    throw e;
  }
}

export function SsoPage({ orgId }: { orgId: string }) {
  const config = useLoad((signal) => loadSso(orgId, signal), [orgId]);
  if (config.error) return <ErrorNote error={config.error} onRetry={config.reload} />;
  if (config.data === undefined) return <Spinner />;
  // A new form after each save or removal: the fields show what the host kept.
  return <SsoForm key={config.data?.updated_at ?? 'none'} orgId={orgId} config={config.data} onChanged={config.set} />;
}

function problemWords(p: SsoProblem | null, domain?: string): string | null {
  switch (p) {
    case 'required':
      return tc('required');
    case 'invalid_issuer':
      return t('badIssuer');
    case 'invalid_domain':
      return t('badDomain', { domain: domain ?? '' });
    case 'too_many_domains':
      return t('tooManyDomains', { max: MAX_SSO_DOMAINS });
    default:
      return null;
  }
}

function SsoForm({ orgId, config, onChanged }: { orgId: string; config: SsoConfig | null; onChanged: (c: SsoConfig | null) => void }) {
  const [issuer, setIssuer] = useState(config?.issuer ?? '');
  const [clientId, setClientId] = useState(config?.client_id ?? '');
  const [secret, setSecret] = useState('');
  const [domainsText, setDomainsText] = useState((config?.domains ?? []).join(', '));
  const [autoProvision, setAutoProvision] = useState(config?.auto_provision ?? false);
  const [ssoOnly, setSsoOnly] = useState(config?.sso_only ?? false);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const domains = parseDomains(domainsText);
  const issuerProblem = checkIssuer(issuer);
  const clientIdProblem: SsoProblem | null = !clientId.trim() ? 'required' : clientId.trim().length > 500 ? 'too_long' : null;
  const secretProblem: SsoProblem | null = !config?.has_client_secret && !secret ? 'required' : secret.length > 1000 ? 'too_long' : null;
  const domainsProblem = checkDomains(domains);
  const invalid = !!(issuerProblem || clientIdProblem || secretProblem || domainsProblem);
  const dirty =
    !config ||
    issuer.trim().replace(/\/+$/, '') !== config.issuer.replace(/\/+$/, '') ||
    clientId.trim() !== config.client_id ||
    secret !== '' ||
    !sameDomains(domains, config.domains) ||
    autoProvision !== config.auto_provision ||
    ssoOnly !== config.sso_only;
  const redirectUri = config?.redirect_uri ?? `${location.origin}/api/v1/auth/sso/callback`;

  const reset = () => {
    setIssuer(config?.issuer ?? '');
    setClientId(config?.client_id ?? '');
    setSecret('');
    setDomainsText((config?.domains ?? []).join(', '));
    setAutoProvision(config?.auto_provision ?? false);
    setSsoOnly(config?.sso_only ?? false);
    setTried(false);
    setError(null);
  };

  const save = async (e: Event) => {
    e.preventDefault();
    setTried(true);
    if (invalid || !dirty) return;
    // Turning "single sign-on only" on locks passwords out: say so first.
    if (ssoOnly && !config?.sso_only) {
      const ok = await confirmDialog({ title: t('ssoOnlyTitle'), message: t('ssoOnlyWarning'), confirmLabel: t('ssoOnlyConfirm'), danger: true });
      if (!ok) return;
    }
    setBusy(true);
    setError(null);
    try {
      const saved = await api.put<SsoConfig>(`/api/v1/orgs/${orgId}/sso`, {
        issuer: issuer.trim(),
        client_id: clientId.trim(),
        ...(secret ? { client_secret: secret } : {}),
        domains,
        auto_provision: autoProvision,
        sso_only: ssoOnly,
      });
      toast(t('saved'));
      onChanged(saved);
    } catch (err) {
      // A domain another organization claims comes back as a plain conflict: say which kind.
      setError(err instanceof ApiError && err.status === 409 ? { localized: () => t('domainTaken') } : err);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    const ok = await confirmDialog({ title: t('removeTitle'), message: t('removeHint'), confirmLabel: t('removeConfirm'), danger: true });
    if (!ok) return;
    try {
      await api.del(`/api/v1/orgs/${orgId}/sso`);
      toast(t('removed'));
      onChanged(null);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div class="admin-grid-main">
      <div class="stack">
        <form class="panel stack" onSubmit={save} data-testid="sso-settings" noValidate>
          <SectionHead title={t('title')} hint={t('hint')} />
          <div class="row">
            <span data-testid="sso-status">{config ? <Badge tone="success">{t('on')}</Badge> : <Badge>{t('off')}</Badge>}</span>
            {config?.sso_only && <Badge tone="warning">{t('ssoOnly')}</Badge>}
            <span class="muted small">{config ? t('onHint', { domains: config.domains.join(', ') || '—' }) : t('notSetUp')}</span>
          </div>
          <Field label={t('issuer')} required hint={t('issuerHint')} error={tried ? problemWords(issuerProblem) : null}>
            <input type="url" value={issuer} placeholder="https://login.example.com/realms/acme" spellcheck={false} autoComplete="off" onInput={(e) => setIssuer((e.target as HTMLInputElement).value)} data-testid="sso-issuer" />
          </Field>
          <div class="admin-form-grid">
            <Field label={t('clientId')} required error={tried ? problemWords(clientIdProblem) : null}>
              <input value={clientId} maxLength={500} spellcheck={false} autoComplete="off" onInput={(e) => setClientId((e.target as HTMLInputElement).value)} data-testid="sso-client-id" />
            </Field>
            <Field label={t('clientSecret')} required={!config?.has_client_secret} hint={config?.has_client_secret ? t('secretKeepHint') : t('secretHint')} error={tried ? problemWords(secretProblem) : null}>
              <input
                type="password"
                value={secret}
                maxLength={1000}
                placeholder={config?.has_client_secret ? t('secretUnchanged') : undefined}
                autoComplete="new-password"
                onInput={(e) => setSecret((e.target as HTMLInputElement).value)}
                data-testid="sso-client-secret"
              />
            </Field>
          </div>
          <Field label={t('domains')} hint={domains.length === 0 ? t('noDomains') : t('domainsHint')} error={domainsProblem ? problemWords(domainsProblem.problem, domainsProblem.domain) : null}>
            <textarea rows={2} value={domainsText} placeholder="example.com, example.cn" spellcheck={false} onInput={(e) => setDomainsText((e.target as HTMLTextAreaElement).value)} data-testid="sso-domains" />
          </Field>
          <Toggle label={t('autoProvision')} hint={t('autoProvisionHint')} checked={autoProvision} onChange={setAutoProvision} testid="sso-auto-provision" />
          <Toggle label={t('ssoOnly')} hint={t('ssoOnlyHint')} checked={ssoOnly} onChange={setSsoOnly} testid="sso-only" />
          {ssoOnly && (
            <p class="admin-warning" role="note" data-testid="sso-only-warning">
              {t('ssoOnlyWarning')}
            </p>
          )}
          <ErrorNote error={error} />
          <div class="admin-form-actions">
            {config && dirty && <Button onClick={reset}>{tc('cancel')}</Button>}
            <Button type="submit" variant="primary" busy={busy} disabled={!dirty} data-testid="sso-save">
              {t('save')}
            </Button>
          </div>
        </form>
        {config && (
          <section class="panel stack admin-danger">
            <h3>{t('dangerZone')}</h3>
            <p class="muted">{t('removeHint')}</p>
            <div>
              <Button variant="danger" onClick={() => void remove()} data-testid="sso-remove">
                {t('remove')}
              </Button>
            </div>
          </section>
        )}
      </div>
      <aside class="panel admin-facts" data-testid="sso-provider-facts">
        <h3>{t('provider')}</h3>
        <p>{t('providerHint')}</p>
        <div class="admin-sso-redirect">
          <span class="field-label">{t('redirectUri')}</span>
          <CopyId value={redirectUri} full testid="sso-redirect-uri" />
          {!config && <span class="muted small">{t('redirectGuess')}</span>}
        </div>
        <dl>
          <dt>{t('status')}</dt>
          <dd>{config ? t('on') : t('off')}</dd>
          {config && (
            <>
              <dt>{t('updated')}</dt>
              <dd>{when(config.updated_at)}</dd>
            </>
          )}
        </dl>
      </aside>
    </div>
  );
}
