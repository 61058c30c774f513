// Courtyard's service worker. It exists for Web Push only: the host pushes direct messages
// and mentions as JSON `{title, body, url, tag}` (see host/src/app/push.rs) and this shows
// them when no Courtyard window is in front, then opens the conversation on a click.
//
// Plain JavaScript in `public/`, so Vite copies it to `dist/sw.js` untouched: a service
// worker must keep one stable URL (a hashed bundle name would register a new worker with
// every build), and served from the root its scope covers the whole client.
// No `fetch` handler on purpose: nothing is cached, every request goes to the network as
// if this worker were not here.

// A new version takes over at once rather than after every tab has closed: it holds no
// state, so there is nothing for an old and a new worker to disagree about.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  event.waitUntil(showPush(event.data));
});

async function showPush(data) {
  let note = {};
  try {
    note = data ? data.json() : {};
  } catch {
    // Not JSON (not from our host's current version): show the text rather than nothing.
    note = { body: data ? data.text() : '' };
  }
  // A Courtyard window in front already shows the message live (and its own desktop
  // notification covers hidden tabs of people without push): showing it here as well
  // would be a duplicate. Chrome does not insist on a notification while the site is
  // visible, so skipping is allowed under `userVisibleOnly`.
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  if (windows.some((w) => w.focused || w.visibilityState === 'visible')) return;
  const options = {
    body: note.body || '',
    data: { url: sameOriginPath(note.url) },
  };
  // One notification per conversation (the tag is the group): a newer message replaces
  // the older one, and `renotify` still sounds for it.
  if (note.tag) {
    options.tag = note.tag;
    options.renotify = true;
  }
  if (note.icon) options.icon = note.icon;
  await self.registration.showNotification(note.title || 'Courtyard', options);
}

/** The path to open: only one of this site, whatever the payload says. */
function sameOriginPath(url) {
  try {
    const u = new URL(url || '/', self.location.origin);
    if (u.origin === self.location.origin) return u.pathname + u.search + u.hash;
  } catch {
    /* fall through */
  }
  return '/';
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const path = sameOriginPath(event.notification.data && event.notification.data.url);
  event.waitUntil(openPath(path));
});

async function openPath(path) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const client = windows.find((w) => w.focused) || windows[0];
  if (client) {
    // The client routes itself with the History API: asking it to navigate keeps its
    // state (and its WebSocket) where a reload would start over. `focus()` is allowed
    // here because a notification click counts as the user's gesture.
    client.postMessage({ type: 'courtyard.navigate', url: path });
    try {
      await client.focus();
      return;
    } catch {
      /* a browser that refuses: open a window instead */
    }
  }
  await self.clients.openWindow(path);
}
