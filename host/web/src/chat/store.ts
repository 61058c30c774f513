// What the client knows of groups and messages, kept current by the event stream.
// Lists are replaced, never mutated, so signals notice every change.

import { signal } from '@preact/signals';
import { api, txnId } from '../api';
import { me } from '../session';
import type { Group, Message, Person, ServerEvent } from '../types';

export const groups = signal<Group[]>([]);
export const groupsLoaded = signal(false);

/** Top-level messages per group, oldest first. */
export const timelines = signal<Record<string, Message[]>>({});
/** Groups whose history has been read back to the first message. */
export const historyComplete = signal<Record<string, boolean>>({});
/** Replies per thread root, oldest first. */
export const threads = signal<Record<string, Message[]>>({});
/** The group on screen (its new messages are read at once). */
export const activeGroupId = signal<string | null>(null);

const PAGE = 50;

export async function loadGroups(): Promise<void> {
  groups.value = await api.get<Group[]>('/api/v1/groups');
  groupsLoaded.value = true;
}

export function groupById(id: string | null | undefined): Group | undefined {
  return id ? groups.value.find((g) => g.id === id) : undefined;
}

function putGroup(g: Group) {
  const i = groups.value.findIndex((x) => x.id === g.id);
  if (i < 0) groups.value = [...groups.value, g];
  else {
    const next = groups.value.slice();
    // Unread counts come only with the group list; keep the ones we have.
    next[i] = { ...g, unread_count: next[i].unread_count, unread_mentions: next[i].unread_mentions };
    groups.value = next;
  }
}

/** A direct conversation's name without the viewer's own name. */
export function displayName(g: Group): string {
  if (g.kind !== 'direct') return g.name;
  const mine = me.value?.display_name;
  const others = g.name
    .split(', ')
    .filter((n) => n !== mine);
  return others.length ? others.join(', ') : g.name;
}

function insertSorted(list: Message[], m: Message): Message[] {
  const i = list.findIndex((x) => x.id === m.id);
  if (i >= 0) {
    const next = list.slice();
    next[i] = m;
    return next;
  }
  if (!list.length || list[list.length - 1].seq < m.seq) return [...list, m];
  const next = [...list, m];
  next.sort((a, b) => a.seq - b.seq);
  return next;
}

/** Puts a message (new or changed) wherever the client shows it. */
export function upsertMessage(m: Message) {
  if (m.thread_root_id) {
    const root = m.thread_root_id;
    if (threads.value[root]) threads.value = { ...threads.value, [root]: insertSorted(threads.value[root], m) };
    return;
  }
  const list = timelines.value[m.group_id];
  if (list) timelines.value = { ...timelines.value, [m.group_id]: insertSorted(list, m) };
}

function removeMessage(id: string, groupId: string) {
  const list = timelines.value[groupId];
  if (list) timelines.value = { ...timelines.value, [groupId]: list.filter((m) => m.id !== id) };
  if (threads.value[id]) {
    const { [id]: _gone, ...rest } = threads.value;
    threads.value = rest;
  }
}

export function findMessage(id: string): Message | undefined {
  for (const list of Object.values(timelines.value)) {
    const m = list.find((x) => x.id === id);
    if (m) return m;
  }
  for (const list of Object.values(threads.value)) {
    const m = list.find((x) => x.id === id);
    if (m) return m;
  }
  return undefined;
}

export async function loadLatest(groupId: string): Promise<void> {
  const page = await api.get<Message[]>(`/api/v1/groups/${groupId}/messages`, { limit: PAGE });
  timelines.value = { ...timelines.value, [groupId]: page.slice().reverse() };
  historyComplete.value = { ...historyComplete.value, [groupId]: page.length < PAGE };
}

/** Reads one page further back; false when there is nothing older. */
export async function loadOlder(groupId: string): Promise<boolean> {
  const list = timelines.value[groupId] ?? [];
  if (historyComplete.value[groupId]) return false;
  const before = list.length ? list[0].seq : undefined;
  const page = await api.get<Message[]>(`/api/v1/groups/${groupId}/messages`, { limit: PAGE, before });
  const older = page.slice().reverse().filter((m) => !list.some((x) => x.id === m.id));
  timelines.value = { ...timelines.value, [groupId]: [...older, ...(timelines.value[groupId] ?? [])] };
  const done = page.length < PAGE;
  historyComplete.value = { ...historyComplete.value, [groupId]: done };
  return !done;
}

export async function loadThread(rootId: string): Promise<void> {
  const all: Message[] = [];
  let after = 0;
  for (let i = 0; i < 20; i++) {
    const page = await api.get<Message[]>(`/api/v1/messages/${rootId}/replies`, { after, limit: 200 });
    all.push(...page);
    if (page.length < 200) break;
    after = page[page.length - 1].seq;
  }
  threads.value = { ...threads.value, [rootId]: all };
}

