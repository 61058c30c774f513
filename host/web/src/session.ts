// Who is signed in. The session token lives in an HttpOnly cookie the script never sees;
// the CSRF token it must echo comes from the sign-in answer or `GET /api/v1/auth/session`.

import { computed, signal } from '@preact/signals';
import { forgetPush } from './account/push';
import { api, setCsrf, whenSignedOut } from './api';
import type { Person, Session } from './types';

/** `undefined` while the first check runs, `null` when signed out. */
export const session = signal<Session | null | undefined>(undefined);

export const me = computed(() => session.value?.person ?? null);

export const isPlatformAdmin = computed(() => me.value?.role === 'platform_admin');
export const isOrgAdmin = computed(() => me.value?.role === 'org_admin' || me.value?.role === 'platform_admin');
export const isGuest = computed(() => me.value?.role === 'guest');

export async function restoreSession(): Promise<void> {
  try {
    const s = await api.get<Session>('/api/v1/auth/session');
    setCsrf(s.csrf_token);
    session.value = s;
  } catch {
    setCsrf(null);
    session.value = null;
  }
}

export async function signIn(email: string, password: string): Promise<void> {
  const s = await api.post<Session & { token: string }>('/api/v1/auth/login', { email, password });
  setCsrf(s.csrf_token);
  session.value = { csrf_token: s.csrf_token, kind: 'session', person: s.person };
}

export async function signOut(): Promise<void> {
  try {
    // While still signed in (the host forgets the subscription for this person only):
    // the next person at this browser must not get the last one's messages.
    await forgetPush();
    await api.post('/api/v1/auth/logout');
  } finally {
    setCsrf(null);
    session.value = null;
  }
}

export function updateMe(person: Person) {
  if (session.value) session.value = { ...session.value, person };
}

whenSignedOut(() => {
  if (session.value) {
    setCsrf(null);
    session.value = null;
  }
});
