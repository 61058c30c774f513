// Compliance: how long messages are kept, legal holds that keep a group's messages
// whatever the retention, and the organization's data export.

import { useState } from 'preact/hooks';
import { api } from '../api';
import { strings } from '../i18n';
import type { Group, Org } from '../types';
import { Button, ErrorNote, Field, Modal, Spinner, toast } from '../ui/kit';
import { ActionsCell, SectionHead, Table, Toggle, confirmDialog, putOrg, tc, useLoad, when, PersonChip } from './shared';

const t = strings({
  retention: ['Message retention', '消息保留'],
  retentionHint: ['Delete messages older than a number of days, for good: text, reactions, search and the event log. Groups under legal hold keep everything.', '永久删除超过指定天数的消息：正文、表情回应、搜索索引和事件日志。处于法律保留状态的群组不受影响。'],
  deleteOld: ['Delete old messages', '删除旧消息'],
  keepForever: ['Messages are kept forever.', '消息永久保留。'],
  days: ['Keep messages for (days)', '保留天数'],
  daysHint: ['1 to 36500. The job runs every hour.', '1 到 36500。清理任务每小时运行一次。'],
  badDays: ['Enter a whole number of days from 1 to 36500', '请输入 1 到 36500 之间的整数天数'],
  confirmTitle: ['Delete messages older than {days} days?', '删除超过 {days} 天的消息？'],
  confirmMessage: ['Older messages in every group without a legal hold will be deleted for good within the hour. This cannot be undone.', '一小时内，所有未处于法律保留状态的群组中更早的消息将被永久删除，且无法恢复。'],
  confirm: ['Delete old messages', '删除旧消息'],
  holds: ['Legal holds', '法律保留'],
  holdsHint: ['A group under legal hold keeps all its messages, whatever the retention.', '处于法律保留状态的群组将保留全部消息，不受保留期限影响。'],
  place: ['Place a hold', '设置保留'],
  group: ['Group', '群组'],
  reason: ['Reason', '原因'],
  reasonHint: ['A case or matter reference, visible to admins and in the audit log.', '案件或事项编号，管理员和审计日志可见。'],
  placedBy: ['Placed by', '设置人'],
  placedAt: ['Since', '开始时间'],
  release: ['Release', '解除'],
  releaseTitle: ['Release the hold on “{name}”?', '解除“{name}”的法律保留？'],
  releaseMessage: ['Retention applies to this group again from its next run.', '下次清理时，保留期限将重新适用于该群组。'],
  noHolds: ['No group is under legal hold.', '没有处于法律保留状态的群组。'],
  placed: ['Hold placed', '已设置法律保留'],
  released: ['Hold released', '已解除法律保留'],
  export: ['Data export', '数据导出'],
  exportHint: ['Everything of this organization as one ZIP of JSON Lines files: people, groups, members, messages with reactions, the files index and plugin data. The export is recorded in the audit log.', '将本组织的全部数据导出为一个 ZIP（JSON Lines 格式）：人员、群组、成员、消息及表情回应、文件索引和插件数据。导出操作会记入审计日志。'],
  download: ['Download export', '下载导出文件'],
  pickGroup: ['Choose a group', '选择群组'],
});

interface Hold {
  group_id: string;
  org_id: string;
  placed_by: string;
  placed_at: number;
  reason: string;
}

