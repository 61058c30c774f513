// The department tree: create departments and sub-departments, rename, move, set the head.

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { strings } from '../i18n';
import type { DepartmentNode, Group, Member, Person } from '../types';
import { Button, Empty, ErrorNote, Field, Modal, Spinner, toast } from '../ui/kit';
import { checkName, subtreeIds } from './logic';
import { useDepartments } from './PeoplePage';
import { PersonChip, RoleBadge, SectionHead, knownPerson, problemText, rememberPeople, tc, useLoad, usePeople } from './shared';

const t = strings({
  title: ['Departments', '部门'],
  hint: ['The organization chart. Everyone in a department is in its group.', '组织架构。部门成员自动加入部门群。'],
  add: ['New department', '新建部门'],
  addSub: ['Add sub-department', '添加子部门'],
  none: ['No departments yet', '还没有部门'],
  noneHint: ['Start with the top-level departments, then add teams under them.', '先创建一级部门，再在其下添加子部门。'],
  pick: ['Pick a department', '选择一个部门'],
  pickHint: ['Choose one in the tree to rename it, move it or set its head.', '在左侧选择部门以重命名、移动或设置负责人。'],
  name: ['Name', '名称'],
  parent: ['Parent department', '上级部门'],
  topLevel: ['None (top level)', '无（一级部门）'],
  head: ['Head', '负责人'],
  noHead: ['No head', '未设置负责人'],
  setHead: ['Set head', '设置负责人'],
  clearHead: ['Remove head', '移除负责人'],
  findPerson: ['Find a person by name or pinyin', '按姓名或拼音查找人员'],
  noMatch: ['Nobody matches', '没有匹配的人员'],
  members: ['Members ({n})', '成员（{n}）'],
  noMembers: ['Nobody is in this department yet. Set people’s department on the People page.', '这个部门还没有成员。可在“人员”页面设置成员的部门。'],
  created: ['Department “{name}” created', '已创建部门“{name}”'],
  renamed: ['Department renamed', '部门已重命名'],
  moved: ['Department moved', '部门已移动'],
  headSet: ['Head of {dept}: {name}', '{dept} 的负责人：{name}'],
  headCleared: ['{dept} has no head now', '{dept} 已无负责人'],
  rename: ['Rename', '重命名'],
  move: ['Move', '移动'],
  details: ['Department', '部门'],
  subs: ['{n} sub-departments', '{n} 个子部门'],
});

export function DepartmentsPage({ orgId }: { orgId: string }) {
  const { tree, flat } = useDepartments(orgId);
  const [selected, setSelected] = useState<string | null>(null);
  const [creating, setCreating] = useState<{ parent: string | null } | null>(null);
  usePeople(flat.map((f) => f.node.head_id));

  const node = flat.find((f) => f.node.id === selected)?.node ?? null;

  return (
    <div class="stack">
      <SectionHead title={t('title')} hint={t('hint')}>
        <Button variant="primary" onClick={() => setCreating({ parent: null })} data-testid="add-department">
          {t('add')}
        </Button>
      </SectionHead>
      {tree.error ? (
        <ErrorNote error={tree.error} onRetry={tree.reload} />
      ) : !tree.data ? (
        <Spinner />
      ) : tree.data.length === 0 ? (
        <div class="panel">
          <Empty title={t('none')} hint={t('noneHint')}>
            <p>
              <Button variant="primary" onClick={() => setCreating({ parent: null })}>
                {t('add')}
              </Button>
            </p>
          </Empty>
        </div>
      ) : (
        <div class="admin-split">
          <nav class="panel admin-tree-panel" aria-label={t('title')}>
            <ul class="tree tree-root" data-testid="admin-department-tree">
              <Tree nodes={tree.data} selected={selected} onSelect={setSelected} />
            </ul>
          </nav>
          <div>
            {node ? (
              <DepartmentDetail
                key={node.id}
                node={node}
                orgId={orgId}
                tree={tree.data}
                onChanged={tree.reload}
                onAddSub={() => setCreating({ parent: node.id })}
              />
            ) : (
              <div class="panel">
                <Empty title={t('pick')} hint={t('pickHint')} />
              </div>
            )}
          </div>
        </div>
      )}
      {creating && (
        <NewDepartmentDialog
          orgId={orgId}
          parent={creating.parent}
          options={flat.map((f) => ({ id: f.node.id, label: f.path.join(' / ') }))}
          onClose={() => setCreating(null)}
          onCreated={(g) => {
            setCreating(null);
            tree.reload();
            setSelected(g.id);
          }}
        />
      )}
    </div>
  );
}

