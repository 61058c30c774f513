// Organization settings (name, time zone, read receipts, anonymous posts) and, for
// platform admins, the list of all organizations with creating new ones.

import { useMemo, useState } from 'preact/hooks';
import { api } from '../api';
import { strings } from '../i18n';
import { navigate } from '../router';
import type { Org } from '../types';
import { Badge, Button, Empty, ErrorNote, Field, Modal, Spinner, toast } from '../ui/kit';
import { checkName, checkSlug } from './logic';
import { CopyId, SectionHead, Table, Toggle, chooseOrg, managedOrgId, orgs, orgsError, loadOrgs, problemText, putOrg, tc, useLoad, when } from './shared';

const t = strings({
  settings: ['Organization settings', '组织设置'],
  settingsHint: ['How your organization appears and behaves for everyone in it.', '组织的名称及对所有成员生效的设置。'],
  name: ['Name', '名称'],
  timeZone: ['Time zone', '时区'],
  timeZoneHint: ['Scheduled plugin jobs run in this time zone. Now there: {now}', '插件的定时任务按此时区运行。当地时间：{now}'],
  badTimeZone: ['Not a time zone this browser knows, e.g. Asia/Shanghai', '无法识别的时区，例如 Asia/Shanghai'],
  receipts: ['Read receipts', '已读回执'],
  receiptsHint: ['Senders can see who has read their messages (groups up to 500 members).', '发送者可以查看谁已读了消息（500 人以内的群组）。'],
  anonymous: ['Anonymous posts', '匿名发帖'],
  anonymousHint: ['People may post to feeds without their name.', '成员可以在动态中匿名发帖。'],
  details: ['Details', '基本信息'],
  id: ['Organization ID', '组织 ID'],
  slug: ['Short name', '短名称'],
  created: ['Created', '创建时间'],
  unchanged: ['No changes to save', '没有需要保存的更改'],
  all: ['Organizations', '组织'],
  allHint: ['Every organization on this host. Pick one to manage it.', '此服务器上的全部组织。选择一个进行管理。'],
  newOrg: ['New organization', '新建组织'],
  manage: ['Manage', '管理'],
  managing: ['Managing', '管理中'],
  none: ['No organizations yet', '还没有组织'],
  slugHint: ['Optional: letters a–z, digits and dashes. Derived from the name when empty.', '可选：小写字母、数字和短横线。留空则根据名称生成。'],
  created_ok: ['Organization “{name}” created', '已创建组织“{name}”'],
  on: ['On', '开'],
  off: ['Off', '关'],
});

/** Common IANA zones, for browsers without `Intl.supportedValuesOf`. */
const COMMON_ZONES = ['UTC', 'Asia/Shanghai', 'Asia/Hong_Kong', 'Asia/Taipei', 'Asia/Singapore', 'Asia/Tokyo', 'Asia/Seoul', 'Asia/Kolkata', 'Asia/Dubai', 'Europe/London', 'Europe/Berlin', 'Europe/Paris', 'America/New_York', 'America/Chicago', 'America/Los_Angeles', 'America/Sao_Paulo', 'Australia/Sydney'];

function timeZones(): string[] {
  const supported = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf;
  try {
    const list = supported ? supported('timeZone') : [];
    return list.length ? ['UTC', ...list.filter((z) => z !== 'UTC')] : COMMON_ZONES;
  } catch {
    return COMMON_ZONES;
  }
}

/** The time now in `zone`, or null when the browser does not know it. */
function nowIn(zone: string): string | null {
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone: zone.trim(), hour: '2-digit', minute: '2-digit', weekday: 'short' }).format(new Date());
  } catch {
    return null;
  }
}

export function OrgSettings({ orgId }: { orgId: string }) {
  const org = useLoad((signal) => api.get<Org>(`/api/v1/orgs/${orgId}`, undefined, signal), [orgId]);
  if (org.error) return <ErrorNote error={org.error} onRetry={org.reload} />;
  if (!org.data) return <Spinner />;
  return <OrgForm key={org.data.id} org={org.data} onSaved={org.set} />;
}

