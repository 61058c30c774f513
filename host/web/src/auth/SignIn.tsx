// Signing in, and the first-run setup that creates the platform admin with the one-time
// token the server printed at its first start.

import { useState } from 'preact/hooks';
import { api } from '../api';
import { lang, setLang, strings } from '../i18n';
import { navigate } from '../router';
import { signIn } from '../session';
import { Button, ErrorNote, Field } from '../ui/kit';

const t = strings({
  title: ['Sign in to Courtyard', '登录 Courtyard'],
  subtitle: ['Chat, groups and apps for your company and its partners.', '面向企业及合作伙伴的聊天、群组与应用。'],
  email: ['Email', '邮箱'],
  password: ['Password', '密码'],
  submit: ['Sign in', '登录'],
  wrong: ['Email or password is wrong.', '邮箱或密码错误。'],
  throttled: ['Too many attempts. Try again in a few minutes.', '尝试次数过多，请几分钟后再试。'],
  setupTitle: ['Set up Courtyard', '初始化 Courtyard'],
  setupSubtitle: ['Create the platform administrator. The setup token was printed by the server when it first started.', '创建平台管理员。初始化令牌在服务器首次启动时打印在日志中。'],
  token: ['Setup token', '初始化令牌'],
  name: ['Your name', '你的姓名'],
  org: ['Organization name', '组织名称'],
  passwordHint: ['At least 10 characters', '至少 10 个字符'],
  create: ['Create administrator', '创建管理员'],
  switchLang: ['中文', 'English'],
});

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
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email, password);
      after();
    } catch (err: any) {
      setError(err?.status === 429 ? t('throttled') : err?.status === 401 ? t('wrong') : err?.localized?.() ?? String(err));
    } finally {
      setBusy(false);
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
        <Field label={t('email')}>
          <input type="email" name="email" autoComplete="username" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label={t('password')}>
          <input type="password" name="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </Field>
        {error && <ErrorNote error={{ message: error }} />}
        <Button variant="primary" type="submit" busy={busy}>
          {t('submit')}
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
