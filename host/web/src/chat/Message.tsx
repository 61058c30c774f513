// One message: author, time, body (rendered from the server's parsed segments, never as
// HTML), reactions, thread link, and the actions a person may take on it.

import { useState } from 'preact/hooks';
import { api } from '../api';
import { formatDateTime, formatTime, strings } from '../i18n';
import { PluginCard } from '../plugins/Card';
import { pluginName } from '../plugins/names';
import { openProfile } from '../directory/profile';
import { me, isOrgAdmin } from '../session';
import type { Attachment, Message, Receipts, Segment } from '../types';
import { Avatar, Modal, Spinner, describeError, toast } from '../ui/kit';
import { personName, upsertMessage, wantPerson } from './store';

const t = strings({
  reply: ['Reply in thread', '在话题中回复'],
  react: ['Add reaction', '添加表情回应'],
  edit: ['Edit', '编辑'],
  del: ['Delete', '删除'],
  pin: ['Pin', '置顶'],
  unpin: ['Unpin', '取消置顶'],
  receipts: ['Read receipts', '已读回执'],
  edited: ['(edited)', '（已编辑）'],
  deleted: ['This message was deleted.', '此消息已被删除。'],
  anonymous: ['Anonymous', '匿名'],
  bot: ['Bot', '机器人'],
  replies: ['{n} replies', '{n} 条回复'],
  oneReply: ['1 reply', '1 条回复'],
  pinned: ['Pinned', '已置顶'],
  confirmDelete: ['Delete this message for everyone?', '为所有人删除这条消息？'],
  save: ['Save', '保存'],
  cancel: ['Cancel', '取消'],
  editHint: ['Enter to save · Esc to cancel', '回车保存 · Esc 取消'],
  readBy: ['Read ({n})', '已读（{n}）'],
  unreadBy: ['Not yet read ({n})', '未读（{n}）'],
  burns: ['Disappears {when}', '将于 {when} 销毁'],
  burnAfterRead: ['Disappears after it is read', '阅后即焚'],
  restricted: ['Visible to {n} people', '仅 {n} 人可见'],
  plugin: ['App', '应用'],
  someone: ['Someone', '某人'],
  removed: ['Deleted message', '已删除的消息'],
  everyone: ['@all', '@所有人'],
});

export const QUICK_EMOJI = ['👍', '❤️', '😄', '🎉', '👀', '✅', '🙏', '😮'];

export function Segments({ segments }: { segments: Segment[] }) {
  return (
    <>
      {segments.map((s, i) => {
        switch (s.type) {
          case 'text':
            return <span key={i}>{s.text}</span>;
          case 'mention':
            return <Mention key={i} id={s.person_id} />;
          case 'mention_all':
            return (
              <span key={i} class="mention me">
                {t('everyone')}
              </span>
            );
          case 'link':
            return safeUrl(s.url) ? (
              <a key={i} href={s.url} target="_blank" rel="noopener noreferrer nofollow">
                {s.text ?? s.url}
              </a>
            ) : (
              <span key={i}>{s.text ?? s.url}</span>
            );
          case 'code':
            return <code key={i}>{s.code}</code>;
          case 'code_block':
            return (
              <pre key={i} class="code-block">
                {s.code}
              </pre>
            );
          default:
            return null;
        }
      })}
    </>
  );
}

function safeUrl(url: string): boolean {
  return /^(https?:|mailto:)/i.test(url);
}

function Mention({ id }: { id: string }) {
  wantPerson(id);
  const name = personName(id) ?? '…';
  return (
    <button type="button" class={`mention${id === me.value?.id ? ' me' : ''}`} onClick={() => openProfile(id)}>
      @{name}
    </button>
  );
}

