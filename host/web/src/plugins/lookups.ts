// The directory as form fields need it: people found by search (and names for ids a form
// came with), the caller's groups, and an organization's department tree. Small caches so
// a table of person cells does not ask for the same name twice.

import { signal } from '@preact/signals';
import { api } from '../api';
import type { DepartmentNode, Group, Person } from '../types';

export interface PersonSummary {
  id: string;
  display_name: string;
  title?: string;
  email?: string;
}

/** Known people by id; a new object on every change so readers re-render. */
export const people = signal<Record<string, PersonSummary>>({});
const asked = new Set<string>();

export function remember(list: PersonSummary[]) {
  if (!list.length) return;
  const next = { ...people.value };
  for (const p of list) next[p.id] = { ...next[p.id], ...p };
  people.value = next;
}

/** A person's name, fetching it once if unknown; the id meanwhile. */
export function personName(id: string): string {
  const known = people.value[id];
  if (known) return known.display_name;
  if (!asked.has(id)) {
    asked.add(id);
    api
      .get<Person>(`/api/v1/people/${encodeURIComponent(id)}`)
      .then((p) => remember([p]))
      .catch(() => {
        /* not visible to this person: the id stays */
      });
  }
  return id;
}

export async function searchPeople(q: string, signal?: AbortSignal): Promise<PersonSummary[]> {
  const found = await api.get<Person[]>('/api/v1/people', { q: q.trim() || undefined, limit: 8 }, signal);
  remember(found);
  return found;
}

let groups: Promise<Group[]> | null = null;

/** The groups the caller belongs to (for `group` fields), once per session. */
export function myGroups(): Promise<Group[]> {
  groups ??= api.get<Group[]>('/api/v1/groups').catch((e) => {
    groups = null;
    throw e;
  });
  return groups;
}

const trees = new Map<string, Promise<DepartmentNode[]>>();

/** An organization's department tree (for `department` fields). */
export function departments(orgId: string): Promise<DepartmentNode[]> {
  let tree = trees.get(orgId);
  if (!tree) {
    tree = api.get<DepartmentNode[]>(`/api/v1/orgs/${encodeURIComponent(orgId)}/departments`).catch((e) => {
      trees.delete(orgId);
      throw e;
    });
    trees.set(orgId, tree);
  }
  return tree;
}

export interface FileInfo {
  id: string;
  name: string;
  content_type: string;
  size: number;
}

const files = new Map<string, Promise<FileInfo>>();

export function rememberFile(f: FileInfo) {
  files.set(f.id, Promise.resolve(f));
}

/** A file's name and size (a form's default names a file by id only). */
export function fileInfo(id: string): Promise<FileInfo> {
  let info = files.get(id);
  if (!info) {
    info = api.get<FileInfo>(`/api/v1/files/${encodeURIComponent(id)}/info`);
    files.set(id, info);
  }
  return info;
}

const orgOfGroup = new Map<string, Promise<string>>();

/** The organization a group belongs to: a form's departments are that organization's (in
 *  a shared group, the host organization's, not the reader's). */
export function groupOrg(groupId: string): Promise<string> {
  let org = orgOfGroup.get(groupId);
  if (!org) {
    org = api.get<Group>(`/api/v1/groups/${encodeURIComponent(groupId)}`).then(
      (g) => g.org_id,
      (e) => {
        orgOfGroup.delete(groupId);
        throw e;
      },
    );
    orgOfGroup.set(groupId, org);
  }
  return org;
}
