// A plugin page (`[[pages]]` in its manifest): cards the plugin renders for the reader,
// `GET /api/v1/groups/{group}/plugins/{plugin}/pages/{page}`, with the URL's query string
// passed through (`…/p/forms/results?form=f1`). Forms on a page carry their token and are
// submitted like handed-out forms; its buttons go to
// `POST /api/v1/groups/{group}/plugins/{plugin}/actions`. After either, the page is asked
// again, since the plugin's data changed.

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { localized, strings } from '../i18n';
import { navigate, onLinkClick, path } from '../router';
import type { Localized } from '../types';
import { Button, Empty, Spinner } from '../ui/kit';
import { fetchPage, pressPageButton, submitIssuedForm } from './actions';
import { CardView, type CardOps } from './Card';
import { explain } from './errors';
import { pluginName, rememberPluginName } from './names';
import type { PageView } from './types';
import './plugins.css';

const t = strings({
  back: ['Back to the group', '返回群组'],
  refresh: ['Refresh', '刷新'],
  empty: ['Nothing here yet', '这里还没有内容'],
  emptyHint: ['This page has nothing to show right now.', '此页面暂时没有可显示的内容。'],
  missing: ['This page does not exist', '页面不存在'],
  missingHint: ['The plugin may have been disabled in this group, or the page removed.', '该插件可能已在本群停用，或页面已被移除。'],
  failed: ['The page could not be loaded', '页面加载失败'],
  retry: ['Try again', '重试'],
  noToken: ['This form cannot be submitted from here.', '此表单无法在此提交。'],
});

export function PluginPage({ groupId, pluginId, page }: { groupId: string; pluginId: string; page: string }) {
  const query = path.value.split('?')[1] ?? '';
  const pageKey = `${groupId}/${pluginId}/${page}?${query}`;
  const [view, setView] = useState<PageView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const shownKey = useRef<string | null>(null);

  useEffect(() => {
    const ac = new AbortController();
    // Another page starts blank; the same page reloading keeps its cards meanwhile.
    if (shownKey.current !== pageKey) {
      setView(null);
      setError(null);
    }
    setLoading(true);
    fetchPage(groupId, pluginId, page, query, ac.signal).then(
      (v) => {
        if (ac.signal.aborted) return;
        shownKey.current = pageKey;
        setView(v);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (ac.signal.aborted || (e as Error).name === 'AbortError') return;
        setError(e);
        setLoading(false);
      },
    );
    return () => ac.abort();
  }, [pageKey, tick]);

  const reload = () => setTick((n) => n + 1);
  const ops: CardOps = {
    press: (button) => pressPageButton(groupId, pluginId, button),
    submitForm: (block, values) =>
      block.token ? submitIssuedForm({ form: block.form, token: block.token }, values) : Promise.reject(new ApiError(422, 'unknown_form', t('noToken'), t('noToken'))),
  };
  const back = `/g/${encodeURIComponent(groupId)}`;
  const notFound = error instanceof ApiError && error.status === 404;

  return (
    <div class="pane">
      <header class="pane-head">
        <a class="icon-btn" href={back} aria-label={t('back')} title={t('back')} onClick={(e) => onLinkClick(e, back)}>
          ←
        </a>
        <div class="pp-head-title">
          <div class="pc-plugin">{pluginName(pluginId)}</div>
          <h1>{view?.title || page}</h1>
        </div>
        <span class="spacer" />
        <button type="button" class="icon-btn" aria-label={t('refresh')} title={t('refresh')} onClick={reload} disabled={loading}>
          ↻
        </button>
      </header>
      <div class="pane-body">
        <div class="page">
          {view ? (
            view.cards.length ? (
              <div class={`pp-cards${loading ? ' pp-refreshing' : ''}`} aria-busy={loading}>
                {view.cards.map((card, i) => (
                  <CardView key={i} card={card} ops={ops} groupId={groupId} onAfter={reload} />
                ))}
              </div>
            ) : (
              <Empty title={t('empty')} hint={t('emptyHint')} />
            )
          ) : error ? (
            notFound ? (
              <Empty title={t('missing')} hint={t('missingHint')}>
                <Button onClick={() => navigate(back)}>{t('back')}</Button>
              </Empty>
            ) : (
              <Empty title={t('failed')} hint={explain(error)}>
                <Button onClick={reload}>{t('retry')}</Button>
              </Empty>
            )
          ) : (
            <Spinner />
          )}
          {view && error != null && (
            <div class="error-note" role="alert" style={{ marginTop: '12px' }}>
              {explain(error)}
            </div>
          )}
        </div>
      </div>
    </div>
  );
}

/** A page a plugin enabled in a group offers. `title` reads in the current language. */
export interface PageLink {
  pluginId: string;
  /** The page's name, as in `/g/{group}/p/{plugin}/{page}`. */
  page: string;
  readonly title: string;
  readonly pluginName: string;
  titles: Localized;
}

/**
 * The pages of the plugins enabled in a group. The enabled plugins come from
 * `GET /api/v1/groups/{id}/plugins`; their pages from the manifest's `[[pages]]`, which the
 * API does not expose yet (neither `EnablementView` nor `PackageView` lists them): until it
 * does (as `pages: [{name, title: {en, zh-CN}}]` on the package), this finds none.
 */
export async function listPages(groupId: string): Promise<PageLink[]> {
  // The group's enablements carry each plugin's name and pages (absent while it cannot
  // run here), readable by everyone in the group, guests included.
  const enabled = await api.get<
    { plugin_id: string; suspended_reason: string | null; name?: Localized; pages?: { name: string; title: Localized }[] }[]
  >(`/api/v1/groups/${encodeURIComponent(groupId)}/plugins`);
  const links: PageLink[] = [];
  for (const e of enabled) {
    if (e.name) rememberPluginName(e.plugin_id, e.name);
    for (const p of e.pages ?? []) {
      links.push({
        pluginId: e.plugin_id,
        page: p.name,
        titles: p.title,
        // Getters, so a menu built once still follows a change of language.
        get title() {
          return localized(p.title) || p.name;
        },
        get pluginName() {
          return (e.name && localized(e.name)) || e.plugin_id;
        },
      });
    }
  }
  return links;
}
