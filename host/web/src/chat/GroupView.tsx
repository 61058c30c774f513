// A group on screen: its header, the message list (scrolling back through history on
// demand), the composer, and a thread beside it. Feed groups show posts with comments.

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { formatDay, strings } from '../i18n';
import { navigate } from '../router';
import type { Group, Message } from '../types';
import { Badge, Empty, ErrorNote, MenuButton, Modal, Spinner } from '../ui/kit';
import { Composer } from './Composer';
import { MessageItem } from './Message';
import { PluginMenu } from './PluginMenu';
import { MembersDialog } from './GroupDialogs';
import {
  activeGroupId,
  displayName,
  historyComplete,
  latestMessage,
  loadLatest,
  loadOlder,
  loadThread,
  markRead,
  threads,
  timelines,
  findMessage,
} from './store';

const t = strings({
  members: ['{n} members', '{n} 位成员'],
  external: ['External', '外部'],
  externalHint: ['People from other organizations are in this group', '本群有其他组织的成员'],
  pins: ['Pinned', '置顶'],
  noPins: ['Nothing is pinned yet.', '还没有置顶消息。'],
  empty: ['No messages yet', '还没有消息'],
  emptyHint: ['Say hello — everyone in the group will see it.', '打个招呼吧，群里的每个人都会看到。'],
  beginning: ['This is the beginning of {name}.', '这是「{name}」的开始。'],
  loadingOlder: ['Loading earlier messages…', '正在加载更早的消息…'],
  thread: ['Thread', '话题'],
  close: ['Close', '关闭'],
  noReplies: ['No replies yet.', '还没有回复。'],
  chat: ['Chat', '聊天'],
  feed: ['Feed', '动态'],
  newPost: ['Share something with the group…', '分享点什么…'],
  comment: ['Write a comment…', '写评论…'],
  memberList: ['Members', '成员'],
  guest: ['Guest', '访客'],
  kind_department: ['Department', '部门'],
  kind_team: ['Team', '团队'],
  kind_interest: ['Interest group', '兴趣小组'],
  kind_announcement: ['Announcements', '公告'],
  kind_direct: ['Direct message', '私信'],
  kind_shared: ['Shared group', '共享群'],
});

