// "My account" → notifications: the email digest and quiet hours (kept by the host, saved
// with a button), and Web Push on this device (on or off at once, per browser).

import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { pick, strings } from '../i18n';
import { me } from '../session';
import { Badge, Button, ErrorNote, Field, Spinner, toast } from '../ui/kit';
import { clockIn, endsNextDay, quietHoursProblem } from './logic';
import { currentPushSupport, disablePush, enablePush, mySubscription, PushRefused } from './push';

const t = strings({
  title: ['Notifications', '通知'],
  hint: ['How you hear about direct messages and mentions you have not read.', '如何获知你未读的私信和 @ 提及。'],
  digest: ['Email me a digest of unread direct messages and mentions', '通过邮件向我发送未读私信和 @ 提及的摘要'],
  digestHint: ['Sent when they stay unread for a while, to {email}.', '消息一段时间未读时发送到 {email}。'],
  noEmail: ['This server is not set up to send email, so there are no digests. Your administrator can configure an SMTP server.', '此服务器未配置邮件发送，因此不会发送摘要。管理员可以配置 SMTP 服务器。'],
  quiet: ['Quiet hours', '免打扰时段'],
  quietHint: ['No email digests or push notifications during these hours, every day.', '每天在此时段内不发送邮件摘要和推送通知。'],
  from: ['Start', '开始'],
  until: ['End', '结束'],
  nextDay: ['Ends the next morning.', '于次日早上结束。'],
  zone: ['Times are in your organization’s time zone, {zone}.', '时间按你所在组织的时区（{zone}）计算。'],
  zoneNow: ['Times are in your organization’s time zone, {zone} (now {time} there).', '时间按你所在组织的时区（{zone}，当地现在 {time}）计算。'],
  save: ['Save', '保存'],
  saved: ['Notification settings saved', '通知设置已保存'],
  push: ['Push notifications on this device', '此设备上的推送通知'],
  pushHint: [
    'Direct messages and mentions pop up even when Courtyard is closed, except in quiet hours. Signing out turns them off on this device.',
    '即使未打开 Courtyard，也会弹出私信和 @ 提及（免打扰时段除外）。退出登录会关闭此设备上的推送。',
  ],
  pushOn: ['On for this browser', '此浏览器已开启'],
  pushOff: ['Off for this browser', '此浏览器未开启'],
  enable: ['Turn on', '开启'],
  disable: ['Turn off', '关闭'],
  enabled: ['Push notifications are on for this browser', '此浏览器已开启推送通知'],
  disabled: ['Push notifications are off for this browser', '此浏览器已关闭推送通知'],
  elsewhere: ['Your browsers receiving push notifications: {n}', '你接收推送通知的浏览器：{n} 个'],
  insecure: ['Push notifications need a secure connection: open Courtyard through https.', '推送通知需要安全连接：请通过 https 打开 Courtyard。'],
  unsupported: ['This browser cannot receive push notifications. Recent Chrome, Edge, Firefox and Safari can.', '此浏览器无法接收推送通知。较新版本的 Chrome、Edge、Firefox 和 Safari 可以。'],
  denied: ['The browser blocks notifications for this site. Allow them in its site settings, then turn push on here.', '浏览器已阻止本站的通知。请在网站设置中允许后，再在此开启推送。'],
  dismissed: ['Allow notifications when the browser asks, to turn push on.', '请在浏览器询问时允许通知，才能开启推送。'],
  failed: [
    'This browser could not subscribe to its push service ({detail}). Private windows and browsers without a push service cannot receive push notifications.',
    '此浏览器无法订阅其推送服务（{detail}）。无痕窗口以及没有推送服务的浏览器无法接收推送通知。',
  ],
});

/** `GET /api/v1/me/notifications`. */
export interface NotificationView {
  email_digest: boolean;
  quiet_hours: { start: string; end: string } | null;
  email_available: boolean;
  time_zone: string;
  push_public_key: string;
  push_subscriptions: number;
}

const SETTINGS = '/api/v1/me/notifications';

/** Both panels; the host's settings are fetched once for the two. */
export function Notifications() {
  const [view, setView] = useState<NotificationView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => {
    setError(null);
    return api.get<NotificationView>(SETTINGS).then(setView, setError);
  };
  useEffect(() => {
    void load();
  }, []);
  if (!view) {
    return <div class="panel">{error ? <ErrorNote error={error} onRetry={load} /> : <Spinner />}</div>;
  }
  return (
    <>
      <SettingsForm view={view} saved={setView} />
      <PushPanel view={view} changed={load} />
    </>
  );
}