function Tree({ nodes, selected, onSelect }: { nodes: DepartmentNode[]; selected: string | null; onSelect: (id: string) => void }) {
  return (
    <>
      {nodes.map((n) => (
        <li key={n.id}>
          <button type="button" class={`tree-node${selected === n.id ? ' selected' : ''}`} aria-current={selected === n.id ? 'true' : undefined} onClick={() => onSelect(n.id)}>
            <span class="admin-tree-glyph" aria-hidden="true">
              {n.children.length ? '▾' : '•'}
            </span>
            <span class="admin-tree-name">{n.name}</span>
            {n.head_id && <span class="admin-tree-head">{knownPerson(n.head_id)?.display_name ?? ''}</span>}
          </button>
          {n.children.length > 0 && (
            <ul class="tree">
              <Tree nodes={n.children} selected={selected} onSelect={onSelect} />
            </ul>
          )}
        </li>
      ))}
    </>
  );
}

function DepartmentDetail({ node, orgId, tree, onChanged, onAddSub }: { node: DepartmentNode; orgId: string; tree: DepartmentNode[]; onChanged: () => void; onAddSub: () => void }) {
  const group = useLoad((signal) => api.get<Group>(`/api/v1/groups/${node.id}`, undefined, signal), [node.id]);
  const members = useLoad((signal) => api.get<Member[]>(`/api/v1/groups/${node.id}/members`, undefined, signal), [node.id]);
  const [name, setName] = useState(node.name);
  const [parent, setParent] = useState<string>(group.data?.parent_id ?? '');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [picking, setPicking] = useState(false);
  usePeople([node.head_id]);

  useEffect(() => {
    if (group.data) setParent(group.data.parent_id ?? '');
  }, [group.data?.parent_id]);

  const blocked = subtreeIds(tree, node.id);
  const options = flattenWithPaths(tree).filter((o) => !blocked.has(o.id));
  const nameProblem = checkName(name);

  const patch = async (what: string, body: Record<string, unknown>, done: string) => {
    setBusy(what);
    setError(null);
    try {
      await api.patch<Group>(`/api/v1/groups/${node.id}`, body);
      toast(done);
      onChanged();
      group.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div class="panel stack" data-testid="department-detail">
      <div class="admin-detail-head">
        <div>
          <h3>{node.name}</h3>
          <p class="muted small">{node.children.length > 0 && t('subs', { n: node.children.length })}</p>
        </div>
        <Button small onClick={onAddSub}>
          {t('addSub')}
        </Button>
      </div>
      <ErrorNote error={error} />
      <form
        class="admin-inline-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!nameProblem && name.trim() !== node.name) void patch('name', { name: name.trim() }, t('renamed'));
        }}
      >
        <Field label={t('name')} error={name !== node.name ? problemText(nameProblem) : null}>
          <input value={name} maxLength={100} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="department-name" />
        </Field>
        <Button type="submit" busy={busy === 'name'} disabled={!!nameProblem || name.trim() === node.name}>
          {t('rename')}
        </Button>
      </form>
      <form
        class="admin-inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void patch('parent', { parent_id: parent || null }, t('moved'));
        }}
      >
        <ParentField value={parent} onChange={setParent} options={options} disabled={!group.data} />
        <Button type="submit" busy={busy === 'parent'} disabled={!group.data || parent === (group.data?.parent_id ?? '')}>
          {t('move')}
        </Button>
      </form>
      <HeadField
        head={node.head_id && <PersonChip id={node.head_id} />}
        onSet={() => setPicking(true)}
        onClear={() => void patch('head', { head_id: null }, t('headCleared', { dept: node.name }))}
        clearing={busy === 'head'}
        testid="set-head"
      />
      <div class="stack admin-members">
        <h4>{t('members', { n: members.data?.length ?? group.data?.member_count ?? 0 })}</h4>
        {members.error ? (
          <ErrorNote error={members.error} onRetry={members.reload} />
        ) : !members.data ? (
          <Spinner />
        ) : members.data.length === 0 ? (
          <p class="muted small">{t('noMembers')}</p>
        ) : (
          <ul class="admin-member-list">
            {members.data.map((m) => (
              <li key={m.person_id}>
                <PersonChip id={m.person_id} name={m.display_name} />
                {m.person_id === node.head_id && <span class="badge badge-info">{t('head')}</span>}
                {m.guest && <RoleBadge role="guest" />}
              </li>
            ))}
          </ul>
        )}
      </div>
      {picking && (
        <Modal title={t('setHead')} onClose={() => setPicking(false)}>
          <PersonPicker
            orgId={orgId}
            staffOnly
            onPick={(p) => {
              setPicking(false);
              void patch('head', { head_id: p.id }, t('headSet', { dept: node.name, name: p.display_name }));
            }}
          />
        </Modal>
      )}
    </div>
  );
}

function flattenWithPaths(nodes: DepartmentNode[], trail: string[] = []): { id: string; label: string }[] {
  return nodes.flatMap((n) => [{ id: n.id, label: [...trail, n.name].join(' / ') }, ...flattenWithPaths(n.children, [...trail, n.name])]);
}

