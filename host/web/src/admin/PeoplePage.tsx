// People of the organization: search, add (staff or guests from partner companies), edit
// title, department and role, disable and enable, reset passwords.

import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { strings } from '../i18n';
import { isPlatformAdmin, me } from '../session';
import type { DepartmentNode, Person } from '../types';
import { Badge, Button, Empty, ErrorNote, Field, Modal, Spinner, describeError, toast } from '../ui/kit';
import { appendPage, checkEmail, checkName, checkOptionalText, checkPassword, flattenTree, replaceRow, type Problem } from './logic';
import { ActionsCell, PersonChip, RoleBadge, SectionHead, StatusBadge, Table, confirmDialog, day, problemText, rememberPeople, roleLabel, tc, useLoad, when } from './shared';

const t = strings({
  title: ['People', '人员'],
  hint: ['Everyone with an account in this organization, staff and guests, disabled accounts included.', '本组织中所有拥有账号的人员，包括员工、访客和已停用的账号。'],
  add: ['Add person', '添加人员'],
  search: ['Search by name, pinyin, initials or email', '按姓名、拼音、首字母或邮箱搜索'],
  searchLabel: ['Search people', '搜索人员'],
  role: ['Role', '角色'],
  anyRole: ['Any role', '全部角色'],
  anyStatus: ['Any status', '全部状态'],
  person: ['Person', '人员'],
  jobTitle: ['Title', '职位'],
  department: ['Department', '部门'],
  company: ['Company', '公司'],
  companyHint: ['The partner company a guest comes from.', '访客所属的合作公司。'],
  status: ['Status', '状态'],
  joined: ['Added', '添加时间'],
  guestFrom: ['Guest from {company}', '来自 {company} 的访客'],
  guestNoCompany: ['Guest (company not set)', '访客（未填写公司）'],
  noDepartment: ['No department', '无部门'],
  edit: ['Edit', '编辑'],
  password: ['Reset password', '重置密码'],
  passwordShort: ['Password', '密码'],
  disable: ['Disable', '停用'],
  enable: ['Enable', '启用'],
  you: ['You', '你'],
  none: ['Nobody matches', '没有匹配的人员'],
  noneHint: ['Try another spelling, pinyin or initials.', '换个写法、拼音或首字母试试。'],
  empty: ['No people yet', '还没有人员'],
  emptyHint: ['Add the first people of this organization.', '为这个组织添加第一批人员。'],
  loaded: ['{n} shown', '已显示 {n} 人'],
  more: ['Load more', '加载更多'],
  email: ['Email', '邮箱'],
  displayName: ['Display name', '显示名称'],
  phone: ['Phone', '电话'],
  initialPassword: ['Initial password', '初始密码'],
  initialPasswordHint: ['At least 10 characters. Leave empty and set it later: they cannot sign in until then.', '至少 10 个字符。可留空稍后设置，在此之前对方无法登录。'],
  addTitle: ['Add a person', '添加人员'],
  added: ['{name} was added', '已添加 {name}'],
  editTitle: ['Edit {name}', '编辑 {name}'],
  updated: ['{name} was updated', '已更新 {name}'],
  ownRole: ['You cannot change your own role.', '不能修改自己的角色。'],
  resetTitle: ['Reset password for {name}', '为 {name} 重置密码'],
  resetHint: ['They will be signed out everywhere and must use the new password.', '对方将在所有设备上退出登录，并需使用新密码登录。'],
  newPassword: ['New password', '新密码'],
  repeatPassword: ['Repeat the password', '再次输入密码'],
  generate: ['Generate', '随机生成'],
  show: ['Show', '显示'],
  hide: ['Hide', '隐藏'],
  resetDone: ['Password reset for {name}; tell them the new one privately.', '已重置 {name} 的密码，请私下告知对方新密码。'],
  disableTitle: ['Disable {name}?', '停用 {name}？'],
  disableMessage: ['{name} will be signed out everywhere and cannot sign in until enabled again. Their messages stay.', '{name} 将在所有设备上退出登录，重新启用前无法登录。其消息会保留。'],
  disabled: ['{name} was disabled', '已停用 {name}'],
  enabled: ['{name} was enabled', '已启用 {name}'],
  roleChange: ['Change role of {name}?', '修改 {name} 的角色？'],
  roleChangeMessage: ['{name} will become {role}.', '{name} 将成为{role}。'],
  roleGuestNote: ['Guests only see the shared groups they are in.', '访客只能看到其所在的共享群组。'],
  roleAdminNote: ['Org admins manage people, departments, plugins and settings of the whole organization.', '组织管理员可以管理整个组织的人员、部门、插件和设置。'],
});

