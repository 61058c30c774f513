// Web Push in this browser: subscribing through the service worker (`/sw.js`, from
// `public/`), telling the host, and keeping the two in step. A browser may be used by more
// than one person, so a subscription is remembered with whom it was made for: signing out
// ends it, and one left behind by someone else is dropped rather than re-filed.

import { signal } from '@preact/signals';
import { ApiError, api, request } from '../api';
import { navigate } from '../router';
import { pushSupport, urlBase64ToUint8Array, type PushSupport } from './logic';

const OWNER_KEY = 'courtyard.push.person';
const ENDPOINT = '/api/v1/me/push-subscriptions';

/**
 * Whether this browser receives the signed-in person's pushes (known once `syncPush` ran).
 * The page's own desktop notifications leave direct messages and mentions to the service
 * worker then, so none shows twice.
 */
export const pushOn = signal(false);

/** Why subscribing did not happen, short of a refusal by the host. */
export class PushRefused extends Error {
  constructor(
    public reason: 'denied' | 'dismissed' | 'browser',
    detail = '',
  ) {
    super(detail || reason);
  }
}

export function currentPushSupport(): PushSupport {
  return pushSupport({
    secure: window.isSecureContext,
    serviceWorker: 'serviceWorker' in navigator,
    pushManager: 'PushManager' in window,
    notification: typeof Notification === 'undefined' ? null : Notification.permission,
  });
}

function owner(): string | null {
  try {
    return localStorage.getItem(OWNER_KEY);
  } catch {
    return null;
  }
}

function setOwner(personId: string | null) {
  try {
    if (personId) localStorage.setItem(OWNER_KEY, personId);
    else localStorage.removeItem(OWNER_KEY);
  } catch {
    /* storage blocked: the subscription is then treated as nobody's on the next start */
  }
}

/** This browser's push subscription, whoever it was made for. */
async function browserSubscription(): Promise<PushSubscription | null> {
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) return null;
  const registration = await navigator.serviceWorker.getRegistration('/');
  return (await registration?.pushManager.getSubscription()) ?? null;
}

/** This browser's subscription if it was made for `personId`. */
export async function mySubscription(personId: string): Promise<PushSubscription | null> {
  const subscription = await browserSubscription();
  return subscription && owner() === personId ? subscription : null;
}

function sameBytes(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.length) return false;
  const x = new Uint8Array(a);
  return x.every((v, i) => v === b[i]);
}

/**
 * Asks for permission, registers the service worker, subscribes with the host's VAPID key
 * and sends the subscription to the host. Throws `PushRefused`, or the host's `ApiError`.
 */
export async function enablePush(personId: string, publicKey: string): Promise<void> {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new PushRefused(permission === 'denied' ? 'denied' : 'dismissed');
  const key = urlBase64ToUint8Array(publicKey);
  let registration: ServiceWorkerRegistration;
  try {
    await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    // Subscribing needs an active worker; `ready` waits for it.
    registration = await navigator.serviceWorker.ready;
  } catch (e) {
    throw new PushRefused('browser', (e as Error).message);
  }
  let subscription = await registration.pushManager.getSubscription();
  // One made with another key (the host's changed, or another person's) cannot be
  // pushed to by this host: start over.
  if (subscription && !sameBytes(subscription.options.applicationServerKey, key)) {
    await subscription.unsubscribe().catch(() => {});
    subscription = null;
  }
  if (!subscription) {
    try {
      subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    } catch (e) {
      throw new PushRefused('browser', (e as Error).message);
    }
  }
  try {
    await api.post(ENDPOINT, subscription.toJSON());
  } catch (e) {
    // A subscription the host does not know would only confuse the next visit.
    await subscription.unsubscribe().catch(() => {});
    throw e;
  }
  setOwner(personId);
  pushOn.value = true;
}

/** Stops pushes to this browser: at the host, and the browser's subscription itself. */
export async function disablePush(): Promise<void> {
  const subscription = await browserSubscription();
  setOwner(null);
  pushOn.value = false;
  if (!subscription) return;
  try {
    await request('DELETE', ENDPOINT, { endpoint: subscription.endpoint });
  } catch (e) {
    // Already gone at the host (it drops what push services report gone) is what we want.
    if (!(e instanceof ApiError && e.status === 404)) {
      await subscription.unsubscribe().catch(() => {});
      throw e;
    }
  }
  await subscription.unsubscribe().catch(() => {});
}

/**
 * At start: re-sends this browser's subscription when it is the signed-in person's (the
 * browser may have renewed it, or the host dropped it), and drops one made for someone
 * else, whose messages must not show up here.
 */
export async function syncPush(personId: string): Promise<void> {
  const subscription = await browserSubscription().catch(() => null);
  if (!subscription) {
    pushOn.value = false;
    return;
  }
  if (owner() !== personId) {
    pushOn.value = false;
    await subscription.unsubscribe().catch(() => {});
    setOwner(null);
    return;
  }
  pushOn.value = true;
  try {
    await api.post(ENDPOINT, subscription.toJSON());
  } catch (e) {
    // Refused for good (not a network hiccup): nothing will be pushed here any more.
    if (e instanceof ApiError && e.status === 422) {
      pushOn.value = false;
      await subscription.unsubscribe().catch(() => {});
      setOwner(null);
    }
  }
}

/**
 * When signing out: this browser stops receiving the person's pushes. Bounded, so a slow
 * push service never holds up signing out.
 */
export async function forgetPush(): Promise<void> {
  await Promise.race([disablePush().catch(() => {}), new Promise((ok) => setTimeout(ok, 3000))]);
}

/** Follows the service worker's "open this conversation" after a notification click. */
export function followServiceWorker(): () => void {
  if (!('serviceWorker' in navigator)) return () => {};
  const onMessage = (e: MessageEvent) => {
    const url = e.data?.type === 'courtyard.navigate' ? e.data.url : null;
    if (typeof url === 'string' && url.startsWith('/') && !url.startsWith('//')) navigate(url);
  };
  navigator.serviceWorker.addEventListener('message', onMessage);
  // Messages wait in a queue until this is called (or `onmessage` is set).
  navigator.serviceWorker.startMessages();
  return () => navigator.serviceWorker.removeEventListener('message', onMessage);
}
