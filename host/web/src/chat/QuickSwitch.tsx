// Keyboard: Ctrl+K (⌘K) jumps to any group by typing part of its name; Alt+↑/↓ moves
// to the previous or next group of the sidebar.

import { signal } from '@preact/signals';
import { useEffect, useState } from 'preact/hooks';
import { lang, strings } from '../i18n';
import { navigate, path } from '../router';
import type { Group } from '../types';
import { Modal } from '../ui/kit';
import { displayName, groups } from './store';

const t = strings({
  title: ['Jump to a group', '跳转到群组'],
  placeholder: ['Type a group or person’s name', '输入群组或联系人名称'],
  none: ['No group matches', '没有匹配的群组'],
});

/** Open from elsewhere too (the sidebar's "Jump to…"). */
export const quickSwitchOpen = signal(false);

function mine(): Group[] {
  return groups.value.filter((g) => g.my_role !== null && !g.archived);
}

export function QuickSwitch() {
  const open = quickSwitchOpen.value;
  const setOpen = (v: boolean) => (quickSwitchOpen.value = v);
  const [q, setQ] = useState('');
  const [selected, setSelected] = useState(0);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.shiftKey && e.key.toLowerCase() === 'f') {
        // Search messages, starting in the conversation one is looking at.
        e.preventDefault();
        const here = path.value.match(/^\/g\/([^/?]+)/)?.[1];
        navigate(here ? `/search?g=${here}` : '/search');
      } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        quickSwitchOpen.value = true;
      } else if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
        const list = sidebarOrder();
        if (!list.length) return;
        e.preventDefault();
        const current = list.findIndex((g) => path.value.startsWith(`/g/${g.id}`));
        const next = current < 0 ? 0 : (current + (e.key === 'ArrowDown' ? 1 : -1) + list.length) % list.length;
        navigate(`/g/${list[next].id}`);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  // Cleared on closing, not on opening: an effect runs after the box is on screen, and
  // clearing then would wipe what a fast typist already typed into it.
  useEffect(() => {
    if (!open) {
      setQ('');
      setSelected(0);
    }
  }, [open]);
  if (!open) return null;
  const matching = (text: string) => {
    const needle = text.trim().toLowerCase();
    return mine()
      .filter((g) => !needle || displayName(g).toLowerCase().includes(needle))
      .slice(0, 12);
  };
  const found = matching(q);
  const go = (g: Group | undefined) => {
    if (!g) return;
    setOpen(false);
    navigate(`/g/${g.id}`);
  };
  return (
    <Modal title={t('title')} onClose={() => setOpen(false)}>
      <input
        type="search"
        aria-label={t('title')}
        placeholder={t('placeholder')}
        value={q}
        onInput={(e) => {
          setQ((e.target as HTMLInputElement).value);
          setSelected(0);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') (e.preventDefault(), setSelected(Math.min(selected + 1, found.length - 1)));
          else if (e.key === 'ArrowUp') (e.preventDefault(), setSelected(Math.max(selected - 1, 0)));
          else if (e.key === 'Enter') {
            e.preventDefault();
            // Someone typing fast presses Enter before the list re-renders: match what
            // is in the box now, not the list on screen.
            const typed = (e.target as HTMLInputElement).value;
            go(typed === q ? found[selected] : matching(typed)[0]);
          }
        }}
        data-testid="quick-switch"
      />
      <div role="listbox" style={{ marginTop: '8px' }}>
        {found.length === 0 ? (
          <div class="muted small" style={{ padding: '8px' }}>
            {t('none')}
          </div>
        ) : (
          found.map((g, i) => (
            <div key={g.id} role="option" aria-selected={i === selected} class={`popup-item${i === selected ? ' selected' : ''}`} onClick={() => go(g)}>
              <span>{g.kind === 'direct' ? '●' : '#'}</span>
              <span>{displayName(g)}</span>
              <span class="spacer" />
              {g.unread_count > 0 && <span class="count quiet">{g.unread_count}</span>}
            </div>
          ))
        )}
      </div>
    </Modal>
  );
}

/** The groups in the order the sidebar shows them. */
function sidebarOrder(): Group[] {
  const rank: Record<string, number> = { department: 0, team: 1, interest: 1, announcement: 1, shared: 2, direct: 3 };
  return mine().sort((a, b) => rank[a.kind] - rank[b.kind] || displayName(a).localeCompare(displayName(b), lang.value));
}
