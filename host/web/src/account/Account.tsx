// The signed-in person's own settings: profile, language, desktop notifications, email
// digests, quiet hours and push (Notifications.tsx), password, and personal access tokens
// for scripts.

import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { formatDateTime, lang, setLang, strings, type Lang } from '../i18n';
import { me, updateMe } from '../session';
import type { Person } from '../types';
import { Avatar, Badge, Button, describeError, Empty, ErrorNote, Field, MenuButton, Spinner, toast } from '../ui/kit';
import { notificationsWanted, setNotificationsWanted } from '../chat/notify';
import { Notifications } from './Notifications';
import { pushOn } from './push';

const t = strings({
  title: ['My account', '我的账号'],
  profile: ['Profile', '个人资料'],
  name: ['Display name', '显示名称'],
  jobTitle: ['Title', '职位'],
  phone: ['Phone', '电话'],
  save: ['Save', '保存'],
  saved: ['Saved', '已保存'],
  language: ['Language', '语言'],
  password: ['Password', '密码'],
  current: ['Current password', '当前密码'],
  next: ['New password', '新密码'],
  repeat: ['New password again', '再次输入新密码'],
  hint: ['At least 10 characters. Your other sessions are signed out.', '至少 10 个字符。你的其他登录会话将被退出。'],
  mismatch: ['The two new passwords differ.', '两次输入的新密码不一致。'],
  change: ['Change password', '修改密码'],
  changed: ['Password changed', '密码已修改'],
  tokens: ['Personal access tokens', '个人访问令牌'],
  tokensHint: ['For scripts and bots: send as `Authorization: Bearer <token>`. A token acts as you.', '供脚本和机器人使用：以 `Authorization: Bearer <令牌>` 发送。令牌拥有你的全部权限。'],
  tokenName: ['Token name', '令牌名称'],
  days: ['Expires in (days, empty for never)', '有效期（天，留空为永久）'],
  create: ['Create token', '创建令牌'],
  copyNow: ['Copy it now — it is not shown again:', '请立即复制，它不会再次显示：'],
  none: ['No tokens yet', '还没有令牌'],
  revoke: ['Revoke', '撤销'],
  confirmRevoke: ['Revoke {name}? Scripts using it stop working.', '撤销「{name}」？使用它的脚本将无法继续工作。'],
  created: ['Created', '创建于'],
  lastUsed: ['Last used', '最近使用'],
  expires: ['Expires', '过期'],
  never: ['Never', '永不'],
  notifications: ['Desktop notifications', '桌面通知'],
  notificationsHint: ['When this tab is in the background, show a notification for direct messages and mentions.', '当此标签页在后台时，收到私信和 @ 提及时弹出通知。'],
  pushCovers: ['Push is on in this browser, so direct messages and mentions of you arrive through it; this setting still covers @all.', '此浏览器已开启推送，私信和 @ 你的消息将通过推送到达；此设置仍用于 @所有人。'],
  blocked: ['The browser blocks notifications for this site; allow them in its site settings.', '浏览器已阻止本站的通知，请在网站设置中允许。'],
  on: ['On', '开'],
  off: ['Off', '关'],
});

interface Token {
  id: string;
  name: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number;
  token?: string | null;
}

export function Account({ onMenu }: { onMenu: () => void }) {
  return (
    <div class="main">
      <section class="pane">
        <header class="pane-head">
          <MenuButton onClick={onMenu} />
          <h1>{t('title')}</h1>
        </header>
        <div class="pane-body">
          <div class="page stack" style={{ maxWidth: '720px', gap: '20px' }}>
            <Profile />
            <Preferences />
            <Notifications />
            <Password />
            <Tokens />
          </div>
        </div>
      </section>
    </div>
  );
}