export function GroupView({ group, threadId, feed, onMenu }: { group: Group; threadId?: string; feed?: boolean; onMenu: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const [showPins, setShowPins] = useState(false);
  const [showMembers, setShowMembers] = useState(false);
  const timeline = timelines.value[group.id];

  useEffect(() => {
    activeGroupId.value = group.id;
    setError(null);
    if (!timelines.value[group.id]) loadLatest(group.id).catch(setError);
    return () => {
      if (activeGroupId.value === group.id) activeGroupId.value = null;
    };
  }, [group.id]);

  // Reading the group: what is on screen is read, and the server hears of it.
  const latest = latestMessage(group.id);
  useEffect(() => {
    if (!latest || group.unread_count === 0) return;
    if (document.hasFocus()) void markRead(group.id, latest.id);
  }, [latest?.id, group.unread_count]);
  useEffect(() => {
    const onFocus = () => {
      const l = latestMessage(group.id);
      if (l && (group.unread_count ?? 0) > 0) void markRead(group.id, l.id);
    };
    window.addEventListener('focus', onFocus);
    return () => window.removeEventListener('focus', onFocus);
  }, [group.id, group.unread_count]);

  const openThread = (m: Message) => navigate(`/g/${group.id}/t/${m.id}`);
  const base = `/g/${group.id}`;

  return (
    <div class="main">
      <section class="pane" aria-label={displayName(group)}>
        <header class="pane-head">
          <MenuButton onClick={onMenu} />
          <h1 data-testid="group-title">{group.kind === 'direct' ? displayName(group) : `# ${group.name}`}</h1>
          <Badge>{t(`kind_${group.kind}` as any)}</Badge>
          {group.external && (
            <span title={t('externalHint')}>
              <Badge tone="external">{t('external')}</Badge>
            </span>
          )}
          <span class="spacer" />
          {group.kind !== 'direct' && (
            <div class="tabs" style={{ margin: 0, border: 0 }}>
              <button type="button" class={`tab${!feed ? ' active' : ''}`} onClick={() => navigate(base)}>
                {t('chat')}
              </button>
              <button type="button" class={`tab${feed ? ' active' : ''}`} onClick={() => navigate(`${base}/feed`)}>
                {t('feed')}
              </button>
            </div>
          )}
          <PluginMenu groupId={group.id} />
          <button type="button" class="btn btn-ghost btn-small" onClick={() => setShowPins(true)}>
            📌 <span class="hide-narrow">{t('pins')}</span>
          </button>
          <button type="button" class="btn btn-ghost btn-small" onClick={() => setShowMembers(true)} data-testid="members-button" title={t('members', { n: group.member_count })}>
            <span aria-hidden="true">👥</span> <span class="hide-narrow">{t('members', { n: group.member_count })}</span>
          </button>
        </header>
        {error ? (
          <div class="page">
            <ErrorNote error={error} onRetry={() => loadLatest(group.id).then(() => setError(null), setError)} />
          </div>
        ) : !timeline ? (
          <Spinner />
        ) : feed ? (
          <Feed group={group} />
        ) : (
          <>
            <MessageList group={group} messages={timeline} onOpenThread={openThread} />
            {group.my_role !== null || group.kind !== 'announcement' ? <Composer group={group} /> : null}
          </>
        )}
      </section>
      {threadId && <ThreadPanel group={group} rootId={threadId} onClose={() => navigate(feed ? `${base}/feed` : base)} />}
      {showPins && <PinsDialog group={group} onClose={() => setShowPins(false)} onOpen={openThread} />}
      {showMembers && <MembersDialog group={group} onClose={() => setShowMembers(false)} />}
    </div>
  );
}

function sameDay(a: number, b: number) {
  return new Date(a).toDateString() === new Date(b).toDateString();
}

export function MessageList({ group, messages, onOpenThread }: { group: Group; messages: Message[]; onOpenThread: (m: Message) => void }) {
  const box = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const previousHeight = useRef<number | null>(null);
  const complete = historyComplete.value[group.id];

  // Stay at the bottom as messages arrive, unless the reader scrolled up to read history.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (previousHeight.current !== null) {
      el.scrollTop += el.scrollHeight - previousHeight.current;
      previousHeight.current = null;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [messages]);

  useEffect(() => {
    atBottom.current = true;
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [group.id]);

  const onScroll = async () => {
    const el = box.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 200 && !loadingOlder && !complete) {
      setLoadingOlder(true);
      previousHeight.current = el.scrollHeight;
      try {
        await loadOlder(group.id);
      } catch {
        previousHeight.current = null;
      } finally {
        setLoadingOlder(false);
      }
    }
  };

  return (
    <div class="messages" ref={box} onScroll={onScroll} data-testid="message-list" role="log" aria-live="polite">
      {complete ? (
        messages.length ? (
          <div class="day-divider">{t('beginning', { name: displayName(group) })}</div>
        ) : (
          <Empty title={t('empty')} hint={t('emptyHint')} />
        )
      ) : (
        <div class="load-more">{loadingOlder ? <Spinner label={t('loadingOlder')} /> : <span style={{ height: '24px' }} />}</div>
      )}
      {messages.map((m, i) => {
        const prev = messages[i - 1];
        const newDay = !prev || !sameDay(prev.created_at, m.created_at);
        const continued =
          !newDay && !!prev && !prev.deleted && !m.card && !prev.card && prev.author?.id === m.author?.id && !m.anonymous && m.created_at - prev.created_at < 5 * 60_000;
        return (
          <div key={m.id}>
            {newDay && <div class="day-divider">{formatDay(m.created_at)}</div>}
            <MessageItem message={m} continued={continued} onOpenThread={onOpenThread} />
          </div>
        );
      })}
    </div>
  );
}

