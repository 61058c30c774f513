// The people directory: search as you type (names, pinyin, initials, email, title), the
// department tree, and each person's profile card with a button to message them.

import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { strings } from '../i18n';
import { navigate } from '../router';
import { me, isGuest } from '../session';
import type { DepartmentNode, Member, Person } from '../types';
import { Avatar, Badge, describeError, Empty, ErrorNote, MenuButton, Modal, Spinner, toast } from '../ui/kit';
import { openDirect, rememberPeople } from '../chat/store';
import { closeProfile, openProfile, openProfileId } from './profile';

const t = strings({
  title: ['Directory', '通讯录'],
  search: ['Search people by name, pinyin, initials or email', '按姓名、拼音、首字母或邮箱搜索'],
  searchLabel: ['Search people', '搜索人员'],
  departments: ['Departments', '部门'],
  everyone: ['Everyone', '全部'],
  none: ['Nobody found', '没有找到'],
  noneHint: ['Try fewer letters, pinyin (zhangsan) or initials (zs).', '试试更少的字、拼音（zhangsan）或首字母（zs）。'],
  noDepartments: ['No departments yet', '还没有部门'],
  message: ['Message', '发消息'],
  profile: ['Profile', '个人资料'],
  email: ['Email', '邮箱'],
  phone: ['Phone', '电话'],
  title_: ['Title', '职位'],
  department: ['Department', '部门'],
  company: ['Company', '公司'],
  guest: ['Guest', '访客'],
  you: ['This is you', '这是你'],
  disabled: ['Disabled', '已停用'],
  typeToSearch: ['Type to search, or pick a department.', '输入以搜索，或选择一个部门。'],
});

let departmentCache: { org: string; tree: DepartmentNode[] } | null = null;

async function departments(org: string): Promise<DepartmentNode[]> {
  if (departmentCache?.org === org) return departmentCache.tree;
  const tree = await api.get<DepartmentNode[]>(`/api/v1/orgs/${org}/departments`);
  departmentCache = { org, tree };
  return tree;
}

export function departmentName(tree: DepartmentNode[], id: string | null): string | undefined {
  if (!id) return undefined;
  for (const d of tree) {
    if (d.id === id) return d.name;
    const inner = departmentName(d.children, id);
    if (inner) return inner;
  }
  return undefined;
}