const ROLES = ['member', 'org_admin', 'guest'] as const;
const STATUSES = ['active', 'disabled'] as const;
/** People asked for at a time. */
const PAGE = 100;

/** Departments of an organization as `{id, label}` in tree order, labels with their path. */
export function useDepartments(orgId: string) {
  const tree = useLoad((signal) => api.get<DepartmentNode[]>(`/api/v1/orgs/${orgId}/departments`, undefined, signal), [orgId]);
  const flat = useMemo(() => flattenTree(tree.data ?? []), [tree.data]);
  const names = useMemo(() => new Map(flat.map((f) => [f.node.id, f.path.join(' / ')])), [flat]);
  return { tree, flat, names };
}

/**
 * The organization's people matching `q` and `status`, a page at a time. A new search
 * drops the answers still on their way (the newest one wins); `more` loads the next page.
 */
function useOrgPeople(orgId: string, q: string, status: string) {
  const [rows, setRows] = useState<Person[] | null>(null);
  const [more, setMore] = useState(false);
  /** What is on its way: the first page (after a new search) or the next one. */
  const [loading, setLoading] = useState<'first' | 'next' | null>('first');
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const inflight = useRef<AbortController | null>(null);

  const fetchPage = (offset: number) => {
    inflight.current?.abort();
    const ctrl = new AbortController();
    inflight.current = ctrl;
    setLoading(offset === 0 ? 'first' : 'next');
    setError(null);
    api.get<Person[]>(`/api/v1/orgs/${orgId}/people`, { q: q || undefined, status: status || undefined, limit: PAGE, offset }, ctrl.signal).then(
      (page) => {
        if (ctrl.signal.aborted) return;
        rememberPeople(page);
        setRows((old) => (offset === 0 || !old ? page : appendPage(old, page)));
        setMore(page.length === PAGE);
        setLoading(null);
      },
      (e) => {
        if (ctrl.signal.aborted) return;
        // A failed first page leaves nothing to show; a failed next page keeps the rest.
        if (offset === 0) setRows(null);
        setError(e);
        setLoading(null);
      },
    );
  };

  useEffect(() => {
    fetchPage(0);
    return () => inflight.current?.abort();
  }, [orgId, q, status, tick]);

  return {
    rows,
    more,
    loading,
    error,
    reload: () => setTick((n) => n + 1),
    loadMore: () => fetchPage(rows?.length ?? 0),
    /** After a person changed: in place, or gone when no longer of the status shown. */
    put: (p: Person) => {
      rememberPeople([p]);
      setRows((old) => (old ? replaceRow(old, p, status) : old));
    },
  };
}