function ThreadPanel({ group, rootId, onClose }: { group: Group; rootId: string; onClose: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const [root, setRoot] = useState<Message | undefined>(findMessage(rootId));
  const replies = threads.value[rootId];
  useEffect(() => {
    setError(null);
    const known = findMessage(rootId);
    if (known) setRoot(known);
    else api.get<Message>(`/api/v1/messages/${rootId}`).then(setRoot, setError);
    loadThread(rootId).catch(setError);
  }, [rootId]);
  const current = findMessage(rootId) ?? root;
  const end = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => end.current?.scrollIntoView({ block: 'end' }), [replies?.length]);
  return (
    <aside class="thread-panel" aria-label={t('thread')} data-testid="thread-panel">
      <header class="pane-head">
        <h1>{t('thread')}</h1>
        <span class="muted small">{displayName(group)}</span>
        <span class="spacer" />
        <button type="button" class="icon-btn" aria-label={t('close')} onClick={onClose}>
          ✕
        </button>
      </header>
      <div class="messages">
        {error ? <ErrorNote error={error} /> : null}
        {current && <MessageItem message={current} inThread />}
        <div class="day-divider">{current ? (current.reply_count ? '' : t('noReplies')) : ''}</div>
        {!replies ? <Spinner /> : replies.map((m) => <MessageItem key={m.id} message={m} inThread />)}
        <div ref={end} />
      </div>
      {current && !current.deleted && <Composer group={group} threadRootId={rootId} placeholder={current.kind === 'post' ? t('comment') : undefined} />}
    </aside>
  );
}

function Feed({ group }: { group: Group }) {
  const [posts, setPosts] = useState<Message[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  // Anonymous posting is offered only where the group's organization allows it.
  const [anonymousAllowed, setAnonymousAllowed] = useState(false);
  useEffect(() => {
    api.get<{ anonymous_posts_enabled: boolean }>(`/api/v1/orgs/${group.org_id}`).then(
      (o) => setAnonymousAllowed(o.anonymous_posts_enabled),
      () => setAnonymousAllowed(false),
    );
  }, [group.org_id]);
  const timeline = timelines.value[group.id] ?? [];
  useEffect(() => {
    api.get<Message[]>(`/api/v1/groups/${group.id}/messages`, { kind: 'post', limit: 50 }).then(setPosts, setError);
  }, [group.id]);
  // New posts arrive in the group's timeline over the stream; merge them in.
  const merged = new Map<string, Message>();
  for (const p of posts ?? []) merged.set(p.id, p);
  for (const m of timeline) if (m.kind === 'post') merged.set(m.id, m);
  const list = [...merged.values()].sort((a, b) => b.seq - a.seq);
  return (
    <div class="pane-body">
      <div class="page" style={{ maxWidth: '720px' }}>
        <div class="panel" style={{ padding: 0, marginBottom: '16px' }}>
          <Composer group={group} kind="post" placeholder={t('newPost')} allowAnonymous={anonymousAllowed} />
        </div>
        {error ? <ErrorNote error={error} /> : !posts ? <Spinner /> : list.length === 0 ? <Empty title={t('empty')} hint={t('emptyHint')} /> : null}
        <div class="stack">
          {list.map((p) => (
            <article key={p.id} class="panel" style={{ padding: '4px 0' }}>
              <MessageItem message={p} onOpenThread={(m) => navigate(`/g/${group.id}/feed/t/${m.id}`)} />
            </article>
          ))}
        </div>
      </div>
    </div>
  );
}

function PinsDialog({ group, onClose, onOpen }: { group: Group; onClose: () => void; onOpen: (m: Message) => void }) {
  const [pins, setPins] = useState<Message[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.get<Message[]>(`/api/v1/groups/${group.id}/pins`).then(setPins, setError);
  }, [group.id]);
  return (
    <Modal title={t('pins')} onClose={onClose} wide>
      {error ? <ErrorNote error={error} /> : !pins ? <Spinner /> : pins.length === 0 ? <Empty title={t('noPins')} /> : pins.map((m) => <MessageItem key={m.id} message={m} onOpenThread={(x) => (onClose(), onOpen(x))} />)}
    </Modal>
  );
}
