// Cross-company shared groups this organization was invited into: accept or decline.

import { useState } from 'preact/hooks';
import { api } from '../api';
import { strings } from '../i18n';
import { Badge, Button, Empty, ErrorNote, Spinner, describeError, toast } from '../ui/kit';
import type { Partner } from './types';
import { ActionsCell, CopyId, SectionHead, Table, confirmDialog, relative, tc, useLoad, when } from './shared';

const t = strings({
  title: ['Partner invitations', '合作邀请'],
  hint: ['Other organizations invite yours into shared groups for working together across companies. Once you accept, add your people to the group.', '其他组织邀请你的组织加入跨公司共享群组。接受后，再把你的人员加入该群组。'],
  pending: ['Pending', '待处理'],
  accepted: ['Accepted', '已接受'],
  declined: ['Declined', '已拒绝'],
  group: ['Shared group', '共享群组'],
  from: ['Invited by', '邀请方'],
  status: ['Status', '状态'],
  updated: ['Updated', '更新时间'],
  accept: ['Accept', '接受'],
  decline: ['Decline', '拒绝'],
  acceptedToast: ['You joined “{group}”. Add your people to it from the group’s member list.', '已加入“{group}”。请在群组成员列表中添加你的人员。'],
  declinedToast: ['Invitation to “{group}” declined', '已拒绝加入“{group}”的邀请'],
  declineTitle: ['Decline the invitation to “{group}”?', '拒绝加入“{group}”的邀请？'],
  declineMessage: ['Your organization will not join this shared group. The inviting organization has to invite you again to change that.', '你的组织将不会加入该共享群组。如需改变，需要邀请方重新邀请。'],
  acceptTitle: ['Accept the invitation to “{group}”?', '接受加入“{group}”的邀请？'],
  acceptMessage: ['Your organization joins this shared group. People of the inviting organization will see those of your people you add to it.', '你的组织将加入该共享群组。邀请方的人员可以看到你加入该群的人员。'],
  nonePending: ['No pending invitations', '没有待处理的邀请'],
  nonePendingHint: ['When another organization invites yours into a shared group, it shows up here.', '其他组织邀请你的组织加入共享群组时，会显示在这里。'],
  noneOther: ['Nothing here', '暂无记录'],
});

type Filter = 'invited' | 'accepted' | 'declined' | 'all';

export function PartnersPage({ orgId }: { orgId: string }) {
  const list = useLoad((signal) => api.get<Partner[]>(`/api/v1/orgs/${orgId}/partner-invitations`, undefined, signal), [orgId]);
  const [filter, setFilter] = useState<Filter>('invited');
  const [busy, setBusy] = useState<string | null>(null);

  const decide = async (p: Partner, accept: boolean) => {
    const ok = await confirmDialog({
      title: accept ? t('acceptTitle', { group: p.group_name }) : t('declineTitle', { group: p.group_name }),
      message: accept ? t('acceptMessage') : t('declineMessage'),
      confirmLabel: accept ? t('accept') : t('decline'),
      danger: !accept,
    });
    if (!ok) return;
    setBusy(p.group_id);
    try {
      const updated = await api.post<Partner>(`/api/v1/orgs/${orgId}/partner-invitations/${p.group_id}/${accept ? 'accept' : 'decline'}`);
      list.set((list.data ?? []).map((x) => (x.group_id === p.group_id ? { ...x, ...updated, group_name: updated.group_name || x.group_name, host_org_name: updated.host_org_name || x.host_org_name } : x)));
      toast(accept ? t('acceptedToast', { group: p.group_name }) : t('declinedToast', { group: p.group_name }));
    } catch (e) {
      toast(describeError(e), 'error');
      list.reload();
    } finally {
      setBusy(null);
    }
  };

  const all = list.data ?? [];
  const count = (s: Filter) => (s === 'all' ? all.length : all.filter((p) => p.status === s).length);
  const shown = filter === 'all' ? all : all.filter((p) => p.status === filter);

  return (
    <div class="stack">
      <SectionHead title={t('title')} hint={t('hint')}>
        <Button onClick={list.reload}>{tc('refresh')}</Button>
      </SectionHead>
      <div class="admin-segmented" role="group" aria-label={t('status')}>
        {(['invited', 'accepted', 'declined', 'all'] as Filter[]).map((f) => (
          <button key={f} type="button" class={filter === f ? 'active' : ''} aria-pressed={filter === f} onClick={() => setFilter(f)}>
            {f === 'invited' ? t('pending') : f === 'all' ? tc('all') : t(f)}
            {list.data && <span class="admin-count">{count(f)}</span>}
          </button>
        ))}
      </div>
      {list.error ? (
        <ErrorNote error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Spinner />
      ) : (
        <Table
          testid="partners-table"
          columns={[t('group'), t('from'), t('status'), t('updated')]}
          actions
          empty={shown.length === 0 && (filter === 'invited' ? <Empty title={t('nonePending')} hint={t('nonePendingHint')} /> : <Empty title={t('noneOther')} />)}
        >
          {shown.map((p) => (
            <tr key={p.group_id} data-testid={`invitation-${p.group_id}`}>
              <td>
                <strong>{p.group_name}</strong> <Badge tone="external">{tc('kindshared')}</Badge>
              </td>
              <td>
                {p.host_org_name ? (
                  <div class="admin-partner-org">
                    <span data-testid="invitation-host">{p.host_org_name}</span>
                    <span class="muted small">
                      <CopyId value={p.host_org_id} />
                    </span>
                  </div>
                ) : (
                  <CopyId value={p.host_org_id} />
                )}
              </td>
              <td>
                <Badge tone={p.status === 'accepted' ? 'success' : p.status === 'declined' ? 'danger' : 'warning'}>{p.status === 'invited' ? t('pending') : t(p.status as 'accepted')}</Badge>
              </td>
              <td class="nowrap" title={when(p.updated_at)}>
                {relative(p.updated_at)}
              </td>
              <ActionsCell>
                {p.status === 'invited' && (
                  <>
                    <Button small variant="primary" busy={busy === p.group_id} onClick={() => void decide(p, true)} data-testid="accept-invitation">
                      {t('accept')}
                    </Button>
                    <Button small variant="danger" disabled={busy === p.group_id} onClick={() => void decide(p, false)}>
                      {t('decline')}
                    </Button>
                  </>
                )}
              </ActionsCell>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}