export function PeoplePage({ orgId }: { orgId: string }) {
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const [role, setRole] = useState('');
  const [status, setStatusFilter] = useState('');
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Person | null>(null);
  const [resetting, setResetting] = useState<Person | null>(null);
  const depts = useDepartments(orgId);

  useEffect(() => {
    const timer = setTimeout(() => setQuery(q.trim()), q ? 250 : 0);
    return () => clearTimeout(timer);
  }, [q]);

  const people = useOrgPeople(orgId, query, status);
  // The server filters by search and status; the role filter applies to the loaded pages.
  const shown = (people.rows ?? []).filter((p) => !role || p.role === role);

  const setStatus = async (p: Person, next: 'active' | 'disabled') => {
    if (next === 'disabled') {
      const ok = await confirmDialog({
        title: t('disableTitle', { name: p.display_name }),
        message: t('disableMessage', { name: p.display_name }),
        confirmLabel: t('disable'),
        danger: true,
      });
      if (!ok) return;
    }
    try {
      const updated = await api.patch<Person>(`/api/v1/people/${p.id}`, { status: next });
      people.put(updated);
      toast(t(next === 'disabled' ? 'disabled' : 'enabled', { name: updated.display_name }));
    } catch (e) {
      toast(describeError(e), 'error');
    }
  };

  const more = people.more && !people.error && (
    <div class="admin-more">
      <span class="muted small">{t('loaded', { n: people.rows?.length ?? 0 })}</span>
      <Button onClick={people.loadMore} busy={people.loading === 'next'} disabled={!!people.loading} data-testid="people-more">
        {t('more')}
      </Button>
    </div>
  );

  return (
    <div class="stack">
      <SectionHead title={t('title')} hint={t('hint')}>
        <Button variant="primary" onClick={() => setAdding(true)} data-testid="add-person">
          {t('add')}
        </Button>
      </SectionHead>
      <div class="admin-toolbar">
        <input type="search" class="admin-search" aria-label={t('searchLabel')} placeholder={t('search')} value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} data-testid="people-search" />
        <select aria-label={t('role')} value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)} class="admin-filter" data-testid="people-role">
          <option value="">{t('anyRole')}</option>
          {['org_admin', 'member', 'guest', 'platform_admin'].map((r) => (
            <option key={r} value={r}>
              {roleLabel(r)}
            </option>
          ))}
        </select>
        <select aria-label={t('status')} value={status} onChange={(e) => setStatusFilter((e.target as HTMLSelectElement).value)} class="admin-filter" data-testid="people-status">
          <option value="">{t('anyStatus')}</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {tc(`status${s}`)}
            </option>
          ))}
        </select>
        {people.loading === 'first' && people.rows && <span class="spinner" aria-hidden="true" />}
      </div>
      {!people.rows ? (
        people.error ? (
          <ErrorNote error={people.error} onRetry={people.reload} />
        ) : (
          <Spinner />
        )
      ) : (
        <PeopleTable
          people={shown}
          empty={shown.length === 0 && (query || role || status ? <Empty title={t('none')} hint={t('noneHint')} /> : <Empty title={t('empty')} hint={t('emptyHint')} />)}
          deptNames={depts.names}
          onEdit={setEditing}
          onReset={setResetting}
          onStatus={setStatus}
        />
      )}
      {people.rows && people.error ? <ErrorNote error={people.error} onRetry={people.loadMore} /> : more}

      {adding && (
        <PersonDialog
          orgId={orgId}
          departments={depts.flat.map((f) => ({ id: f.node.id, label: f.path.join(' / ') }))}
          onClose={() => setAdding(false)}
          onSaved={(p) => {
            setAdding(false);
            rememberPeople([p]);
            people.reload();
          }}
        />
      )}
      {editing && (
        <PersonDialog
          orgId={orgId}
          person={editing}
          departments={depts.flat.map((f) => ({ id: f.node.id, label: f.path.join(' / ') }))}
          onClose={() => setEditing(null)}
          onSaved={(p) => {
            setEditing(null);
            people.put(p);
          }}
        />
      )}
      {resetting && <ResetPasswordDialog person={resetting} onClose={() => setResetting(null)} />}
    </div>
  );
}

function PeopleTable({
  people,
  empty,
  deptNames,
  onEdit,
  onReset,
  onStatus,
}: {
  people: Person[];
  empty: ComponentChildren;
  deptNames: Map<string, string>;
  onEdit: (p: Person) => void;
  onReset: (p: Person) => void;
  onStatus: (p: Person, s: 'active' | 'disabled') => void;
}) {
  const myId = me.value?.id;
  return (
    <Table
      class="admin-people"
      testid="people-table"
      columns={[
        t('person'),
        t('jobTitle'),
        {
          label: (
            <>
              {t('department')} / {t('company')}
            </>
          ),
        },
        t('role'),
        t('status'),
        { label: t('joined'), class: 'admin-col-wide' },
      ]}
      actions
      empty={empty}
    >
      {people.map((p) => {
        const self = p.id === myId;
        const manageable = p.role !== 'platform_admin' || isPlatformAdmin.value;
        return (
          <tr key={p.id} class={p.status === 'disabled' ? 'is-muted' : ''} data-testid={`person-${p.id}`}>
            <td>
              <div class="admin-person-cell">
                <PersonChip id={p.id} name={p.display_name} sub={p.email} />
                {self && <Badge tone="info">{t('you')}</Badge>}
              </div>
            </td>
            <td>{p.title || <span class="muted">—</span>}</td>
            <td>
              {p.role === 'guest' ? (
                <span class="admin-guest">{p.company ? t('guestFrom', { company: p.company }) : t('guestNoCompany')}</span>
              ) : p.department_id ? (
                (deptNames.get(p.department_id) ?? '…')
              ) : (
                <span class="muted">{t('noDepartment')}</span>
              )}
            </td>
            <td>
              <RoleBadge role={p.role} />
            </td>
            <td>
              <StatusBadge status={p.status} />
            </td>
            <td class="nowrap admin-col-wide" title={when(p.created_at)}>
              {day(p.created_at)}
            </td>
            <ActionsCell>
              {manageable && (
                <>
                  <Button small variant="ghost" onClick={() => onEdit(p)}>
                    {t('edit')}
                  </Button>
                  <Button small variant="ghost" onClick={() => onReset(p)} title={t('password')}>
                    {t('passwordShort')}
                  </Button>
                  {!self &&
                    (p.status === 'disabled' ? (
                      <Button small onClick={() => onStatus(p, 'active')}>
                        {t('enable')}
                      </Button>
                    ) : (
                      <Button small variant="danger" onClick={() => onStatus(p, 'disabled')}>
                        {t('disable')}
                      </Button>
                    ))}
                </>
              )}
            </ActionsCell>
          </tr>
        );
      })}
    </Table>
  );
}

