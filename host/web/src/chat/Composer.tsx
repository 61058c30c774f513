// Writing a message: Enter sends, Shift+Enter breaks the line; `@` suggests people of the
// group (by name, pinyin or initials), `/` suggests the slash commands of the plugins
// enabled here. Mentions show as @Name while typing and are sent as `<@id>` markup.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { localized, strings } from '../i18n';
import { loadCommands, matchCommands, runCommand } from '../plugins/commands';
import { CommandOutcomeView } from '../plugins/CommandOutcome';
import { explain } from '../plugins/errors';
import type { Command, Group, Member, Person } from '../types';
import { Avatar, toast } from '../ui/kit';
import { displayName, postMessage } from './store';

const t = strings({
  placeholder: ['Message {name}', '发消息给 {name}'],
  replyPlaceholder: ['Reply…', '回复…'],
  hint: ['Enter to send · Shift+Enter for a new line · / for commands · @ to mention', '回车发送 · Shift+回车换行 · / 使用命令 · @ 提及'],
  send: ['Send', '发送'],
  burn: ['Disappear after reading', '阅后即焚'],
  burnOff: ['Off', '关闭'],
  anonymous: ['Post anonymously', '匿名发布'],
  everyone: ['Everyone in this group', '本群所有人'],
  sending: ['Sending…', '发送中…'],
  failed: ['Not sent: {why}', '未发送：{why}'],
  attach: ['Attach files', '添加附件'],
  remove: ['Remove {name}', '移除 {name}'],
  uploading: ['Uploading…', '上传中…'],
  uploadFailed: ['{name}: {why}', '{name}：{why}'],
});

interface Pending {
  key: number;
  name: string;
  id?: string;
  error?: string;
}
let pendingKey = 0;

const BURN_CHOICES: Array<[number, string, string]> = [
  [10, '10 s', '10 秒'],
  [60, '1 min', '1 分钟'],
  [3600, '1 h', '1 小时'],
  [86400, '1 day', '1 天'],
];

type Suggest =
  | { kind: 'mention'; start: number; query: string; items: Array<{ id: string; name: string; sub?: string }> }
  | { kind: 'command'; items: Command[] };

