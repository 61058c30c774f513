// Making and keeping groups: creating a team, interest group, announcement channel or
// shared group; browsing and joining the organization's open groups; a group's members,
// adding and removing them, renaming, archiving and leaving.

import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { strings } from '../i18n';
import { navigate } from '../router';
import { openProfile } from '../directory/profile';
import { PersonPicker } from '../plugins/pickers';
import { isGuest, me } from '../session';
import type { Group, Member } from '../types';
import { Avatar, Badge, Button, Empty, ErrorNote, Field, Modal, Spinner, describeError, toast } from '../ui/kit';
import { WebhooksPanel } from './Webhooks';
import { displayName, groups, loadGroups } from './store';

const t = strings({
  newGroup: ['New group', '新建群组'],
  browse: ['Browse groups', '浏览群组'],
  name: ['Name', '名称'],
  description: ['Description', '简介'],
  kind: ['Kind', '类型'],
  team: ['Team — members only', '团队（仅成员）'],
  interest: ['Interest group — anyone in the organization may join', '兴趣小组（组织内任何人可加入）'],
  announcement: ['Announcements — only owners post', '公告（仅群主发布）'],
  shared: ['Shared group — invite partner organizations', '共享群（可邀请合作组织）'],
  members: ['Members', '成员'],
  create: ['Create', '创建'],
  created: ['{name} created', '已创建「{name}」'],
  join: ['Join', '加入'],
  joined: ['You joined {name}', '你已加入「{name}」'],
  open: ['Open', '打开'],
  noOpen: ['No open groups to join', '没有可加入的公开群组'],
  noOpenHint: ['Interest groups and announcement channels of your organization appear here.', '组织内的兴趣小组和公告频道会显示在这里。'],
  memberCount: ['{n} members', '{n} 位成员'],
  add: ['Add people', '添加成员'],
  addButton: ['Add', '添加'],
  remove: ['Remove', '移除'],
  confirmRemove: ['Remove {name} from this group?', '将 {name} 移出本群？'],
  leave: ['Leave group', '退出群组'],
  confirmLeave: ['Leave {name}? You will no longer see its messages.', '退出「{name}」？你将不再看到其中的消息。'],
  left: ['You left {name}', '你已退出「{name}」'],
  guest: ['Guest', '访客'],
  settings: ['Group settings', '群组设置'],
  save: ['Save', '保存'],
  saved: ['Saved', '已保存'],
  archive: ['Archive group', '归档群组'],
  confirmArchive: ['Archive {name}? Nobody can post in it any more.', '归档「{name}」？之后任何人都不能再发言。'],
  role_owner: ['Owner', '群主'],
  role_admin: ['Admin', '管理员'],
  role_member: ['Member', '成员'],
  kindLabel: ['Kind', '类型'],
});