interface Form {
  email: string;
  display_name: string;
  title: string;
  department_id: string;
  role: string;
  company: string;
  phone: string;
  password: string;
}

function PersonDialog({
  orgId,
  person,
  departments,
  onClose,
  onSaved,
}: {
  orgId: string;
  person?: Person;
  departments: { id: string; label: string }[];
  onClose: () => void;
  onSaved: (p: Person) => void;
}) {
  const editing = !!person;
  const [f, setF] = useState<Form>({
    email: person?.email ?? '',
    display_name: person?.display_name ?? '',
    title: person?.title ?? '',
    department_id: person?.department_id ?? '',
    role: person?.role ?? 'member',
    company: person?.company ?? '',
    phone: person?.phone ?? '',
    password: '',
  });
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const self = person?.id === me.value?.id;
  const set = (k: keyof Form) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });

  const problems: Partial<Record<keyof Form, Problem | null>> = {
    email: editing ? null : checkEmail(f.email),
    display_name: checkName(f.display_name),
    title: checkOptionalText(f.title),
    company: checkOptionalText(f.company),
    phone: checkOptionalText(f.phone, 40),
    password: editing ? null : checkPassword(f.password, true),
  };
  const err = (k: keyof Form) => (tried ? problemText(problems[k]) : null);
  const roles: string[] = [...ROLES, ...(isPlatformAdmin.value ? ['platform_admin'] : [])];
  if (person && !roles.includes(person.role)) roles.push(person.role);

  const submit = async (e: Event) => {
    e.preventDefault();
    setTried(true);
    if (Object.values(problems).some(Boolean)) return;
    setError(null);
    try {
      if (!person) {
        setBusy(true);
        const created = await api.post<Person>(`/api/v1/orgs/${orgId}/people`, {
          email: f.email.trim(),
          display_name: f.display_name.trim(),
          role: f.role,
          title: f.title.trim() || undefined,
          department_id: f.department_id || undefined,
          company: f.company.trim() || undefined,
          phone: f.phone.trim() || undefined,
          password: f.password || undefined,
        });
        toast(t('added', { name: created.display_name }));
        onSaved(created);
        return;
      }
      const changes: Record<string, unknown> = {};
      if (f.display_name.trim() !== person.display_name) changes.display_name = f.display_name.trim();
      if (f.title.trim() !== person.title) changes.title = f.title.trim();
      if (f.phone.trim() !== person.phone) changes.phone = f.phone.trim();
      if (f.company.trim() !== person.company) changes.company = f.company.trim();
      if ((f.department_id || null) !== person.department_id) changes.department_id = f.department_id || null;
      if (f.role !== person.role) {
        const note = f.role === 'guest' ? t('roleGuestNote') : f.role === 'org_admin' || f.role === 'platform_admin' ? t('roleAdminNote') : '';
        const ok = await confirmDialog({
          title: t('roleChange', { name: person.display_name }),
          message: (
            <>
              <p>{t('roleChangeMessage', { name: person.display_name, role: roleLabel(f.role) })}</p>
              {note && <p class="muted">{note}</p>}
            </>
          ),
          confirmLabel: tc('confirm'),
        });
        if (!ok) return;
        changes.role = f.role;
      }
      if (Object.keys(changes).length === 0) return onClose();
      setBusy(true);
      const updated = await api.patch<Person>(`/api/v1/people/${person.id}`, changes);
      toast(t('updated', { name: updated.display_name }));
      onSaved(updated);
    } catch (e2) {
      setError(e2);
      setBusy(false);
    }
  };

  return (
    <Modal title={person ? t('editTitle', { name: person.display_name }) : t('addTitle')} onClose={onClose} wide>
      <form class="stack" onSubmit={submit} noValidate data-testid="person-form">
        <div class="admin-form-grid">
          {!editing && (
            <Field label={t('email')} required error={err('email')}>
              <input type="email" value={f.email} autoComplete="off" onInput={set('email')} data-testid="person-email" />
            </Field>
          )}
          <Field label={t('displayName')} required error={err('display_name')}>
            <input value={f.display_name} maxLength={100} onInput={set('display_name')} data-testid="person-name" />
          </Field>
          <Field label={t('role')} hint={self ? t('ownRole') : f.role === 'guest' ? t('roleGuestNote') : undefined}>
            <select value={f.role} disabled={self} onChange={set('role')} data-testid="person-role">
              {roles.map((r) => (
                <option key={r} value={r}>
                  {roleLabel(r)}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('jobTitle')} error={err('title')}>
            <input value={f.title} maxLength={100} onInput={set('title')} />
          </Field>
          <Field label={t('department')}>
            <select value={f.department_id} onChange={set('department_id')} data-testid="person-department">
              <option value="">{t('noDepartment')}</option>
              {departments.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.label}
                </option>
              ))}
            </select>
          </Field>
          {(f.role === 'guest' || f.company) && (
            <Field label={t('company')} hint={t('companyHint')} error={err('company')}>
              <input value={f.company} maxLength={100} onInput={set('company')} data-testid="person-company" />
            </Field>
          )}
          <Field label={t('phone')} error={err('phone')}>
            <input type="tel" value={f.phone} maxLength={40} onInput={set('phone')} />
          </Field>
          {!editing && (
            <Field label={t('initialPassword')} hint={t('initialPasswordHint')} error={err('password')}>
              <input type="password" value={f.password} autoComplete="new-password" onInput={set('password')} data-testid="person-password" />
            </Field>
          )}
        </div>
        <ErrorNote error={error} />
        <div class="admin-form-actions">
          <Button onClick={onClose}>{tc('cancel')}</Button>
          <Button type="submit" variant="primary" busy={busy} data-testid="person-save">
            {editing ? tc('save') : t('add')}
          </Button>
        </div>
      </form>
    </Modal>
  );
}