export function CompliancePage({ orgId }: { orgId: string }) {
  const org = useLoad((signal) => api.get<Org>(`/api/v1/orgs/${orgId}`, undefined, signal), [orgId]);
  const holds = useLoad((signal) => api.get<Hold[]>(`/api/v1/orgs/${orgId}/legal-holds`, undefined, signal), [orgId]);
  const groups = useLoad((signal) => api.get<Group[]>(`/api/v1/orgs/${orgId}/groups`, undefined, signal), [orgId]);
  const [placing, setPlacing] = useState(false);
  const names = new Map((groups.data ?? []).map((g) => [g.id, g.name]));

  const release = async (h: Hold) => {
    const name = names.get(h.group_id) ?? h.group_id;
    const ok = await confirmDialog({ title: t('releaseTitle', { name }), message: t('releaseMessage'), confirmLabel: t('release'), danger: true });
    if (!ok) return;
    try {
      await api.del(`/api/v1/groups/${h.group_id}/legal-hold`);
      toast(t('released'));
      holds.reload();
    } catch (e) {
      toast(String((e as Error).message ?? e));
    }
  };

  return (
    <div class="stack">
      {org.error ? <ErrorNote error={org.error} onRetry={org.reload} /> : !org.data ? <Spinner /> : <RetentionForm key={org.data.id} org={org.data} onSaved={org.set} />}
      <section class="panel stack" data-testid="legal-holds">
        <SectionHead title={t('holds')} hint={t('holdsHint')}>
          <Button variant="primary" onClick={() => setPlacing(true)} data-testid="place-hold">
            {t('place')}
          </Button>
        </SectionHead>
        {holds.error ? (
          <ErrorNote error={holds.error} onRetry={holds.reload} />
        ) : !holds.data ? (
          <Spinner />
        ) : (
          <Table columns={[t('group'), t('reason'), t('placedBy'), t('placedAt')]} actions empty={holds.data.length === 0 && <p class="muted">{t('noHolds')}</p>}>
            {holds.data.map((h) => (
              <tr key={h.group_id}>
                <td>{names.get(h.group_id) ?? h.group_id}</td>
                <td>{h.reason}</td>
                <td>
                  <PersonChip id={h.placed_by} />
                </td>
                <td>{when(h.placed_at)}</td>
                <ActionsCell>
                  <Button small onClick={() => void release(h)}>
                    {t('release')}
                  </Button>
                </ActionsCell>
              </tr>
            ))}
          </Table>
        )}
      </section>
      <section class="panel stack">
        <SectionHead title={t('export')} hint={t('exportHint')} />
        <div>
          <a class="btn btn-secondary" href={`/api/v1/orgs/${orgId}/export`} download data-testid="org-export">
            {t('download')}
          </a>
        </div>
      </section>
      {placing && (
        <PlaceHoldDialog
          groups={(groups.data ?? []).filter((g) => !(holds.data ?? []).some((h) => h.group_id === g.id))}
          onClose={() => setPlacing(false)}
          onPlaced={() => {
            setPlacing(false);
            toast(t('placed'));
            holds.reload();
          }}
        />
      )}
    </div>
  );
}

function RetentionForm({ org, onSaved }: { org: Org; onSaved: (o: Org) => void }) {
  const [on, setOn] = useState(org.message_retention_days != null);
  const [days, setDays] = useState(String(org.message_retention_days ?? 365));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const n = Number(days);
  const valid = Number.isInteger(n) && n >= 1 && n <= 36500;
  const wanted = on ? n : null;
  const dirty = wanted !== (org.message_retention_days ?? null);

  const save = async (e: Event) => {
    e.preventDefault();
    if ((on && !valid) || !dirty) return;
    // Shortening what is kept deletes messages for good: say so first.
    const shorter = wanted !== null && (org.message_retention_days == null || wanted < org.message_retention_days);
    if (shorter && !(await confirmDialog({ title: t('confirmTitle', { days: wanted }), message: t('confirmMessage'), confirmLabel: t('confirm'), danger: true }))) return;
    setBusy(true);
    setError(null);
    try {
      const updated = await api.patch<Org>(`/api/v1/orgs/${org.id}`, { message_retention_days: wanted });
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
    <form class="panel stack" onSubmit={save} data-testid="retention" noValidate>
      <SectionHead title={t('retention')} hint={t('retentionHint')} />
      <Toggle label={t('deleteOld')} checked={on} onChange={setOn} testid="retention-on" />
      {on ? (
        <Field label={t('days')} required hint={t('daysHint')} error={valid ? null : t('badDays')}>
          <input type="number" min={1} max={36500} step={1} value={days} onInput={(e) => setDays((e.target as HTMLInputElement).value)} data-testid="retention-days" style={{ maxWidth: '160px' }} />
        </Field>
      ) : (
        <p class="muted">{t('keepForever')}</p>
      )}
      <ErrorNote error={error} />
      <div class="admin-form-actions">
        <Button type="submit" variant="primary" busy={busy} disabled={!dirty || (on && !valid)} data-testid="retention-save">
          {tc('save')}
        </Button>
      </div>
    </form>
  );
}

function PlaceHoldDialog({ groups, onClose, onPlaced }: { groups: Group[]; onClose: () => void; onPlaced: () => void }) {
  const [group, setGroup] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const ready = group !== '' && reason.trim() !== '';
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!ready) return;
    setBusy(true);
    setError(null);
    try {
      await api.put(`/api/v1/groups/${group}/legal-hold`, { reason: reason.trim() });
      onPlaced();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={t('place')} onClose={onClose}>
      <form class="stack" onSubmit={submit} noValidate data-testid="place-hold-form">
        <Field label={t('group')} required>
          <select value={group} onChange={(e) => setGroup((e.target as HTMLSelectElement).value)} data-testid="hold-group">
            <option value="">{t('pickGroup')}</option>
            {groups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('reason')} required hint={t('reasonHint')}>
          <input value={reason} maxLength={500} onInput={(e) => setReason((e.target as HTMLInputElement).value)} data-testid="hold-reason" />
        </Field>
        <ErrorNote error={error} />
        <div class="admin-form-actions">
          <Button onClick={onClose}>{tc('cancel')}</Button>
          <Button type="submit" variant="primary" busy={busy} disabled={!ready} data-testid="hold-submit">
            {t('place')}
          </Button>
        </div>
      </form>
    </Modal>
  );
}