export async function postMessage(
  groupId: string,
  body: string,
  opts: { threadRootId?: string; kind?: 'chat' | 'post'; anonymous?: boolean; burnAfterSecs?: number; attachments?: string[] } = {},
): Promise<Message> {
  const m = await api.post<Message>(`/api/v1/groups/${groupId}/messages`, {
    body,
    client_txn_id: txnId(),
    thread_root_id: opts.threadRootId,
    kind: opts.kind,
    anonymous: opts.anonymous || undefined,
    burn_after_secs: opts.burnAfterSecs,
    attachments: opts.attachments?.length ? opts.attachments : undefined,
  });
  upsertMessage(m);
  if (m.thread_root_id) bumpReplyCount(m.thread_root_id, m.id);
  return m;
}

const countedReplies = new Set<string>();

/** A reply arrived: its root shows one more (once, whether the post or the event came first). */
function bumpReplyCount(rootId: string, replyId: string) {
  if (countedReplies.has(replyId)) return;
  countedReplies.add(replyId);
  const root = findMessage(rootId);
  if (root) upsertMessage({ ...root, reply_count: root.reply_count + 1 });
}

export async function markRead(groupId: string, messageId: string): Promise<void> {
  setUnread(groupId, 0, 0);
  try {
    await api.post(`/api/v1/groups/${groupId}/read`, { message_id: messageId });
  } catch {
    /* a receipt that fails is retried with the next message read */
  }
}

function setUnread(groupId: string, count: number, mentions: number) {
  const g = groupById(groupId);
  if (!g || (g.unread_count === count && g.unread_mentions === mentions)) return;
  groups.value = groups.value.map((x) => (x.id === groupId ? { ...x, unread_count: count, unread_mentions: mentions } : x));
}

/** The latest message of a group the viewer has on screen (to mark read). */
export function latestMessage(groupId: string): Message | undefined {
  const list = timelines.value[groupId];
  return list && list.length ? list[list.length - 1] : undefined;
}

export async function openDirect(personId: string): Promise<Group> {
  const g = await api.post<Group>('/api/v1/direct', { person_ids: [personId] });
  putGroup({ ...g, unread_count: groupById(g.id)?.unread_count ?? 0, unread_mentions: 0 });
  return g;
}

// People, by id, for mentions and names: fetched once, shared.
export const people = signal<Record<string, Person>>({});
const asked = new Set<string>();

export function personName(id: string): string | undefined {
  return people.value[id]?.display_name;
}

export function wantPerson(id: string) {
  if (asked.has(id) || people.value[id]) return;
  asked.add(id);
  api
    .get<Person>(`/api/v1/people/${id}`)
    .then((p) => (people.value = { ...people.value, [id]: p }))
    .catch(() => {});
}

export function rememberPeople(list: Person[]) {
  const next = { ...people.value };
  for (const p of list) next[p.id] = p;
  people.value = next;
}

/** Applies one event from the stream. */
export function applyEvent(e: ServerEvent, windowFocused: boolean) {
  const data = e.data ?? {};
  switch (e.type) {
    case 'message.created': {
      const m = data as Message;
      upsertMessage(m);
      if (m.thread_root_id) {
        bumpReplyCount(m.thread_root_id, m.id);
        return;
      }
      const mine = m.author?.id === me.value?.id;
      if (mine) return;
      if (activeGroupId.value === m.group_id && windowFocused) {
        void markRead(m.group_id, m.id);
      } else {
        const g = groupById(m.group_id);
        if (g) {
          const mentioned = m.mentions_all || m.mentions.includes(me.value?.id ?? '');
          setUnread(g.id, g.unread_count + 1, g.unread_mentions + (mentioned ? 1 : 0));
        }
      }
      return;
    }
    case 'message.updated':
    case 'message.deleted':
    case 'message.pinned':
    case 'message.unpinned':
    case 'message.burn_scheduled':
    case 'reaction.added':
    case 'reaction.removed':
      if (data && data.id && typeof data.seq === 'number') upsertMessage(data as Message);
      else if (e.type === 'message.burn_scheduled' && data.id) {
        const m = findMessage(data.id);
        if (m) upsertMessage({ ...m, burn_at: data.burn_at });
      }
      return;
    case 'message.hidden':
      if (data.id) removeMessage(data.id, data.group_id);
      return;
    case 'receipt.updated':
      if (data.person_id === me.value?.id && data.group_id) setUnread(data.group_id, 0, 0);
      return;
    case 'group.updated':
      if (data && data.id) putGroup({ ...(data as Group), unread_count: 0, unread_mentions: 0 });
      return;
    case 'member.joined':
    case 'member.left':
    case 'group.partner':
      // Membership decides which groups the person sees: read the list again.
      void loadGroups();
      return;
  }
}

/** After a gap the stream cannot fill: read everything on screen again. */
export async function resyncAll(): Promise<void> {
  await loadGroups();
  const open = Object.keys(timelines.value);
  timelines.value = {};
  threads.value = {};
  await Promise.all(open.filter((id) => id === activeGroupId.value).map(loadLatest));
}