/** Search-as-you-type over the organization's people; calls `onPick` with the choice. */
export function PersonPicker({ orgId, staffOnly, onPick }: { orgId: string; staffOnly?: boolean; onPick: (p: Person) => void }) {
  const [q, setQ] = useState('');
  const [results, setResults] = useState<Person[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    const timer = setTimeout(async () => {
      try {
        const found = await api.get<Person[]>('/api/v1/people', { q: q.trim() || undefined, limit: 50 });
        if (mine !== seq.current) return;
        rememberPeople(found);
        setResults(found.filter((p) => p.org_id === orgId && (!staffOnly || p.role !== 'guest')));
        setError(null);
      } catch (e) {
        if (mine === seq.current) setError(e);
      }
    }, q ? 150 : 0);
    return () => clearTimeout(timer);
  }, [q]);
  return (
    <div class="stack">
      <input type="search" placeholder={t('findPerson')} aria-label={t('findPerson')} value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} data-testid="person-picker-search" />
      <ErrorNote error={error} />
      {!results ? (
        <Spinner />
      ) : results.length === 0 ? (
        <p class="muted">{t('noMatch')}</p>
      ) : (
        <ul class="admin-pick-list" role="listbox" aria-label={t('findPerson')}>
          {results.map((p) => (
            <li key={p.id}>
              <button type="button" class="person-row" role="option" aria-selected="false" onClick={() => onPick(p)}>
                <PersonChipStatic person={p} />
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function PersonChipStatic({ person }: { person: Person }) {
  return (
    <span class="admin-pick-person">
      <strong>{person.display_name}</strong>
      <span class="muted small">{[person.title, person.email].filter(Boolean).join(' · ')}</span>
    </span>
  );
}

function NewDepartmentDialog({
  orgId,
  parent,
  options,
  onClose,
  onCreated,
}: {
  orgId: string;
  parent: string | null;
  options: { id: string; label: string }[];
  onClose: () => void;
  onCreated: (g: Group) => void;
}) {
  const [name, setName] = useState('');
  const [parentId, setParentId] = useState(parent ?? '');
  const [head, setHead] = useState<Person | null>(null);
  const [picking, setPicking] = useState(false);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const problem = checkName(name);

  const submit = async (e: Event) => {
    e.preventDefault();
    setTried(true);
    if (problem) return;
    setBusy(true);
    setError(null);
    try {
      const g = await api.post<Group>('/api/v1/groups', {
        kind: 'department',
        name: name.trim(),
        org_id: orgId,
        parent_id: parentId || undefined,
        head_id: head?.id,
      });
      toast(t('created', { name: g.name }));
      onCreated(g);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  if (picking) {
    return (
      <Modal title={t('setHead')} onClose={() => setPicking(false)}>
        <PersonPicker
          orgId={orgId}
          staffOnly
          onPick={(p) => {
            setHead(p);
            setPicking(false);
          }}
        />
      </Modal>
    );
  }

  return (
    <Modal title={t('add')} onClose={onClose}>
      <form class="stack" onSubmit={submit} noValidate data-testid="department-form">
        <Field label={t('name')} required error={tried ? problemText(problem) : null}>
          <input value={name} maxLength={100} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="new-department-name" />
        </Field>
        <ParentField value={parentId} onChange={setParentId} options={options} />
        <HeadField head={head && <strong>{head.display_name}</strong>} onSet={() => setPicking(true)} onClear={() => setHead(null)} />
        <ErrorNote error={error} />
        <div class="admin-form-actions">
          <Button onClick={onClose}>{tc('cancel')}</Button>
          <Button type="submit" variant="primary" busy={busy} data-testid="create-department">
            {tc('create')}
          </Button>
        </div>
      </form>
    </Modal>
  );
}

/** The parent department, chosen from `options` (or none: top level). */
function ParentField({ value, onChange, options, disabled }: { value: string; onChange: (id: string) => void; options: { id: string; label: string }[]; disabled?: boolean }) {
  return (
    <Field label={t('parent')}>
      <select value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)} disabled={disabled}>
        <option value="">{t('topLevel')}</option>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.label}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** The department's head (`head`, shown when set) with buttons to pick one and to clear it. */
function HeadField({ head, onSet, onClear, clearing, testid }: { head: ComponentChildren; onSet: () => void; onClear: () => void; clearing?: boolean; testid?: string }) {
  return (
    <div class="field">
      <span class="field-label">{t('head')}</span>
      <div class="row-wrap">
        {head || <span class="muted">{t('noHead')}</span>}
        <span class="spacer" />
        <Button small onClick={onSet} data-testid={testid}>
          {t('setHead')}
        </Button>
        {head && (
          <Button small variant="ghost" busy={clearing} onClick={onClear}>
            {t('clearHead')}
          </Button>
        )}
      </div>
    </div>
  );
}