export function MessageItem({
  message: m,
  continued,
  onOpenThread,
  inThread,
}: {
  message: Message;
  continued?: boolean;
  onOpenThread?: (m: Message) => void;
  inThread?: boolean;
}) {
  const [picking, setPicking] = useState(false);
  const [editing, setEditing] = useState(false);
  const [receipts, setReceipts] = useState(false);
  const mine = !!m.author && m.author.id === me.value?.id;
  const author = m.anonymous
    ? t('anonymous')
    : m.author?.display_name ?? m.bot?.name ?? (m.plugin_id ? pluginName(m.plugin_id) : m.deleted ? t('removed') : t('someone'));

  const react = async (emoji: string) => {
    setPicking(false);
    const had = m.reactions.find((r) => r.emoji === emoji)?.person_ids.includes(me.value?.id ?? '');
    try {
      const updated = await (had
        ? api.del<Message>(`/api/v1/messages/${m.id}/reactions/${encodeURIComponent(emoji)}`)
        : api.put<Message>(`/api/v1/messages/${m.id}/reactions/${encodeURIComponent(emoji)}`));
      if (updated && updated.id) upsertMessage(updated);
    } catch (e) {
      toast(describeError(e), 'error');
    }
  };
  const remove = async () => {
    if (!confirm(t('confirmDelete'))) return;
    try {
      const updated = await api.del<Message>(`/api/v1/messages/${m.id}`);
      if (updated && updated.id) upsertMessage(updated);
    } catch (e) {
      toast(describeError(e), 'error');
    }
  };
  const pin = async () => {
    try {
      const updated = m.pinned ? await api.del<Message>(`/api/v1/messages/${m.id}/pin`) : await api.put<Message>(`/api/v1/messages/${m.id}/pin`);
      if (updated && updated.id) upsertMessage(updated);
    } catch (e) {
      toast(describeError(e), 'error');
    }
  };

  return (
    <div class={`msg${continued ? ' continued' : ''}`} data-message-id={m.id} data-testid="message">
      <div class="msg-gutter">
        {m.author && !m.anonymous ? (
          <button type="button" class="avatar-btn" onClick={() => openProfile(m.author!.id)} aria-label={author}>
            <Avatar id={m.author.id} name={m.author.display_name} size={36} />
          </button>
        ) : (
          <Avatar id={m.plugin_id ?? m.bot?.id ?? 'anon'} name={m.plugin_id ? '⚙' : m.bot ? m.bot.name : '?'} size={36} />
        )}
      </div>
      {continued && (
        <time class="msg-side-time" dateTime={new Date(m.created_at).toISOString()}>
          {formatTime(m.created_at)}
        </time>
      )}
      <div class="msg-main">
        <div class="msg-meta">
          {m.author && !m.anonymous ? (
            <button type="button" class="msg-author" onClick={() => openProfile(m.author!.id)}>
              {author}
            </button>
          ) : (
            <span class="msg-author">{author}</span>
          )}
          {m.plugin_id && <span class="badge badge-info">{t('plugin')}</span>}
          {m.bot && <span class="badge badge-info">{t('bot')}</span>}
          <time class="msg-time" dateTime={new Date(m.created_at).toISOString()} title={formatDateTime(m.created_at)}>
            {formatTime(m.created_at)}
          </time>
          {m.pinned && <span class="pin-note">📌 {t('pinned')}</span>}
          {m.audience && <span class="badge">{t('restricted', { n: m.audience.length })}</span>}
        </div>
        {m.deleted ? (
          <div class="msg-body deleted">{t('deleted')}</div>
        ) : editing ? (
          <EditBox message={m} onDone={() => setEditing(false)} />
        ) : (
          <>
            {m.body && (
              <div class="msg-body">
                <Segments segments={m.segments} />
                {m.edited_at && <span class="msg-edited">{t('edited')}</span>}
              </div>
            )}
            {m.attachments && m.attachments.length > 0 && <Attachments files={m.attachments} />}
            {m.card && <PluginCard message={m} onUpdated={upsertMessage} />}
          </>
        )}
        {(m.burn_after_secs || m.burn_at) && !m.deleted && (
          <div class="small muted">🔥 {m.burn_at ? t('burns', { when: formatDateTime(m.burn_at) }) : t('burnAfterRead')}</div>
        )}
        {m.reactions.length > 0 && (
          <div class="reactions">
            {m.reactions.map((r) => (
              <button
                key={r.emoji}
                type="button"
                class={`reaction${r.person_ids.includes(me.value?.id ?? '') ? ' mine' : ''}`}
                onClick={() => react(r.emoji)}
                aria-pressed={r.person_ids.includes(me.value?.id ?? '')}
                title={r.person_ids.map((p) => personName(p) ?? '').filter(Boolean).join(', ')}
              >
                <span>{r.emoji}</span>
                <span>{r.count}</span>
              </button>
            ))}
          </div>
        )}
        {!inThread && m.reply_count > 0 && onOpenThread && (
          <button type="button" class="thread-link" onClick={() => onOpenThread(m)}>
            {m.reply_count === 1 ? t('oneReply') : t('replies', { n: m.reply_count })}
          </button>
        )}
      </div>
      {!m.deleted && !editing && (
        <div class="msg-actions" role="toolbar">
          <button type="button" class="icon-btn" title={t('react')} aria-label={t('react')} onClick={() => setPicking(!picking)}>
            ☺
          </button>
          {!inThread && onOpenThread && (
            <button type="button" class="icon-btn" title={t('reply')} aria-label={t('reply')} onClick={() => onOpenThread(m)}>
              💬
            </button>
          )}
          {mine && !m.card && (
            <button type="button" class="icon-btn" title={t('edit')} aria-label={t('edit')} onClick={() => setEditing(true)}>
              ✎
            </button>
          )}
          {!inThread && (
            <button type="button" class="icon-btn" title={m.pinned ? t('unpin') : t('pin')} aria-label={m.pinned ? t('unpin') : t('pin')} onClick={pin}>
              📌
            </button>
          )}
          {mine && (
            <button type="button" class="icon-btn" title={t('receipts')} aria-label={t('receipts')} onClick={() => setReceipts(true)}>
              ✓
            </button>
          )}
          {(mine || isOrgAdmin.value) && (
            <button type="button" class="icon-btn" title={t('del')} aria-label={t('del')} onClick={remove}>
              🗑
            </button>
          )}
        </div>
      )}
      {picking && (
        <div class="emoji-picker" role="menu">
          {QUICK_EMOJI.map((e) => (
            <button key={e} type="button" role="menuitem" onClick={() => react(e)} aria-label={e}>
              {e}
            </button>
          ))}
        </div>
      )}
      {receipts && <ReceiptsDialog id={m.id} onClose={() => setReceipts(false)} />}
    </div>
  );
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The picture types the host makes thumbnails of. */
const THUMBNAILED = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** A picture's thumbnail, or the picture itself when it has none (or it fails to load). */
function Picture({ file, url }: { file: Attachment; url: string }) {
  const thumbnailed = THUMBNAILED.has(file.content_type);
  const [failed, setFailed] = useState(false);
  const src = thumbnailed && !failed ? `${url}/thumbnail` : url;
  return <img src={src} alt={file.name} loading="lazy" onError={thumbnailed && !failed ? () => setFailed(true) : undefined} />;
}

/** Images show inline as thumbnails, opening in full in a new tab (the host serves them
 *  sandboxed); anything else is a download. */
function Attachments({ files }: { files: Attachment[] }) {
  return (
    <div class="attachments" data-testid="attachments">
      {files.map((f) => {
        const url = `/api/v1/files/${f.id}`;
        return f.content_type.startsWith('image/') && f.content_type !== 'image/svg+xml' ? (
          <a key={f.id} href={url} target="_blank" rel="noopener noreferrer" class="attachment-image">
            <Picture file={f} url={url} />
          </a>
        ) : (
          <a key={f.id} href={url} download={f.name} class="attachment-file">
            <span class="attachment-icon" aria-hidden="true">📄</span>
            <span class="attachment-name">{f.name}</span>
            <span class="muted small">{formatSize(f.size)}</span>
          </a>
        );
      })}
    </div>
  );
}

function EditBox({ message, onDone }: { message: Message; onDone: () => void }) {
  const [body, setBody] = useState(message.body);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const save = async () => {
    if (!body.trim() || body === message.body) return onDone();
    setBusy(true);
    try {
      const updated = await api.patch<Message>(`/api/v1/messages/${message.id}`, { body });
      upsertMessage(updated);
      onDone();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="stack" style={{ gap: '6px' }}>
      <textarea
        value={body}
        disabled={busy}
        ref={(el) => el?.focus()}
        onInput={(e) => setBody((e.target as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            void save();
          } else if (e.key === 'Escape') onDone();
        }}
      />
      {error && <div class="field-error">{error}</div>}
      <div class="row small muted">
        <span>{t('editHint')}</span>
        <span class="spacer" />
        <button type="button" class="btn btn-small btn-ghost" onClick={onDone}>
          {t('cancel')}
        </button>
        <button type="button" class="btn btn-small btn-primary" onClick={save} disabled={busy}>
          {t('save')}
        </button>
      </div>
    </div>
  );
}

function ReceiptsDialog({ id, onClose }: { id: string; onClose: () => void }) {
  const [data, setData] = useState<Receipts | null>(null);
  const [error, setError] = useState<unknown>(null);
  useState(() => {
    api.get<Receipts>(`/api/v1/messages/${id}/receipts`).then(setData, setError);
  });
  return (
    <Modal title={t('receipts')} onClose={onClose}>
      {error ? (
        <div class="error-note">{describeError(error)}</div>
      ) : !data ? (
        <Spinner />
      ) : (
        <div class="two-col" style={{ gridTemplateColumns: '1fr 1fr', gap: '16px' }}>
          {[
            [t('readBy', { n: data.read.length }), data.read],
            [t('unreadBy', { n: data.unread.length }), data.unread],
          ].map(([title, list]) => (
            <div key={title as string}>
              <h3 style={{ marginBottom: '8px' }}>{title as string}</h3>
              {(list as Receipts['read']).map((p) => (
                <button key={p.id} type="button" class="person-row" onClick={() => openProfile(p.id)}>
                  <Avatar id={p.id} name={p.display_name} size={24} />
                  <span>{p.display_name}</span>
                </button>
              ))}
            </div>
          ))}
        </div>
      )}
    </Modal>
  );
}