function SettingsForm({ view, saved }: { view: NotificationView; saved: (v: NotificationView) => void }) {
  const [digest, setDigest] = useState(view.email_digest);
  const [quiet, setQuiet] = useState(view.quiet_hours !== null);
  // Turning quiet hours on starts from a night, the common case.
  const [start, setStart] = useState(view.quiet_hours?.start ?? '22:00');
  const [end, setEnd] = useState(view.quiet_hours?.end ?? '07:00');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    // The host's own checks, so the answer comes at once; its words, so they read the same.
    const problem = quiet ? quietHoursProblem(start, end) : null;
    if (problem) return setError({ localized: () => pick(...problem) });
    setBusy(true);
    try {
      const next = await api.put<NotificationView>(SETTINGS, { email_digest: digest, quiet_hours: quiet ? { start: start.trim(), end: end.trim() } : null });
      saved(next);
      toast(t('saved'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const now = clockIn(view.time_zone);
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <form class="panel stack" onSubmit={save} data-testid="account-notifications">
      <div>
        <h2>{t('title')}</h2>
        <div class="field-hint">{t('hint')}</div>
      </div>
      <label class="row" style={{ alignItems: 'flex-start' }}>
        <input type="checkbox" checked={digest && view.email_available} disabled={!view.email_available} onChange={(e) => setDigest((e.target as HTMLInputElement).checked)} data-testid="email-digest" style={{ marginTop: '3px' }} />
        <span class="stack" style={{ gap: '2px' }}>
          <span class="field-label">{t('digest')}</span>
          <span class="field-hint" data-testid="email-digest-hint">
            {view.email_available ? t('digestHint', { email: me.value?.email ?? '' }) : t('noEmail')}
          </span>
        </span>
      </label>
      <label class="row" style={{ alignItems: 'flex-start' }}>
        <input type="checkbox" checked={quiet} onChange={(e) => setQuiet((e.target as HTMLInputElement).checked)} data-testid="quiet-hours" style={{ marginTop: '3px' }} />
        <span class="stack" style={{ gap: '2px' }}>
          <span class="field-label">{t('quiet')}</span>
          <span class="field-hint">{t('quietHint')}</span>
        </span>
      </label>
      {quiet && (
        <fieldset class="stack" style={{ border: 0, padding: '0 0 0 24px', margin: 0, gap: '6px' }}>
          <div class="row" style={{ alignItems: 'flex-end', flexWrap: 'wrap' }}>
            <div style={{ width: '140px' }}>
              <Field label={t('from')} required>
                <input type="time" required value={start} onInput={(e) => setStart((e.target as HTMLInputElement).value)} data-testid="quiet-start" />
              </Field>
            </div>
            <div style={{ width: '140px' }}>
              <Field label={t('until')} required>
                <input type="time" required value={end} onInput={(e) => setEnd((e.target as HTMLInputElement).value)} data-testid="quiet-end" />
              </Field>
            </div>
          </div>
          <div class="field-hint" data-testid="quiet-zone">
            {endsNextDay(start, end) && <>{t('nextDay')} </>}
            {now && view.time_zone !== browserZone ? t('zoneNow', { zone: view.time_zone, time: now }) : t('zone', { zone: view.time_zone })}
          </div>
        </fieldset>
      )}
      <ErrorNote error={error} />
      <div>
        <Button type="submit" variant="primary" busy={busy}>
          {t('save')}
        </Button>
      </div>
    </form>
  );
}

type PushState = 'checking' | 'on' | 'off';

function PushPanel({ view, changed }: { view: NotificationView; changed: () => void }) {
  const person = me.value!;
  const [support, setSupport] = useState(currentPushSupport);
  const [state, setState] = useState<PushState>('checking');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (support !== 'available') return setState('off');
    mySubscription(person.id).then(
      (s) => setState(s ? 'on' : 'off'),
      () => setState('off'),
    );
  }, [support]);
  const refused = (e: unknown) => {
    if (!(e instanceof PushRefused)) return e;
    if (e.reason === 'denied') return { localized: () => t('denied') };
    if (e.reason === 'dismissed') return { localized: () => t('dismissed') };
    return { localized: () => t('failed', { detail: e.message }) };
  };
  const turn = async (on: boolean) => {
    setBusy(true);
    setError(null);
    try {
      if (on) await enablePush(person.id, view.push_public_key);
      else await disablePush();
      setState(on ? 'on' : 'off');
      toast(on ? t('enabled') : t('disabled'));
    } catch (e) {
      setError(refused(e));
      // A refusal may have changed what the browser allows (a "Block" in its prompt).
      setSupport(currentPushSupport());
      if (!on) setState('off');
    } finally {
      setBusy(false);
      changed();
    }
  };
  const unavailable = support === 'insecure' ? t('insecure') : support === 'unsupported' ? t('unsupported') : support === 'denied' ? t('denied') : null;
  return (
    <div class="panel stack" data-testid="account-push">
      <div class="row" style={{ alignItems: 'flex-start' }}>
        <div style={{ flex: 1 }}>
          <h2>{t('push')}</h2>
          <div class="field-hint">{t('pushHint')}</div>
        </div>
        {!unavailable && state !== 'checking' && (
          <Button small variant={state === 'on' ? 'secondary' : 'primary'} busy={busy} onClick={() => turn(state !== 'on')} data-testid="push-toggle">
            {state === 'on' ? t('disable') : t('enable')}
          </Button>
        )}
      </div>
      {unavailable ? (
        <div class="info-note" role="status" data-testid="push-unavailable">
          {unavailable}
        </div>
      ) : state === 'checking' ? (
        <Spinner />
      ) : (
        <div class="row-wrap" data-testid="push-state">
          <Badge tone={state === 'on' ? 'success' : 'neutral'}>{state === 'on' ? t('pushOn') : t('pushOff')}</Badge>
          {view.push_subscriptions > 0 && <span class="muted small">{t('elsewhere', { n: view.push_subscriptions })}</span>}
        </div>
      )}
      <ErrorNote error={error} />
    </div>
  );
}
