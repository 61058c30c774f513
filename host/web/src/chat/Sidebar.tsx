// The sidebar: the person's groups by kind, with unread counts, and the way to the
// directory, the admin console, the language and signing out.

import { useState } from 'preact/hooks';
import { strings, lang, setLang } from '../i18n';
import { navigate, onLinkClick, path } from '../router';
import { isGuest, isOrgAdmin, me, signOut } from '../session';
import type { Group } from '../types';
import { Avatar } from '../ui/kit';
import { connection } from './realtime';
import { BrowseGroupsDialog, CreateGroupDialog } from './GroupDialogs';
import { quickSwitchOpen } from './QuickSwitch';
import { displayName, groups } from './store';

const t = strings({
  directory: ['Directory', '通讯录'],
  search: ['Search messages', '搜索消息'],
  jump: ['Jump to…', '跳转到…'],
  admin: ['Admin console', '管理后台'],
  departments: ['Departments', '部门'],
  teams: ['Teams and groups', '团队与群组'],
  shared: ['Shared with partners', '外部共享群'],
  direct: ['Direct messages', '私信'],
  signOut: ['Sign out', '退出登录'],
  switchLang: ['中文', 'English'],
  offline: ['Reconnecting…', '正在重新连接…'],
  newDm: ['New message', '发起私信'],
  newGroup: ['New group', '新建群组'],
  account: ['My account', '我的账号'],
  browse: ['Browse groups', '浏览群组'],
  unread: ['{n} unread', '{n} 条未读'],
  mentions: ['{n} mentions', '{n} 条提及'],
});

const SECTIONS: Array<[string, (g: Group) => boolean]> = [
  ['departments', (g) => g.kind === 'department'],
  ['teams', (g) => g.kind === 'team' || g.kind === 'interest' || g.kind === 'announcement'],
  ['shared', (g) => g.kind === 'shared'],
  ['direct', (g) => g.kind === 'direct'],
];

const GLYPH: Record<string, string> = { department: '▣', team: '#', interest: '☆', announcement: '📣', shared: '⇄', direct: '●' };

export function Sidebar({ onNavigate }: { onNavigate: () => void }) {
  const [dialog, setDialog] = useState<'create' | 'browse' | null>(null);
  const current = path.value;
  const mine = groups.value.filter((g) => g.my_role !== null && !g.archived);
  const go = (e: MouseEvent, to: string) => {
    onLinkClick(e, to);
    onNavigate();
  };
  const person = me.value!;
  return (
    <>
    <nav class="sidebar" aria-label="Courtyard">
      <div class="sidebar-head">
        <span class="brand-mark">院</span>
        <strong>Courtyard</strong>
      </div>
      <div class="sidebar-nav">
        <button type="button" class="nav-item" style={{ border: 0, background: 'transparent', font: 'inherit', textAlign: 'left' }} onClick={() => (quickSwitchOpen.value = true)}>
          <span class="nav-glyph">⌕</span>
          <span class="name">{t('jump')}</span>
          <kbd class="small" style={{ color: '#8996a8' }}>Ctrl K</kbd>
        </button>
        <a href="/search" class={`nav-item${current.startsWith('/search') ? ' active' : ''}`} onClick={(e) => go(e, '/search')} data-testid="search-link">
          <span class="nav-glyph">⌕</span>
          <span class="name">{t('search')}</span>
          <kbd class="small" style={{ color: '#8996a8' }}>Ctrl ⇧ F</kbd>
        </a>
        <a href="/directory" class={`nav-item${current.startsWith('/directory') ? ' active' : ''}`} onClick={(e) => go(e, '/directory')}>
          <span class="nav-glyph">☰</span>
          <span class="name">{t('directory')}</span>
        </a>
        {isOrgAdmin.value && (
          <a href="/admin" class={`nav-item${current.startsWith('/admin') ? ' active' : ''}`} onClick={(e) => go(e, '/admin')} data-testid="admin-link">
            <span class="nav-glyph">⚙</span>
            <span class="name">{t('admin')}</span>
          </a>
        )}
      </div>
      <div class="sidebar-scroll" data-testid="group-list">
        {SECTIONS.map(([key, test]) => {
          const list = mine.filter(test).sort((a, b) => displayName(a).localeCompare(displayName(b), lang.value));
          const always = key === 'direct' || (key === 'teams' && !isGuest.value);
          if (!list.length && !always) return null;
          return (
            <div class="sidebar-section" key={key}>
              <div class="sidebar-section-title">
                <span>{t(key as any)}</span>
                {key === 'teams' && !isGuest.value && (
                  <span class="row" style={{ gap: '2px' }}>
                    <button type="button" class="icon-btn" aria-label={t('browse')} title={t('browse')} onClick={() => setDialog('browse')} data-testid="browse-groups">
                      ⌕
                    </button>
                    <button type="button" class="icon-btn" aria-label={t('newGroup')} title={t('newGroup')} onClick={() => setDialog('create')} data-testid="new-group">
                      +
                    </button>
                  </span>
                )}
                {key === 'direct' && (
                  <button type="button" class="icon-btn" aria-label={t('newDm')} title={t('newDm')} onClick={() => (navigate('/directory'), onNavigate())}>
                    +
                  </button>
                )}
              </div>
              {list.map((g) => {
                const to = `/g/${g.id}`;
                const active = current === to || current.startsWith(`${to}/`);
                return (
                  <a
                    key={g.id}
                    href={to}
                    class={`nav-item${active ? ' active' : ''}${g.unread_count ? ' unread' : ''}`}
                    onClick={(e) => go(e, to)}
                    aria-current={active ? 'page' : undefined}
                    data-group-id={g.id}
                  >
                    <span class="nav-glyph">{GLYPH[g.kind] ?? '#'}</span>
                    <span class="name">{displayName(g)}</span>
                    {g.unread_mentions > 0 ? (
                      <span class="count" aria-label={t('mentions', { n: g.unread_mentions })}>
                        @{g.unread_mentions}
                      </span>
                    ) : g.unread_count > 0 ? (
                      <span class="count quiet" aria-label={t('unread', { n: g.unread_count })} data-testid="unread-count">
                        {g.unread_count > 99 ? '99+' : g.unread_count}
                      </span>
                    ) : null}
                  </a>
                );
              })}
            </div>
          );
        })}
      </div>
      <div class="sidebar-foot">
        <Avatar id={person.id} name={person.display_name} size={30} />
        <a href="/account" class="who" style={{ color: 'inherit', textDecoration: 'none' }} onClick={(e) => go(e, '/account')} title={t('account')} data-testid="account-link">
          <div style={{ color: '#fff', fontWeight: 600 }}>{person.display_name}</div>
          {connection.value !== 'online' ? <div class="conn-status">{t('offline')}</div> : <div class="small" style={{ color: '#8996a8' }}>{person.email}</div>}
        </a>
        <button type="button" class="lang-switch small" onClick={() => setLang(lang.value === 'zh-CN' ? 'en' : 'zh-CN')} data-testid="lang-switch">
          {t('switchLang')}
        </button>
        <button type="button" class="icon-btn" aria-label={t('signOut')} title={t('signOut')} onClick={() => void signOut().then(() => navigate('/login', true))} data-testid="sign-out">
          ⎋
        </button>
      </div>
    </nav>
    {dialog === 'create' && <CreateGroupDialog onClose={() => setDialog(null)} />}
    {dialog === 'browse' && <BrowseGroupsDialog onClose={() => setDialog(null)} />}
    </>
  );
}