export function Directory({ onMenu }: { onMenu: () => void }) {
  const [q, setQ] = useState('');
  const [results, setResults] = useState<Person[] | null>(null);
  const [tree, setTree] = useState<DepartmentNode[] | null>(null);
  const [dept, setDept] = useState<string | null>(null);
  const [deptMembers, setDeptMembers] = useState<Member[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const seq = useRef(0);
  const org = me.value!.org_id;

  useEffect(() => {
    if (!isGuest.value) departments(org).then(setTree, () => setTree([]));
    else setTree([]);
  }, [org]);

  // Search as you type; a slower answer never overwrites a newer one.
  useEffect(() => {
    const mine = ++seq.current;
    const timer = setTimeout(async () => {
      try {
        const found = await api.get<Person[]>('/api/v1/people', { q: q.trim() || undefined, limit: 50 });
        if (mine === seq.current) {
          rememberPeople(found);
          setResults(found);
          setError(null);
        }
      } catch (e) {
        if (mine === seq.current) setError(e);
      }
    }, q ? 120 : 0);
    return () => clearTimeout(timer);
  }, [q]);

  useEffect(() => {
    if (!dept) return setDeptMembers(null);
    setDeptMembers(null);
    api.get<Member[]>(`/api/v1/groups/${dept}/members`).then(setDeptMembers, (e) => {
      setDeptMembers([]);
      setError(e);
    });
  }, [dept]);

  const showing: Array<{ id: string; name: string; sub: string; guest: boolean }> =
    dept && deptMembers && !q
      ? deptMembers.map((m) => ({ id: m.person_id, name: m.display_name, sub: m.role, guest: m.guest }))
      : (results ?? []).map((p) => ({
          id: p.id,
          name: p.display_name,
          sub: [p.title, p.role === 'guest' ? p.company : departmentName(tree ?? [], p.department_id)].filter(Boolean).join(' · '),
          guest: p.role === 'guest',
        }));

  return (
    <div class="main">
      <section class="pane">
        <header class="pane-head">
          <MenuButton onClick={onMenu} />
          <h1>{t('title')}</h1>
        </header>
        <div class="pane-body">
          <div class="page two-col">
            <aside>
              <h3 class="muted" style={{ margin: '8px 0' }}>
                {t('departments')}
              </h3>
              {!tree ? (
                <Spinner />
              ) : (
                <ul class="tree tree-root" data-testid="department-tree">
                  <li>
                    <button type="button" class={`tree-node${dept === null ? ' selected' : ''}`} onClick={() => setDept(null)}>
                      {t('everyone')}
                    </button>
                  </li>
                  {tree.length === 0 ? <li class="small muted" style={{ padding: '4px 8px' }}>{t('noDepartments')}</li> : <Tree nodes={tree} selected={dept} onSelect={(id) => (setQ(''), setDept(id))} />}
                </ul>
              )}
            </aside>
            <div>
              <div class="search-box" style={{ marginBottom: '12px' }}>
                <input
                  type="search"
                  aria-label={t('searchLabel')}
                  placeholder={t('search')}
                  value={q}
                  onInput={(e) => setQ((e.target as HTMLInputElement).value)}
                  autoFocus
                  data-testid="directory-search"
                />
              </div>
              <ErrorNote error={error} />
              {(dept && !deptMembers && !q) || (!results && !dept) ? (
                <Spinner />
              ) : showing.length === 0 ? (
                <Empty title={t('none')} hint={q ? t('noneHint') : t('typeToSearch')} />
              ) : (
                <div data-testid="directory-results">
                  {showing.map((p) => (
                    <button key={p.id} type="button" class="person-row" onClick={() => openProfile(p.id)}>
                      <Avatar id={p.id} name={p.name} size={36} />
                      <div>
                        <div>{p.name}</div>
                        {p.sub && <div class="sub">{p.sub}</div>}
                      </div>
                      <span class="spacer" />
                      {p.guest && <Badge tone="external">{t('guest')}</Badge>}
                    </button>
                  ))}
                </div>
              )}
            </div>
          </div>
        </div>
      </section>
    </div>
  );
}

function Tree({ nodes, selected, onSelect }: { nodes: DepartmentNode[]; selected: string | null; onSelect: (id: string) => void }) {
  return (
    <>
      {nodes.map((d) => (
        <li key={d.id}>
          <button type="button" class={`tree-node${selected === d.id ? ' selected' : ''}`} onClick={() => onSelect(d.id)}>
            <span class="muted">▸</span> {d.name}
          </button>
          {d.children.length > 0 && (
            <ul class="tree">
              <Tree nodes={d.children} selected={selected} onSelect={onSelect} />
            </ul>
          )}
        </li>
      ))}
    </>
  );
}

/** The profile card, shown over whatever is on screen when someone's name is clicked. */
export function ProfileCard() {
  const id = openProfileId.value;
  const [person, setPerson] = useState<Person | null>(null);
  const [dept, setDept] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setPerson(null);
    setError(null);
    setDept(undefined);
    if (!id) return;
    api.get<Person>(`/api/v1/people/${id}`).then(
      (p) => {
        setPerson(p);
        rememberPeople([p]);
        if (p.department_id && p.org_id === me.value?.org_id && !isGuest.value)
          departments(p.org_id).then((tree) => setDept(departmentName(tree, p.department_id)), () => {});
      },
      setError,
    );
  }, [id]);
  if (!id) return null;
  const message = async () => {
    setBusy(true);
    try {
      const g = await openDirect(id);
      closeProfile();
      navigate(`/g/${g.id}`);
    } catch (e) {
      toast(describeError(e), 'error');
    } finally {
      setBusy(false);
    }
  };
  const self = id === me.value?.id;
  return (
    <Modal title={t('profile')} onClose={closeProfile}>
      {error ? (
        <ErrorNote error={error} />
      ) : !person ? (
        <Spinner />
      ) : (
        <div class="profile" data-testid="profile-card">
          <Avatar id={person.id} name={person.display_name} size={72} />
          <h2>{person.display_name}</h2>
          <div class="row-wrap" style={{ justifyContent: 'center' }}>
            {person.title && <span class="muted">{person.title}</span>}
            {person.role === 'guest' && <Badge tone="external">{t('guest')}</Badge>}
            {person.status === 'disabled' && <Badge tone="danger">{t('disabled')}</Badge>}
          </div>
          <dl>
            {dept && (
              <>
                <dt>{t('department')}</dt>
                <dd>{dept}</dd>
              </>
            )}
            {person.company && (
              <>
                <dt>{t('company')}</dt>
                <dd>{person.company}</dd>
              </>
            )}
            {person.email && (
              <>
                <dt>{t('email')}</dt>
                <dd>
                  <a href={`mailto:${person.email}`}>{person.email}</a>
                </dd>
              </>
            )}
            {person.phone && (
              <>
                <dt>{t('phone')}</dt>
                <dd>
                  <a href={`tel:${person.phone}`}>{person.phone}</a>
                </dd>
              </>
            )}
          </dl>
          {self ? (
            <span class="muted small">{t('you')}</span>
          ) : (
            <button type="button" class="btn btn-primary" onClick={message} disabled={busy || person.status === 'disabled'} data-testid="message-person" style={{ width: '100%' }}>
              {t('message')}
            </button>
          )}
        </div>
      )}
    </Modal>
  );
}
