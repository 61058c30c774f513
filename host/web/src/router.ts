// Client-side routes over the History API; the host answers every such path with the
// client's index.html.

import { signal } from '@preact/signals';

export const path = signal(location.pathname + location.search);

export function navigate(to: string, replace = false) {
  if (to === path.value) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  path.value = to;
  window.scrollTo?.(0, 0);
}

window.addEventListener('popstate', () => {
  path.value = location.pathname + location.search;
});

/** Matches `pattern` (`/g/:id/t/:root`) against the current path; params or null. */
export function match(pattern: string, current = path.value): Record<string, string> | null {
  const [pathname] = current.split('?');
  const want = pattern.split('/').filter(Boolean);
  const got = pathname.split('/').filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return null;
  }
  return params;
}

export function queryParam(name: string): string | null {
  const q = path.value.split('?')[1];
  return q ? new URLSearchParams(q).get(name) : null;
}

/** An in-app link: plain left clicks route without reloading. */
export function onLinkClick(e: MouseEvent, to: string) {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(to);
}
