// Signing in (with a password, or through the organization's identity provider), and the
// first-run setup that creates the platform admin with the one-time token the server
// printed at its first start.

import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { lang, setLang, strings } from '../i18n';
import { navigate, path, queryParam } from '../router';
import { signIn } from '../session';
import { Button, ErrorNote, Field } from '../ui/kit';
import { type SsoErrorCode, emailDomain, intendedPath, isSsoErrorCode, ssoStartUrl, withoutParam } from './logic';

const t = strings({
  title: ['Sign in to Courtyard', '登录 Courtyard'],
  subtitle: ['Chat, groups and apps for your company and its partners.', '面向企业及合作伙伴的聊天、群组与应用。'],
  email: ['Email', '邮箱'],
  password: ['Password', '密码'],
  submit: ['Sign in', '登录'],
  wrong: ['Email or password is wrong.', '邮箱或密码错误。'],
  throttled: ['Too many attempts. Try again in a few minutes.', '尝试次数过多，请几分钟后再试。'],
  or: ['or', '或'],
  sso: ['Sign in with single sign-on', '使用单点登录'],
  ssoNeedEmail: ['Enter your work email above first, then choose single sign-on.', '请先在上方输入工作邮箱，再选择单点登录。'],
  ssoBadEmail: ['Enter a valid email address above, like name@company.com.', '请在上方输入有效的邮箱地址，例如 name@company.com。'],
  ssoNotSetUp: ['Single sign-on is not set up for {domain}. Sign in with your password, or ask your administrator.', '{domain} 尚未配置单点登录。请使用密码登录，或联系管理员。'],
  ssoRequired: ['Your organization signs in with single sign-on only. Use “Sign in with single sign-on” below.', '你的组织仅允许通过单点登录。请使用下方的“使用单点登录”。'],
  setupTitle: ['Set up Courtyard', '初始化 Courtyard'],
  setupSubtitle: ['Create the platform administrator. The setup token was printed by the server when it first started.', '创建平台管理员。初始化令牌在服务器首次启动时打印在日志中。'],
  token: ['Setup token', '初始化令牌'],
  name: ['Your name', '你的姓名'],
  org: ['Organization name', '组织名称'],
  passwordHint: ['At least 10 characters', '至少 10 个字符'],
  create: ['Create administrator', '创建管理员'],
  switchLang: ['中文', 'English'],
});

/** Why single sign-on sent the browser back (`/login?sso_error=<code>`). */
const ssoErrors = strings<SsoErrorCode | 'unknown'>({
  sso_state_mismatch: ['This sign-in expired, was already used, or was started in another browser. Please sign in again.', '此次登录已过期、已被使用，或是在其他浏览器中发起的。请重新登录。'],
  sso_failed: ['Your identity provider refused the sign-in, or its answer could not be verified. Try again, or ask your administrator.', '身份提供方拒绝了此次登录，或其响应无法验证。请重试，或联系管理员。'],
  sso_no_account: ['You have no Courtyard account in this organization yet. Ask your administrator to add you.', '你在该组织中还没有 Courtyard 账号，请联系管理员添加。'],
  sso_email_unverified: ['Your identity provider did not confirm your email address, so you cannot be signed in. Ask your administrator.', '身份提供方未确认你的邮箱地址，因此无法登录。请联系管理员。'],
  account_disabled: ['This account is disabled. Ask your administrator.', '此账号已停用，请联系管理员。'],
  sso_not_configured: ['Single sign-on is no longer set up for your organization. Sign in with your password, or ask your administrator.', '你的组织已不再配置单点登录。请使用密码登录，或联系管理员。'],
  sso_discovery_failed: ['Your organization’s identity provider cannot be reached right now. Try again later, or ask your administrator.', '暂时无法连接你所在组织的身份提供方。请稍后再试，或联系管理员。'],
  unknown: ['Single sign-on did not work. Try again, or ask your administrator.', '单点登录未成功。请重试，或联系管理员。'],
});

type SsoNote = { key: 'ssoNeedEmail' | 'ssoBadEmail' | 'ssoNotSetUp'; domain?: string } | { error: unknown };

function LangToggle() {
  return (
    <button type="button" class="lang-switch small muted" onClick={() => setLang(lang.value === 'zh-CN' ? 'en' : 'zh-CN')} data-testid="lang-switch">
      {t('switchLang')}
    </button>
  );
}

function Brand() {
  return (
    <div class="row">
      <div class="brand">
        <span class="brand-mark">院</span>
        Courtyard
      </div>
      <span class="spacer" />
      <LangToggle />
    </div>
  );
}

