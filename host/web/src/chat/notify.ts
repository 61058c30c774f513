// Desktop notifications for direct messages and mentions while the tab is in the
// background — the browser's own Notification API; nothing leaves the page. With Web Push
// on in this browser (account/push.ts) the service worker shows those instead, whenever
// no Courtyard window is in front, so they are left to it here.

import { signal } from '@preact/signals';
import { strings } from '../i18n';
import { navigate } from '../router';
import { pageNotifies } from '../account/logic';
import { followServiceWorker, pushOn, syncPush } from '../account/push';
import { me } from '../session';
import type { Message, ServerEvent } from '../types';
import { onEvent } from './realtime';
import { displayName, groupById } from './store';

const KEY = 'courtyard.notifications';
const t = strings({
  mentioned: ['{who} mentioned you in {group}', '{who} 在「{group}」中提到了你'],
  direct: ['{who}', '{who}'],
  someone: ['Someone', '某人'],
});

function stored(): boolean {
  try {
    return localStorage.getItem(KEY) === 'on';
  } catch {
    return false;
  }
}

export const notificationsWanted = signal(stored());

export function setNotificationsWanted(on: boolean) {
  notificationsWanted.value = on;
  try {
    localStorage.setItem(KEY, on ? 'on' : 'off');
  } catch {
    /* ignore */
  }
}

/** The message as plain text, for a notification's body. */
export function plainText(m: Message): string {
  return m.segments
    .map((s) => {
      switch (s.type) {
        case 'text':
          return s.text;
        case 'link':
          return s.text ?? s.url;
        case 'code':
        case 'code_block':
          return s.code;
        case 'mention_all':
          return '@all';
        case 'mention':
          return s.person_id === me.value?.id ? `@${me.value?.display_name}` : '@…';
        default:
          return '';
      }
    })
    .join('')
    .slice(0, 200);
}

/** Starts listening; returns the function that stops. */
export function startNotifications(): () => void {
  const person = me.value?.id;
  if (person) void syncPush(person);
  const stopFollowing = followServiceWorker();
  const stopListening = onEvent((e: ServerEvent) => {
    if (e.type !== 'message.created' || !notificationsWanted.value) return;
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    if (!document.hidden) return;
    const m = e.data as Message;
    const mine = me.value?.id;
    if (!m || !mine || m.author?.id === mine) return;
    const group = groupById(m.group_id);
    if (!group) return;
    const seen = { direct: group.kind === 'direct', mentionedByName: m.mentions.includes(mine), mentionsAll: m.mentions_all };
    if (!pageNotifies(seen, pushOn.value)) return;
    const who = m.author?.display_name ?? t('someone');
    const title = group.kind === 'direct' ? t('direct', { who }) : t('mentioned', { who, group: displayName(group) });
    // Tagged by conversation like the service worker's pushes: one notification per
    // conversation, the newest message replacing the one before (and still heard).
    // (`renotify` is missing from TypeScript's DOM types, not from browsers.)
    const options = { body: plainText(m), tag: m.group_id, renotify: true };
    const n = new Notification(title, options);
    n.onclick = () => {
      window.focus();
      navigate(`/g/${m.group_id}`);
      n.close();
    };
  });
  return () => {
    stopListening();
    stopFollowing();
  };
}