export function Composer({
  group,
  threadRootId,
  kind,
  placeholder,
  allowAnonymous,
}: {
  group: Group;
  threadRootId?: string;
  kind?: 'chat' | 'post';
  placeholder?: string;
  allowAnonymous?: boolean;
}) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [suggest, setSuggest] = useState<Suggest | null>(null);
  const [selected, setSelected] = useState(0);
  const [burn, setBurn] = useState<number | null>(null);
  const [anonymous, setAnonymous] = useState(false);
  const [outcome, setOutcome] = useState<any>(null);
  const [files, setFiles] = useState<Pending[]>([]);
  const picker = useRef<HTMLInputElement>(null);
  const mentions = useRef(new Map<string, string>());
  // Suggestions are asked for on every keystroke; only the newest answer may show.
  const suggestSeq = useRef(0);
  const area = useRef<HTMLTextAreaElement>(null);
  const members = useMembers(group.id);
  const storageKey = `courtyard.draft.${group.id}.${threadRootId ?? ''}`;

  useEffect(() => {
    setText(sessionStorage.getItem(storageKey) ?? '');
    mentions.current = new Map();
    setSuggest(null);
  }, [storageKey]);

  const update = (value: string, caret: number) => {
    setText(value);
    try {
      if (value) sessionStorage.setItem(storageKey, value);
      else sessionStorage.removeItem(storageKey);
    } catch {
      /* ignore */
    }
    void refreshSuggestions(value, caret);
  };

  const refreshSuggestions = async (value: string, caret: number) => {
    const mine = ++suggestSeq.current;
    if (!threadRootId && value.startsWith('/') && !value.includes(' ') && !value.includes('\n')) {
      const cmds = matchCommands(await loadCommands(group.id).catch(() => []), value);
      if (mine !== suggestSeq.current) return;
      setSuggest(cmds.length ? { kind: 'command', items: cmds } : null);
      setSelected(0);
      return;
    }
    const before = value.slice(0, caret);
    const at = /(^|\s)@([^\s@]{0,30})$/.exec(before);
    if (!at) return setSuggest(null);
    const query = at[2];
    const start = caret - query.length - 1;
    const items = await findMembers(members, query);
    if (mine !== suggestSeq.current) return;
    if (query === '' || 'all'.startsWith(query.toLowerCase())) items.unshift({ id: 'all', name: 'all', sub: t('everyone') });
    setSuggest(items.length ? { kind: 'mention', start, query, items: items.slice(0, 8) } : null);
    setSelected(0);
  };

  const choose = (i: number) => {
    if (!suggest) return;
    if (suggest.kind === 'command') {
      const c = suggest.items[i];
      const value = `/${c.name} `;
      setText(value);
      setSuggest(null);
      area.current?.focus();
      return;
    }
    const item = suggest.items[i];
    const insert = `@${item.name} `;
    // Replace the @word at the caret as the text is now, not as it was when asked.
    const caretNow = area.current?.selectionStart ?? text.length;
    const at = /(^|\s)@([^\s@]{0,30})$/.exec(text.slice(0, caretNow));
    const start = at ? caretNow - at[2].length - 1 : suggest.start;
    const end = at ? caretNow : suggest.start + 1 + suggest.query.length;
    const value = text.slice(0, start) + insert + text.slice(end);
    if (item.id !== 'all') mentions.current.set(item.name, item.id);
    setText(value);
    setSuggest(null);
    const caret = start + insert.length;
    requestAnimationFrame(() => {
      area.current?.focus();
      area.current?.setSelectionRange(caret, caret);
    });
  };

  // Files upload as soon as they are picked; the post waits only for those still going.
  const attach = (list: FileList | null) => {
    for (const file of Array.from(list ?? [])) {
      const key = ++pendingKey;
      setFiles((fs) => [...fs, { key, name: file.name }]);
      api.upload<{ id: string }>(file).then(
        (up) => setFiles((fs) => fs.map((f) => (f.key === key ? { ...f, id: up.id } : f))),
        (e) => setFiles((fs) => fs.map((f) => (f.key === key ? { ...f, error: explain(e) } : f))),
      );
    }
    if (picker.current) picker.current.value = '';
  };
  const ready = files.filter((f) => f.id);
  const uploading = files.some((f) => !f.id && !f.error);

  const send = async () => {
    const typed = text.trim();
    // A message of files only is titled by their names.
    const raw = typed || ready.map((f) => `📎 ${f.name}`).join('\n');
    if (!raw || busy || uploading) return;
    setBusy(true);
    try {
      if (!threadRootId && raw.startsWith('/')) {
        const result = await runCommand(group.id, raw);
        setOutcome(result);
      } else {
        await postMessage(group.id, toMarkup(raw, mentions.current), {
          threadRootId,
          kind,
          anonymous: allowAnonymous && anonymous,
          burnAfterSecs: burn ?? undefined,
          attachments: ready.map((f) => f.id!),
        });
      }
      setFiles([]);
      setText('');
      mentions.current = new Map();
      sessionStorage.removeItem(storageKey);
    } catch (e) {
      toast(t('failed', { why: explain(e) }), 'error');
    } finally {
      setBusy(false);
      area.current?.focus();
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (suggest) {
      const n = suggest.items.length;
      if (e.key === 'ArrowDown') return e.preventDefault(), setSelected((selected + 1) % n);
      if (e.key === 'ArrowUp') return e.preventDefault(), setSelected((selected - 1 + n) % n);
      if (e.key === 'Enter' || e.key === 'Tab') return e.preventDefault(), choose(selected);
      if (e.key === 'Escape') return e.preventDefault(), setSuggest(null);
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    }
  };

  const isDirect = group.kind === 'direct';
  return (
    <div class="composer">
      {suggest && (
        <div class="popup-list" role="listbox" data-testid={suggest.kind === 'command' ? 'command-list' : 'mention-list'}>
          {suggest.kind === 'command'
            ? suggest.items.map((c, i) => (
                <div
                  key={`${c.plugin_id}/${c.name}`}
                  role="option"
                  aria-selected={i === selected}
                  class={`popup-item${i === selected ? ' selected' : ''}`}
                  onMouseDown={(e) => (e.preventDefault(), choose(i))}
                >
                  <strong>/{c.name}</strong>
                  <span class="sub">{c.usage}</span>
                  <span class="spacer" />
                  <span class="sub">{localized(c.description)}</span>
                </div>
              ))
            : suggest.items.map((p, i) => (
                <div
                  key={p.id}
                  role="option"
                  aria-selected={i === selected}
                  class={`popup-item${i === selected ? ' selected' : ''}`}
                  onMouseDown={(e) => (e.preventDefault(), choose(i))}
                >
                  {p.id === 'all' ? <span class="avatar" style={{ width: '24px', height: '24px', background: '#8a93a1', fontSize: '12px' }}>@</span> : <Avatar id={p.id} name={p.name} size={24} />}
                  <span>{p.id === 'all' ? '@all' : p.name}</span>
                  {p.sub && <span class="sub">{p.sub}</span>}
                </div>
              ))}
        </div>
      )}
      <div
        class="composer-box"
        onDragOver={(e) => e.dataTransfer?.types.includes('Files') && e.preventDefault()}
        onDrop={(e) => {
          if (e.dataTransfer?.files.length) {
            e.preventDefault();
            attach(e.dataTransfer.files);
          }
        }}
      >
        {files.length > 0 && (
          <div class="pending-files">
            {files.map((f) => (
              <span key={f.key} class={`pending-file${f.error ? ' failed' : ''}`} title={f.error ? t('uploadFailed', { name: f.name, why: f.error }) : f.name}>
                <span>{f.id || f.error ? f.name : `${t('uploading')} ${f.name}`}</span>
                <button type="button" class="icon-btn" style={{ width: '22px', height: '22px' }} aria-label={t('remove', { name: f.name })} onClick={() => setFiles((fs) => fs.filter((x) => x.key !== f.key))}>
                  ×
                </button>
              </span>
            ))}
          </div>
        )}
        <textarea
          ref={area}
          rows={1}
          value={text}
          aria-label={placeholder ?? (threadRootId ? t('replyPlaceholder') : t('placeholder', { name: displayName(group) }))}
          placeholder={placeholder ?? (threadRootId ? t('replyPlaceholder') : t('placeholder', { name: displayName(group) }))}
          onInput={(e) => {
            const el = e.target as HTMLTextAreaElement;
            autosize(el);
            update(el.value, el.selectionStart ?? el.value.length);
          }}
          onKeyDown={onKeyDown}
          onPaste={(e) => {
            if (e.clipboardData?.files.length) {
              e.preventDefault();
              attach(e.clipboardData.files);
            }
          }}
          onBlur={() => setTimeout(() => setSuggest(null), 150)}
          disabled={busy}
          data-testid="composer"
        />
        <div class="composer-tools">
          <input ref={picker} type="file" multiple hidden onChange={(e) => attach((e.target as HTMLInputElement).files)} data-testid="file-input" />
          <button type="button" class="icon-btn" aria-label={t('attach')} title={t('attach')} onClick={() => picker.current?.click()}>
            📎
          </button>
          {isDirect && !threadRootId && (
            <label class="row small muted" title={t('burn')}>
              <span>🔥</span>
              <select
                aria-label={t('burn')}
                value={burn ?? ''}
                onChange={(e) => setBurn((e.target as HTMLSelectElement).value ? Number((e.target as HTMLSelectElement).value) : null)}
                style={{ minHeight: '26px', padding: '2px 6px', width: 'auto' }}
              >
                <option value="">{t('burnOff')}</option>
                {BURN_CHOICES.map(([secs, en, zh]) => (
                  <option key={secs} value={secs}>
                    {strings({ x: [en, zh] })('x')}
                  </option>
                ))}
              </select>
            </label>
          )}
          {allowAnonymous && (
            <label class="row small muted">
              <input type="checkbox" checked={anonymous} onChange={(e) => setAnonymous((e.target as HTMLInputElement).checked)} />
              {t('anonymous')}
            </label>
          )}
          <span class="composer-hint">{t('hint')}</span>
          <span class="spacer" />
          <button type="button" class="btn btn-primary btn-small" onClick={send} disabled={(!text.trim() && !ready.length) || busy || uploading} data-testid="send">
            {t('send')}
          </button>
        </div>
      </div>
      {outcome && <CommandOutcomeView outcome={outcome} groupId={group.id} onClose={() => setOutcome(null)} />}
    </div>
  );
}