export function SignIn({ after }: { after: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [ssoRequired, setSsoRequired] = useState(false);
  // A failed single sign-on comes back as `?sso_error=<code>`: shown, then taken out of the
  // address so a reload or a bookmark does not show it again.
  const [ssoError, setSsoError] = useState(() => queryParam('sso_error'));
  const [ssoBusy, setSsoBusy] = useState(false);
  const [ssoNote, setSsoNote] = useState<SsoNote | null>(null);
  const emailRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (ssoError !== null) navigate(withoutParam(path.value, 'sso_error'), true);
    // Back from the provider's page out of the browser's cache: the button works again.
    const shown = (e: PageTransitionEvent) => e.persisted && setSsoBusy(false);
    window.addEventListener('pageshow', shown);
    return () => window.removeEventListener('pageshow', shown);
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSsoRequired(false);
    setSsoError(null);
    setSsoNote(null);
    try {
      await signIn(email, password);
      after();
    } catch (err: any) {
      if (err?.status === 403 && err?.code === 'sso_required') setSsoRequired(true);
      else setError(err?.status === 429 ? t('throttled') : err?.status === 401 ? t('wrong') : err?.localized?.() ?? String(err));
    } finally {
      setBusy(false);
    }
  };

  const startSso = async () => {
    setError(null);
    setSsoError(null);
    setSsoNote(null);
    const typed = email.trim();
    if (!typed) {
      setSsoNote({ key: 'ssoNeedEmail' });
      emailRef.current?.focus();
      return;
    }
    setSsoBusy(true);
    try {
      const found = await api.post<{ org_id: string; start_url: string }>('/api/v1/auth/sso/discover', { email: typed });
      // The host answers the start with a redirect to the provider: a navigation, not a fetch.
      window.location.assign(ssoStartUrl(found.start_url, intendedPath(path.value)));
    } catch (err) {
      setSsoBusy(false);
      if (err instanceof ApiError && err.code === 'sso_not_configured') setSsoNote({ key: 'ssoNotSetUp', domain: emailDomain(typed) });
      else if (err instanceof ApiError && err.code === 'invalid_email') {
        setSsoNote({ key: 'ssoBadEmail' });
        emailRef.current?.focus();
      } else setSsoNote({ error: err });
    }
  };

  return (
    <main class="auth-page">
      <form class="auth-card" onSubmit={submit} data-testid="sign-in">
        <Brand />
        <div>
          <h1>{t('title')}</h1>
          <p class="muted" style={{ margin: '4px 0 0' }}>
            {t('subtitle')}
          </p>
        </div>
        {ssoError !== null && (
          <div class="error-note" role="alert" data-testid="sso-error" data-code={ssoError}>
            {ssoErrors(isSsoErrorCode(ssoError) ? ssoError : 'unknown')}
          </div>
        )}
        <Field label={t('email')}>
          <input ref={emailRef} type="email" name="email" autoComplete="username" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label={t('password')}>
          <input type="password" name="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </Field>
        {error && <ErrorNote error={{ message: error }} />}
        {ssoRequired && (
          <div class="error-note" role="alert" data-testid="sso-required">
            {t('ssoRequired')}
          </div>
        )}
        <Button variant={ssoRequired ? 'secondary' : 'primary'} type="submit" busy={busy}>
          {t('submit')}
        </Button>
        <div class="auth-divider">{t('or')}</div>
        {ssoNote &&
          ('error' in ssoNote ? (
            <ErrorNote error={ssoNote.error} />
          ) : (
            <div class="info-note" role="status" data-testid="sso-note">
              {t(ssoNote.key, { domain: ssoNote.domain ?? '' })}
            </div>
          ))}
        <Button variant={ssoRequired ? 'primary' : 'secondary'} busy={ssoBusy} onClick={() => void startSso()} data-testid="sso-sign-in">
          {t('sso')}
        </Button>
      </form>
    </main>
  );
}

export function Setup({ done }: { done: () => void }) {
  const [form, setForm] = useState({ setup_token: '', display_name: '', email: '', password: '', org_name: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.post('/api/v1/setup', form);
      await signIn(form.email, form.password);
      done();
      navigate('/admin', true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="auth-page">
      <form class="auth-card" onSubmit={submit} data-testid="setup">
        <Brand />
        <div>
          <h1>{t('setupTitle')}</h1>
          <p class="muted" style={{ margin: '4px 0 0' }}>
            {t('setupSubtitle')}
          </p>
        </div>
        <Field label={t('token')} required>
          <input name="setup_token" required value={form.setup_token} onInput={set('setup_token')} autoComplete="off" spellcheck={false} />
        </Field>
        <Field label={t('name')} required>
          <input name="display_name" required value={form.display_name} onInput={set('display_name')} autoComplete="name" />
        </Field>
        <Field label={t('email')} required>
          <input type="email" name="email" required value={form.email} onInput={set('email')} autoComplete="username" />
        </Field>
        <Field label={t('password')} hint={t('passwordHint')} required>
          <input type="password" name="password" required minLength={10} value={form.password} onInput={set('password')} autoComplete="new-password" />
        </Field>
        <Field label={t('org')} required>
          <input name="org_name" required value={form.org_name} onInput={set('org_name')} autoComplete="organization" />
        </Field>
        <ErrorNote error={error} />
        <Button variant="primary" type="submit" busy={busy}>
          {t('create')}
        </Button>
      </form>
    </main>
  );
}