/** A random password that is easy to read out: no look-alike characters. */
function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';
  const bytes = new Uint32Array(16);
  crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}`;
}

/** A new-password input that can show what was typed. */
function SecretInput({ visible, value, onValue, testid }: { visible: boolean; value: string; onValue: (v: string) => void; testid: string }) {
  const onInput = (e: Event) => onValue((e.target as HTMLInputElement).value);
  return visible ? (
    <input type="text" value={value} autoComplete="off" spellcheck={false} onInput={onInput} data-testid={testid} />
  ) : (
    <input type="password" value={value} autoComplete="new-password" onInput={onInput} data-testid={testid} />
  );
}

function ResetPasswordDialog({ person, onClose }: { person: Person; onClose: () => void }) {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [visible, setVisible] = useState(false);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const problem = checkPassword(password);
  const repeatProblem: Problem | null = repeat !== password ? 'mismatch' : null;

  const submit = async (e: Event) => {
    e.preventDefault();
    setTried(true);
    if (problem || repeatProblem) return;
    setBusy(true);
    setError(null);
    try {
      await api.post(`/api/v1/people/${person.id}/password`, { password });
      toast(t('resetDone', { name: person.display_name }));
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal title={t('resetTitle', { name: person.display_name })} onClose={onClose}>
      <form class="stack" onSubmit={submit} noValidate data-testid="reset-password-form">
        <p class="muted">{t('resetHint')}</p>
        <Field label={t('newPassword')} required error={tried ? problemText(problem) : null} hint={problemText('weak_password') ?? undefined}>
          <div class="admin-input-row">
            <SecretInput visible={visible} value={password} onValue={setPassword} testid="reset-password" />
            <Button small variant="ghost" onClick={() => setVisible(!visible)}>
              {visible ? t('hide') : t('show')}
            </Button>
            <Button
              small
              onClick={() => {
                const p = generatePassword();
                setPassword(p);
                setRepeat(p);
                setVisible(true);
              }}
            >
              {t('generate')}
            </Button>
          </div>
        </Field>
        <Field label={t('repeatPassword')} required error={tried ? problemText(repeatProblem) : null}>
          <SecretInput visible={visible} value={repeat} onValue={setRepeat} testid="reset-password-repeat" />
        </Field>
        <ErrorNote error={error} />
        <div class="admin-form-actions">
          <Button onClick={onClose}>{tc('cancel')}</Button>
          <Button type="submit" variant="danger" busy={busy} data-testid="reset-password-save">
            {t('password')}
          </Button>
        </div>
      </form>
    </Modal>
  );
}