function autosize(el: HTMLTextAreaElement) {
  el.style.height = 'auto';
  el.style.height = `${Math.min(el.scrollHeight, 200)}px`;
}

/** `@Name` as typed becomes `<@id>` for every person picked from the suggestions. */
export function toMarkup(text: string, picked: Map<string, string>): string {
  let out = text;
  // Longest names first, so "@Li Na" is not taken for "@Li".
  const names = [...picked.keys()].sort((a, b) => b.length - a.length);
  for (const name of names) out = out.split(`@${name}`).join(`<@${picked.get(name)}>`);
  return out;
}

const memberCache = new Map<string, Promise<Member[]>>();

function useMembers(groupId: string): Promise<Member[]> {
  return useMemo(() => {
    let p = memberCache.get(groupId);
    if (!p) {
      p = api.get<Member[]>(`/api/v1/groups/${groupId}/members`).catch(() => []);
      memberCache.set(groupId, p);
      setTimeout(() => memberCache.delete(groupId), 60_000);
    }
    return p;
  }, [groupId]);
}

async function findMembers(members: Promise<Member[]>, query: string) {
  const list = await members;
  const q = query.toLowerCase();
  const byName = list.filter((m) => m.display_name.toLowerCase().includes(q));
  let byDirectory: Member[] = [];
  if (q && /^[a-z]+$/.test(q)) {
    // Pinyin and initials: the directory search knows them; keep only this group's members.
    const found = await api.get<Person[]>('/api/v1/people', { q, limit: 20 }).catch(() => [] as Person[]);
    const ids = new Set(found.map((p) => p.id));
    byDirectory = list.filter((m) => ids.has(m.person_id));
  }
  const seen = new Set<string>();
  return [...byName, ...byDirectory]
    .filter((m) => (seen.has(m.person_id) ? false : (seen.add(m.person_id), true)))
    .map((m) => ({ id: m.person_id, name: m.display_name, sub: m.guest ? '↗' : undefined }));
}
