// A group's webhooks, for its managers: incoming hooks (a secret URL other systems post
// to, shown once) and outgoing hooks (the group's events sent to a URL), with each
// outgoing hook's delivery log.

import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { formatDateTime, strings } from '../i18n';
import { Badge, Button, ErrorNote, Field, Spinner, describeError, toast } from '../ui/kit';

const t = strings({
  title: ['Integrations (webhooks)', '集成（Webhook）'],
  hint: ['Let other systems post here, or send this group’s messages to them. See docs/webhooks.md for signatures.', '让其他系统向本群发消息，或把本群消息发送给它们。签名方式见 docs/webhooks.md。'],
  none: ['No webhooks yet.', '还没有 Webhook。'],
  incoming: ['Incoming', '接收'],
  outgoing: ['Outgoing', '发送'],
  name: ['Name', '名称'],
  url: ['Receiver URL', '接收地址'],
  events: ['Events', '事件'],
  add: ['Add webhook', '添加 Webhook'],
  created: ['Copy this now — it is shown only once:', '请立即复制，仅显示这一次：'],
  secretUrl: ['Post URL', '发送地址'],
  secret: ['Signing secret', '签名密钥'],
  copy: ['Copy', '复制'],
  copied: ['Copied', '已复制'],
  enabled: ['On', '已启用'],
  disabled: ['Off', '已停用'],
  turnOn: ['Turn on', '启用'],
  turnOff: ['Turn off', '停用'],
  remove: ['Delete', '删除'],
  confirmRemove: ['Delete the webhook “{name}”? Systems using it will stop working.', '删除 Webhook“{name}”？使用它的系统将无法继续工作。'],
  deliveries: ['Deliveries', '发送记录'],
  noDeliveries: ['Nothing sent yet.', '还没有发送记录。'],
  attempts: ['{n} attempts', '尝试 {n} 次'],
  status_pending: ['retrying', '重试中'],
  status_delivered: ['delivered', '已送达'],
  status_failed: ['failed', '失败'],
  close: ['Close', '关闭'],
});

const EVENTS = ['message.created', 'message.edited', 'message.deleted', 'reaction.added', 'reaction.removed', 'member.joined', 'member.left'];

interface Hook {
  id: string;
  kind: 'incoming' | 'outgoing';
  name: string;
  url: string | null;
  events: string[];
  enabled: boolean;
  failures: number;
  disabled_reason: string | null;
  incoming_path?: string;
  signing_secret?: string;
}

interface Delivery {
  id: string;
  event_kind: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
}