export function CreateGroupDialog({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [kind, setKind] = useState<'team' | 'interest' | 'announcement' | 'shared'>('team');
  const [members, setMembers] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const g = await api.post<Group>('/api/v1/groups', { kind, name: name.trim(), description: description.trim() || undefined, member_ids: members });
      await loadGroups();
      toast(t('created', { name: g.name }));
      onClose();
      navigate(`/g/${g.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={t('newGroup')} onClose={onClose}>
      <form class="stack" onSubmit={submit} data-testid="create-group">
        <Field label={t('name')} required>
          <input required maxLength={100} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label={t('kind')}>
          <select value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as typeof kind)}>
            {(['team', 'interest', 'announcement', 'shared'] as const).map((k) => (
              <option key={k} value={k}>
                {t(k)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('description')}>
          <textarea rows={2} value={description} onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)} />
        </Field>
        <div class="field">
          <span class="field-label">{t('members')}</span>
          <PersonPicker id="new-group-members" ids={members} onChange={setMembers} multiple label={t('members')} />
        </div>
        <ErrorNote error={error} />
        <Button type="submit" variant="primary" busy={busy} disabled={!name.trim()}>
          {t('create')}
        </Button>
      </form>
    </Modal>
  );
}

/** Groups of the organization one may see and join but is not in. */
export function BrowseGroupsDialog({ onClose }: { onClose: () => void }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [all, setAll] = useState<Group[] | null>(null);
  // Read afresh: nobody is told of a group they are not in when it is made.
  useEffect(() => {
    loadGroups().then(() => setAll(groups.value), () => setAll(groups.value));
  }, []);
  const open = (all ?? []).filter((g) => g.my_role === null && !g.archived && g.kind !== 'department');
  const join = async (g: Group) => {
    setBusy(g.id);
    try {
      await api.post(`/api/v1/groups/${g.id}/join`);
      await loadGroups();
      toast(t('joined', { name: g.name }));
      onClose();
      navigate(`/g/${g.id}`);
    } catch (e) {
      toast(describeError(e), 'error');
    } finally {
      setBusy(null);
    }
  };
  return (
    <Modal title={t('browse')} onClose={onClose}>
      {!all ? (
        <Spinner />
      ) : open.length === 0 ? (
        <Empty title={t('noOpen')} hint={t('noOpenHint')} />
      ) : (
        <div class="stack" style={{ gap: '4px' }}>
          {open.map((g) => (
            <div key={g.id} class="person-row" style={{ cursor: 'default' }}>
              <div style={{ flex: 1, minWidth: 0 }}>
                <div>
                  <strong>{g.name}</strong>
                </div>
                <div class="sub">{[g.description, t('memberCount', { n: g.member_count })].filter(Boolean).join(' · ')}</div>
              </div>
              <Button small variant="primary" busy={busy === g.id} onClick={() => join(g)}>
                {t('join')}
              </Button>
            </div>
          ))}
        </div>
      )}
    </Modal>
  );
}

/** A group's people; its managers add and remove them, rename or archive it; anyone leaves. */
export function MembersDialog({ group, onClose }: { group: Group; onClose: () => void }) {
  const [members, setMembers] = useState<Member[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [adding, setAdding] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [name, setName] = useState(group.name);
  const [description, setDescription] = useState(group.description);
  const mine = members?.find((m) => m.person_id === me.value?.id);
  const manages = !!mine && (mine.role === 'owner' || mine.role === 'admin') && group.kind !== 'direct';
  const reload = () => api.get<Member[]>(`/api/v1/groups/${group.id}/members`).then(setMembers, setError);
  useEffect(() => {
    void reload();
  }, [group.id]);

  const act = async (work: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    try {
      await work();
      if (done) toast(done);
    } catch (e) {
      toast(describeError(e), 'error');
    } finally {
      setBusy(false);
    }
  };
  const add = () =>
    act(async () => {
      for (const id of adding) await api.post(`/api/v1/groups/${group.id}/members`, { person_id: id });
      setAdding([]);
      await reload();
      await loadGroups();
    });
  const remove = (m: Member) =>
    confirm(t('confirmRemove', { name: m.display_name })) &&
    act(async () => {
      await api.del(`/api/v1/groups/${group.id}/members/${m.person_id}`);
      await reload();
      await loadGroups();
    });
  const leave = () =>
    confirm(t('confirmLeave', { name: displayName(group) })) &&
    act(async () => {
      await api.post(`/api/v1/groups/${group.id}/leave`);
      await loadGroups();
      onClose();
      navigate('/');
    }, t('left', { name: displayName(group) }));
  const save = () =>
    act(async () => {
      await api.patch(`/api/v1/groups/${group.id}`, { name: name.trim(), description });
      await loadGroups();
    }, t('saved'));
  const archive = () =>
    confirm(t('confirmArchive', { name: group.name })) &&
    act(async () => {
      await api.patch(`/api/v1/groups/${group.id}`, { archived: true });
      await loadGroups();
      onClose();
      navigate('/');
    });

  return (
    <Modal title={displayName(group)} onClose={onClose} wide>
      {error ? (
        <ErrorNote error={error} />
      ) : !members ? (
        <Spinner />
      ) : (
        <div class="stack">
          {manages && group.kind !== 'department' && (
            <div class="panel stack" style={{ gap: '8px' }}>
              <h3>{t('settings')}</h3>
              <Field label={t('name')}>
                <input value={name} maxLength={100} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
              </Field>
              <Field label={t('description')}>
                <input value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
              </Field>
              <div class="row">
                <Button small variant="primary" onClick={save} disabled={busy || !name.trim() || (name === group.name && description === group.description)}>
                  {t('save')}
                </Button>
                <span class="spacer" />
                <Button small variant="danger" onClick={archive} disabled={busy}>
                  {t('archive')}
                </Button>
              </div>
            </div>
          )}
          {manages && !isGuest.value && <WebhooksPanel groupId={group.id} />}
          {manages && !isGuest.value && (
            <div class="row" style={{ alignItems: 'flex-start' }}>
              <div style={{ flex: 1 }}>
                <PersonPicker id="add-members" ids={adding} onChange={setAdding} multiple label={t('add')} placeholder={t('add')} />
              </div>
              <Button variant="primary" onClick={add} disabled={!adding.length || busy}>
                {t('addButton')}
              </Button>
            </div>
          )}
          <div data-testid="member-list">
            <h3 style={{ margin: '4px 0' }}>{t('memberCount', { n: members.length })}</h3>
            {members.map((m) => (
              <div key={m.person_id} class="person-row" style={{ cursor: 'default' }}>
                <button type="button" class="avatar-btn" onClick={() => (onClose(), openProfile(m.person_id))} aria-label={m.display_name}>
                  <Avatar id={m.person_id} name={m.display_name} size={32} />
                </button>
                <div style={{ flex: 1, minWidth: 0 }}>
                  <button type="button" class="msg-author" onClick={() => (onClose(), openProfile(m.person_id))}>
                    {m.display_name}
                  </button>
                  <div class="sub">{t(`role_${m.role}` as any) || m.role}</div>
                </div>
                {m.guest && <Badge tone="external">{t('guest')}</Badge>}
                {manages && m.person_id !== me.value?.id && (
                  <Button small variant="ghost" onClick={() => remove(m)} disabled={busy}>
                    {t('remove')}
                  </Button>
                )}
              </div>
            ))}
          </div>
          {mine && group.kind !== 'direct' && (
            <div class="row">
              <span class="spacer" />
              <Button small variant="danger" onClick={leave} disabled={busy}>
                {t('leave')}
              </Button>
            </div>
          )}
        </div>
      )}
    </Modal>
  );
}