function Profile() {
  const person = me.value!;
  const [form, setForm] = useState({ display_name: person.display_name, title: person.title, phone: person.phone });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      updateMe(await api.patch<Person>(`/api/v1/people/${person.id}`, form));
      toast(t('saved'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel stack" onSubmit={save} data-testid="account-profile">
      <div class="row">
        <Avatar id={person.id} name={form.display_name || person.display_name} size={48} />
        <div>
          <h2>{t('profile')}</h2>
          <div class="muted small">{person.email}</div>
        </div>
      </div>
      <Field label={t('name')} required>
        <input required maxLength={100} value={form.display_name} onInput={set('display_name')} autoComplete="name" />
      </Field>
      <Field label={t('jobTitle')}>
        <input maxLength={100} value={form.title} onInput={set('title')} autoComplete="organization-title" />
      </Field>
      <Field label={t('phone')}>
        <input type="tel" maxLength={40} value={form.phone} onInput={set('phone')} autoComplete="tel" />
      </Field>
      <ErrorNote error={error} />
      <div>
        <Button type="submit" variant="primary" busy={busy}>
          {t('save')}
        </Button>
      </div>
    </form>
  );
}

function Preferences() {
  const supported = typeof Notification !== 'undefined';
  const [permission, setPermission] = useState(supported ? Notification.permission : 'denied');
  const toggle = async () => {
    if (notificationsWanted.value) return setNotificationsWanted(false);
    if (supported && Notification.permission === 'default') setPermission(await Notification.requestPermission());
    setNotificationsWanted(supported && Notification.permission === 'granted');
  };
  return (
    <div class="panel stack">
      <Field label={t('language')}>
        <select value={lang.value} onChange={(e) => setLang((e.target as HTMLSelectElement).value as Lang)} data-testid="account-language">
          <option value="en">English</option>
          <option value="zh-CN">简体中文</option>
        </select>
      </Field>
      <div class="row">
        <div style={{ flex: 1 }}>
          <div class="field-label">{t('notifications')}</div>
          <div class="field-hint">{permission === 'denied' ? t('blocked') : t('notificationsHint')}</div>
          {pushOn.value && permission !== 'denied' && <div class="field-hint">{t('pushCovers')}</div>}
        </div>
        <Button small variant={notificationsWanted.value ? 'primary' : 'secondary'} onClick={toggle} disabled={permission === 'denied'} aria-pressed={notificationsWanted.value}>
          {notificationsWanted.value ? t('on') : t('off')}
        </Button>
      </div>
    </div>
  );
}

function Password() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (next !== repeat) return setError({ message: t('mismatch') });
    setBusy(true);
    setError(null);
    try {
      await api.post('/api/v1/me/password', { current_password: current, new_password: next });
      setCurrent('');
      setNext('');
      setRepeat('');
      toast(t('changed'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel stack" onSubmit={submit} data-testid="account-password">
      <h2>{t('password')}</h2>
      <Field label={t('current')} required>
        <input type="password" required value={current} onInput={(e) => setCurrent((e.target as HTMLInputElement).value)} autoComplete="current-password" />
      </Field>
      <Field label={t('next')} hint={t('hint')} required>
        <input type="password" name="new_password" required minLength={10} value={next} onInput={(e) => setNext((e.target as HTMLInputElement).value)} autoComplete="new-password" />
      </Field>
      <Field label={t('repeat')} required>
        <input type="password" required minLength={10} value={repeat} onInput={(e) => setRepeat((e.target as HTMLInputElement).value)} autoComplete="new-password" />
      </Field>
      <ErrorNote error={error} />
      <div>
        <Button type="submit" variant="primary" busy={busy}>
          {t('change')}
        </Button>
      </div>
    </form>
  );
}

function Tokens() {
  const [tokens, setTokens] = useState<Token[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState('');
  const [days, setDays] = useState('');
  const [fresh, setFresh] = useState<Token | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () => api.get<Token[]>('/api/v1/me/tokens').then(setTokens, setError);
  useEffect(() => {
    void load();
  }, []);
  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const made = await api.post<Token>('/api/v1/me/tokens', { name: name.trim(), expires_in_days: days ? Number(days) : undefined });
      setFresh(made);
      setName('');
      setDays('');
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (tk: Token) => {
    if (!confirm(t('confirmRevoke', { name: tk.name }))) return;
    try {
      await api.del(`/api/v1/me/tokens/${tk.id}`);
      if (fresh?.id === tk.id) setFresh(null);
      await load();
    } catch (err) {
      toast(describeError(err), 'error');
    }
  };
  return (
    <div class="panel stack" data-testid="account-tokens">
      <div>
        <h2>{t('tokens')}</h2>
        <div class="field-hint">{t('tokensHint')}</div>
      </div>
      <form class="row" style={{ alignItems: 'flex-end', flexWrap: 'wrap' }} onSubmit={create}>
        <div style={{ flex: 2, minWidth: '180px' }}>
          <Field label={t('tokenName')} required>
            <input required maxLength={100} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          </Field>
        </div>
        <div style={{ flex: 1, minWidth: '140px' }}>
          <Field label={t('days')}>
            <input type="number" min={1} max={3650} value={days} onInput={(e) => setDays((e.target as HTMLInputElement).value)} />
          </Field>
        </div>
        <Button type="submit" variant="primary" busy={busy} disabled={!name.trim()}>
          {t('create')}
        </Button>
      </form>
      {fresh?.token && (
        <div class="error-note" style={{ background: 'var(--success-soft)', color: 'var(--success)', flexDirection: 'column', alignItems: 'stretch' }} data-testid="new-token">
          <span>{t('copyNow')}</span>
          <code style={{ userSelect: 'all', overflowWrap: 'anywhere' }}>{fresh.token}</code>
        </div>
      )}
      <ErrorNote error={error} />
      {!tokens ? (
        <Spinner />
      ) : tokens.length === 0 ? (
        <Empty title={t('none')} />
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">{t('tokenName')}</th>
                <th scope="col">{t('created')}</th>
                <th scope="col">{t('lastUsed')}</th>
                <th scope="col">{t('expires')}</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {tokens.map((tk) => (
                <tr key={tk.id}>
                  <td>{tk.name}</td>
                  <td>{formatDateTime(tk.created_at)}</td>
                  <td>{tk.last_used_at ? formatDateTime(tk.last_used_at) : '—'}</td>
                  <td>{tk.expires_at ? formatDateTime(tk.expires_at) : <Badge>{t('never')}</Badge>}</td>
                  <td style={{ textAlign: 'right' }}>
                    <Button small variant="danger" onClick={() => revoke(tk)}>
                      {t('revoke')}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