export function WebhooksPanel({ groupId }: { groupId: string }) {
  const [hooks, setHooks] = useState<Hook[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [kind, setKind] = useState<'incoming' | 'outgoing'>('incoming');
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['message.created']);
  const [fresh, setFresh] = useState<Hook | null>(null);
  const [busy, setBusy] = useState(false);
  const [log, setLog] = useState<string | null>(null);
  const reload = () => api.get<Hook[]>(`/api/v1/groups/${groupId}/webhooks`).then(setHooks, setError);
  useEffect(() => {
    void reload();
  }, [groupId]);

  const act = async (work: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await work();
      await reload();
    } catch (e) {
      toast(describeError(e), 'error');
    } finally {
      setBusy(false);
    }
  };
  const create = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      const body = kind === 'incoming' ? { kind, name: name.trim() } : { kind, name: name.trim(), url: url.trim(), events };
      setFresh(await api.post<Hook>(`/api/v1/groups/${groupId}/webhooks`, body));
      setName('');
      setUrl('');
    });
  };
  const ready = name.trim() !== '' && (kind === 'incoming' || (url.trim() !== '' && events.length > 0));

  return (
    <div class="panel stack" style={{ gap: '8px' }} data-testid="webhooks">
      <h3>{t('title')}</h3>
      <p class="small muted">{t('hint')}</p>
      {error ? <ErrorNote error={error} /> : !hooks ? <Spinner /> : hooks.length === 0 ? <p class="small muted">{t('none')}</p> : null}
      {hooks?.map((h) => (
        <div key={h.id} class="person-row" style={{ cursor: 'default', flexWrap: 'wrap' }} data-testid="webhook-row">
          <Badge>{h.kind === 'incoming' ? t('incoming') : t('outgoing')}</Badge>
          <div style={{ flex: 1, minWidth: 0 }}>
            <strong>{h.name}</strong>
            {h.url && <div class="sub" style={{ overflowWrap: 'anywhere' }}>{h.url} · {h.events.join(', ')}</div>}
            {h.disabled_reason && <div class="sub" style={{ color: 'var(--danger)' }}>{h.disabled_reason}</div>}
          </div>
          <Badge tone={h.enabled ? 'success' : 'danger'}>{h.enabled ? t('enabled') : t('disabled')}</Badge>
          {h.kind === 'outgoing' && (
            <Button small variant="ghost" onClick={() => setLog(log === h.id ? null : h.id)}>
              {t('deliveries')}
            </Button>
          )}
          <Button small variant="ghost" disabled={busy} onClick={() => void act(() => api.patch(`/api/v1/webhooks/${h.id}`, { enabled: !h.enabled }))}>
            {h.enabled ? t('turnOff') : t('turnOn')}
          </Button>
          <Button small variant="ghost" disabled={busy} onClick={() => confirm(t('confirmRemove', { name: h.name })) && void act(() => api.del(`/api/v1/webhooks/${h.id}`))}>
            {t('remove')}
          </Button>
          {log === h.id && <DeliveryLog hookId={h.id} />}
        </div>
      ))}
      {fresh && (
        <div class="panel stack" style={{ gap: '6px', background: 'var(--accent-soft)' }} data-testid="webhook-secrets">
          <strong>{t('created')}</strong>
          {fresh.incoming_path && <Secret label={t('secretUrl')} value={`${location.origin}${fresh.incoming_path}`} testid="webhook-url" />}
          {fresh.signing_secret && <Secret label={t('secret')} value={fresh.signing_secret} testid="webhook-secret" />}
          <div>
            <Button small onClick={() => setFresh(null)}>
              {t('close')}
            </Button>
          </div>
        </div>
      )}
      <form class="stack" style={{ gap: '6px' }} onSubmit={create} noValidate>
        <div class="row" style={{ gap: '8px', flexWrap: 'wrap' }}>
          <select value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as 'incoming' | 'outgoing')} style={{ width: 'auto' }} aria-label={t('add')} data-testid="webhook-kind">
            <option value="incoming">{t('incoming')}</option>
            <option value="outgoing">{t('outgoing')}</option>
          </select>
          <input value={name} maxLength={100} placeholder={t('name')} aria-label={t('name')} onInput={(e) => setName((e.target as HTMLInputElement).value)} style={{ flex: '1 1 160px' }} data-testid="webhook-name" />
        </div>
        {kind === 'outgoing' && (
          <>
            <Field label={t('url')}>
              <input type="url" value={url} placeholder="https://" onInput={(e) => setUrl((e.target as HTMLInputElement).value)} data-testid="webhook-target" />
            </Field>
            <fieldset class="row" style={{ gap: '10px', flexWrap: 'wrap', border: 0, padding: 0 }}>
              <legend class="small muted">{t('events')}</legend>
              {EVENTS.map((ev) => (
                <label key={ev} class="small">
                  <input type="checkbox" checked={events.includes(ev)} onChange={(e) => setEvents((e.target as HTMLInputElement).checked ? [...events, ev] : events.filter((x) => x !== ev))} /> <code>{ev}</code>
                </label>
              ))}
            </fieldset>
          </>
        )}
        <div>
          <Button type="submit" small variant="primary" busy={busy} disabled={!ready} data-testid="webhook-add">
            {t('add')}
          </Button>
        </div>
      </form>
    </div>
  );
}

function Secret({ label, value, testid }: { label: string; value: string; testid: string }) {
  return (
    <div class="row" style={{ gap: '6px' }}>
      <span class="small muted" style={{ minWidth: '90px' }}>
        {label}
      </span>
      <code style={{ flex: 1, overflowWrap: 'anywhere' }} data-testid={testid}>
        {value}
      </code>
      <Button small onClick={() => void navigator.clipboard?.writeText(value).then(() => toast(t('copied')))}>
        {t('copy')}
      </Button>
    </div>
  );
}

function DeliveryLog({ hookId }: { hookId: string }) {
  const [list, setList] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.get<Delivery[]>(`/api/v1/webhooks/${hookId}/deliveries`, { limit: 20 }).then(setList, setError);
  }, [hookId]);
  if (error) return <ErrorNote error={error} />;
  if (!list) return <Spinner />;
  return (
    <ul class="small" style={{ width: '100%', margin: '4px 0 0', paddingLeft: '18px' }} data-testid="delivery-log">
      {list.length === 0 && <li class="muted">{t('noDeliveries')}</li>}
      {list.map((d) => (
        <li key={d.id}>
          {formatDateTime(d.created_at)} · <code>{d.event_kind}</code> · {t(`status_${d.status}`)} · {t('attempts', { n: d.attempts })}
          {d.last_status_code ? ` · HTTP ${d.last_status_code}` : ''}
          {d.last_error && d.status !== 'delivered' ? ` · ${d.last_error}` : ''}
        </li>
      ))}
    </ul>
  );
}
