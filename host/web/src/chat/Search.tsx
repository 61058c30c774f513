// Message search: the words of a query over every message the person may read (the
// server decides what that is), newest first, with the matched words marked. A result
// opens its conversation with the message in the thread panel.

import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { formatDateTime, strings } from '../i18n';
import { navigate, queryParam } from '../router';
import type { Message } from '../types';
import { Avatar, Button, Empty, ErrorNote, MenuButton, Spinner } from '../ui/kit';
import { displayName, groupById, groups } from './store';

const t = strings({
  title: ['Search messages', '搜索消息'],
  placeholder: ['Words to find, e.g. 报销 or quarterly report', '输入要查找的词，例如 报销 或 quarterly report'],
  label: ['Search messages', '搜索消息'],
  everywhere: ['All my conversations', '我的全部会话'],
  scope: ['Where', '范围'],
  none: ['No messages found', '没有找到消息'],
  noneHint: ['Every word must appear in a message. Try fewer or other words.', '消息需包含所有词语。试试更少或别的词。'],
  hint: ['Search every conversation you are in. Chinese words are found inside longer ones: 报销 finds 差旅报销单.', '搜索你参与的所有会话。中文按词查找：搜“报销”能找到“差旅报销单”。'],
  more: ['Show older results', '显示更早的结果'],
  anonymous: ['Anonymous', '匿名'],
  plugin: ['App', '应用'],
  inThread: ['in a thread', '在话题中'],
});

interface Hit {
  message: Message;
  group_name: string;
  group_kind: string;
  snippet: Array<{ text: string; hit?: boolean }>;
}

interface Page {
  hits: Hit[];
  next_before: number | null;
}

export function Search({ onMenu }: { onMenu: () => void }) {
  const [q, setQ] = useState(queryParam('q') ?? '');
  const [scope, setScope] = useState(queryParam('g') ?? '');
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const seq = useRef(0);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => input.current?.focus(), []);

  async function fetchPage(before: number | null): Promise<Page> {
    return api.get<Page>('/api/v1/search/messages', {
      q: q.trim(),
      group_id: scope || undefined,
      before: before ?? undefined,
      limit: 20,
    });
  }

  // Search as you type; a slower answer never overwrites a newer one, and the address
  // keeps the query so reload and back return to the same results.
  useEffect(() => {
    const mine = ++seq.current;
    const params = new URLSearchParams();
    if (q.trim()) params.set('q', q.trim());
    if (scope) params.set('g', scope);
    const to = `/search${params.toString() ? `?${params}` : ''}`;
    navigate(to, true);
    if (!q.trim()) {
      setHits(null);
      setError(null);
      return;
    }
    const timer = setTimeout(async () => {
      setLoading(true);
      try {
        const page = await fetchPage(null);
        if (mine !== seq.current) return;
        setHits(page.hits);
        setNext(page.next_before);
        setError(null);
      } catch (e) {
        if (mine === seq.current) setError(e);
      } finally {
        if (mine === seq.current) setLoading(false);
      }
    }, 200);
    return () => clearTimeout(timer);
  }, [q, scope]);

  async function more() {
    if (next === null) return;
    const mine = seq.current;
    setLoading(true);
    try {
      const page = await fetchPage(next);
      if (mine !== seq.current) return;
      setHits([...(hits ?? []), ...page.hits]);
      setNext(page.next_before);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }

  const mine = groups.value.filter((g) => g.my_role !== null);
  return (
    <div class="main">
      <section class="pane">
        <header class="pane-head">
          <MenuButton onClick={onMenu} />
          <h1>{t('title')}</h1>
        </header>
        <div class="pane-body">
          <div class="page">
            <div class="row" style={{ gap: '8px', marginBottom: '12px', flexWrap: 'wrap' }}>
              <div class="search-box" style={{ flex: '1 1 320px' }}>
                <input
                  ref={input}
                  type="search"
                  aria-label={t('label')}
                  placeholder={t('placeholder')}
                  value={q}
                  maxLength={200}
                  onInput={(e) => setQ((e.target as HTMLInputElement).value)}
                  data-testid="message-search"
                />
              </div>
              <select style={{ width: 'auto', maxWidth: '260px', flex: '0 0 auto' }} aria-label={t('scope')} value={scope} onChange={(e) => setScope((e.target as HTMLSelectElement).value)} data-testid="search-scope">
                <option value="">{t('everywhere')}</option>
                {mine.map((g) => (
                  <option key={g.id} value={g.id}>
                    {displayName(g)}
                  </option>
                ))}
              </select>
            </div>
            {error ? <ErrorNote error={error} /> : null}
            {hits === null ? (
              loading ? <Spinner /> : <p class="muted">{t('hint')}</p>
            ) : hits.length === 0 && !loading ? (
              <Empty title={t('none')} hint={t('noneHint')} />
            ) : (
              <ul class="search-results" data-testid="search-results">
                {hits.map((h) => (
                  <SearchResult key={h.message.id} hit={h} />
                ))}
              </ul>
            )}
            {next !== null && hits?.length ? (
              <div style={{ textAlign: 'center', margin: '12px 0' }}>
                <Button onClick={() => void more()} busy={loading}>
                  {t('more')}
                </Button>
              </div>
            ) : null}
          </div>
        </div>
      </section>
    </div>
  );
}

function SearchResult({ hit }: { hit: Hit }) {
  const m = hit.message;
  const group = groupById(m.group_id);
  const where = group ? displayName(group) : hit.group_name;
  const root = m.thread_root_id ?? m.id;
  const rootIsPost = m.kind === 'post' && !m.thread_root_id;
  const to = rootIsPost ? `/g/${m.group_id}/feed/t/${root}` : `/g/${m.group_id}/t/${root}`;
  const who = m.anonymous ? t('anonymous') : m.author?.display_name ?? (m.plugin_id ? t('plugin') : '');
  return (
    <li>
      <a
        href={to}
        class="search-result"
        onClick={(e) => {
          if (e.button !== 0 || e.metaKey || e.ctrlKey) return;
          e.preventDefault();
          navigate(to);
        }}
        data-testid="search-result"
      >
        <Avatar id={m.author?.id ?? m.plugin_id ?? m.group_id} name={who || where} size={28} />
        <div class="search-result-body">
          <div class="small muted">
            <strong class="search-result-who">{who}</strong> · {where}
            {m.thread_root_id ? ` · ${t('inThread')}` : ''} · {formatDateTime(m.created_at)}
          </div>
          <div class="search-snippet">
            {hit.snippet.map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
          </div>
        </div>
      </a>
    </li>
  );
}