function OrgForm({ org, onSaved }: { org: Org; onSaved: (o: Org) => void }) {
  const [name, setName] = useState(org.name);
  const [zone, setZone] = useState(org.time_zone);
  const [receipts, setReceipts] = useState(org.read_receipts_enabled);
  const [anonymous, setAnonymous] = useState(org.anonymous_posts_enabled);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [tried, setTried] = useState(false);
  const zones = useMemo(timeZones, []);

  const nameProblem = checkName(name);
  const now = nowIn(zone);
  const zoneProblem = !zone.trim() ? tc('required') : now === null ? t('badTimeZone') : null;
  const changes: Partial<Org> = {};
  if (name.trim() !== org.name) changes.name = name.trim();
  if (zone.trim() !== org.time_zone) changes.time_zone = zone.trim();
  if (receipts !== org.read_receipts_enabled) changes.read_receipts_enabled = receipts;
  if (anonymous !== org.anonymous_posts_enabled) changes.anonymous_posts_enabled = anonymous;
  const dirty = Object.keys(changes).length > 0;

  const save = async (e: Event) => {
    e.preventDefault();
    setTried(true);
    if (nameProblem || zoneProblem || !dirty) return;
    setBusy(true);
    setError(null);
    try {
      const updated = await api.patch<Org>(`/api/v1/orgs/${org.id}`, changes);
      onSaved(updated);
      putOrg(updated);
      toast(tc('saved'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="admin-grid-main">
      <form class="panel stack" onSubmit={save} data-testid="org-settings" noValidate>
        <SectionHead title={t('settings')} hint={t('settingsHint')} />
        <Field label={t('name')} required error={tried ? problemText(nameProblem) : null}>
          <input value={name} maxLength={100} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="org-name" />
        </Field>
        <Field label={t('timeZone')} required error={zoneProblem && (tried || zone !== org.time_zone) ? zoneProblem : null} hint={now ? t('timeZoneHint', { now }) : undefined}>
          <input value={zone} list="admin-time-zones" spellcheck={false} autoComplete="off" onInput={(e) => setZone((e.target as HTMLInputElement).value)} data-testid="org-time-zone" />
        </Field>
        <datalist id="admin-time-zones">
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <Toggle label={t('receipts')} hint={t('receiptsHint')} checked={receipts} onChange={setReceipts} testid="org-receipts" />
        <Toggle label={t('anonymous')} hint={t('anonymousHint')} checked={anonymous} onChange={setAnonymous} testid="org-anonymous" />
        <ErrorNote error={error} />
        <div class="admin-form-actions">
          {dirty && (
            <Button
              onClick={() => {
                setName(org.name);
                setZone(org.time_zone);
                setReceipts(org.read_receipts_enabled);
                setAnonymous(org.anonymous_posts_enabled);
                setTried(false);
              }}
            >
              {tc('cancel')}
            </Button>
          )}
          <Button type="submit" variant="primary" busy={busy} disabled={!dirty} title={dirty ? undefined : t('unchanged')} data-testid="org-save">
            {tc('save')}
          </Button>
        </div>
      </form>
      <aside class="panel admin-facts">
        <h3>{t('details')}</h3>
        <dl>
          <dt>{t('id')}</dt>
          <dd>
            <CopyId value={org.id} />
          </dd>
          <dt>{t('slug')}</dt>
          <dd>
            <code>{org.slug}</code>
          </dd>
          <dt>{t('created')}</dt>
          <dd>{when(org.created_at)}</dd>
        </dl>
      </aside>
    </div>
  );
}

export function OrgsPage() {
  const [creating, setCreating] = useState(false);
  const list = orgs.value;
  return (
    <div class="stack">
      <SectionHead title={t('all')} hint={t('allHint')}>
        <Button onClick={() => void loadOrgs()}>{tc('refresh')}</Button>
        <Button variant="primary" onClick={() => setCreating(true)} data-testid="new-org">
          {t('newOrg')}
        </Button>
      </SectionHead>
      {orgsError.value && <ErrorNote error={orgsError.value} onRetry={() => void loadOrgs()} />}
      {!list ? (
        <Spinner />
      ) : (
        <Table
          testid="orgs-table"
          columns={[t('name'), t('slug'), t('timeZone'), t('receipts'), t('anonymous'), t('created')]}
          actions
          empty={list.length === 0 && <Empty title={t('none')} />}
        >
          {list.map((o) => (
            <tr key={o.id}>
              <td>
                <strong>{o.name}</strong> {o.id === managedOrgId.value && <Badge tone="info">{t('managing')}</Badge>}
              </td>
              <td>
                <code>{o.slug}</code>
              </td>
              <td>{o.time_zone}</td>
              <td>{o.read_receipts_enabled ? t('on') : t('off')}</td>
              <td>{o.anonymous_posts_enabled ? t('on') : t('off')}</td>
              <td class="nowrap">{when(o.created_at)}</td>
              <td class="admin-col-actions">
                <Button
                  small
                  onClick={() => {
                    chooseOrg(o.id);
                    navigate('/admin');
                  }}
                >
                  {t('manage')}
                </Button>
              </td>
            </tr>
          ))}
        </Table>
      )}
      {creating && <NewOrgDialog onClose={() => setCreating(false)} />}
    </div>
  );
}

function NewOrgDialog({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [zone, setZone] = useState(() => {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    } catch {
      return 'UTC';
    }
  });
  const [receipts, setReceipts] = useState(true);
  const [anonymous, setAnonymous] = useState(false);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const zones = useMemo(timeZones, []);
  const nameProblem = checkName(name);
  const slugProblem = checkSlug(slug.trim());
  const zoneProblem = nowIn(zone) === null ? t('badTimeZone') : null;

  const submit = async (e: Event) => {
    e.preventDefault();
    setTried(true);
    if (nameProblem || slugProblem || zoneProblem) return;
    setBusy(true);
    setError(null);
    try {
      const org = await api.post<Org>('/api/v1/orgs', {
        name: name.trim(),
        slug: slug.trim() || undefined,
        time_zone: zone.trim() || undefined,
        read_receipts_enabled: receipts,
        anonymous_posts_enabled: anonymous,
      });
      putOrg(org);
      toast(t('created_ok', { name: org.name }));
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal title={t('newOrg')} onClose={onClose}>
      <form class="stack" onSubmit={submit} noValidate data-testid="new-org-form">
        <Field label={t('name')} required error={tried ? problemText(nameProblem) : null}>
          <input value={name} maxLength={100} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label={t('slug')} hint={t('slugHint')} error={tried || slug ? problemText(slugProblem) : null}>
          <input value={slug} spellcheck={false} autoComplete="off" onInput={(e) => setSlug((e.target as HTMLInputElement).value.toLowerCase())} />
        </Field>
        <Field label={t('timeZone')} error={tried ? zoneProblem : null}>
          <input value={zone} list="admin-new-org-zones" spellcheck={false} onInput={(e) => setZone((e.target as HTMLInputElement).value)} />
        </Field>
        <datalist id="admin-new-org-zones">
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <Toggle label={t('receipts')} checked={receipts} onChange={setReceipts} />
        <Toggle label={t('anonymous')} checked={anonymous} onChange={setAnonymous} />
        <ErrorNote error={error} />
        <div class="admin-form-actions">
          <Button onClick={onClose}>{tc('cancel')}</Button>
          <Button type="submit" variant="primary" busy={busy}>
            {tc('create')}
          </Button>
        </div>
      </form>
    </Modal>
  );
}
