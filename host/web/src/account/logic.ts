// The notification settings' pure logic: quiet hours checked the way the host checks them
// (host/src/app/notify.rs), the VAPID key decoded for `pushManager.subscribe`, and what
// the browser can do about push. No DOM, no i18n: messages come as [en, zh] pairs.

/** A message in both languages, worded as the host words the same refusal. */
export type Said = readonly [en: string, zh: string];

/** Minutes after midnight for a `HH:MM` time of day, or null (the host's `parse_clock`). */
export function parseClock(raw: string): number | null {
  const s = raw.trim();
  const m = /^(\d\d):(\d\d)$/.exec(s);
  if (!m) return null;
  const [h, min] = [Number(m[1]), Number(m[2])];
  if (h > 23 || min > 59) return null;
  return h * 60 + min;
}

/**
 * Why the host would refuse these quiet hours (its 422 `invalid_quiet_hours`, same words),
 * or null when it accepts them. An end before the start runs past midnight.
 */
export function quietHoursProblem(start: string, end: string): Said | null {
  for (const [field, value] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (parseClock(value) === null) {
      return [`${field} must be a time of day as HH:MM, e.g. 22:00`, `${field} 必须是 HH:MM 格式的时间，例如 22:00`];
    }
  }
  if (parseClock(start) === parseClock(end)) {
    return ['quiet hours must start and end at different times', '免打扰时段的开始和结束时间不能相同'];
  }
  return null;
}

/** Whether quiet hours from `start` to `end` end on the next day (22:00–07:00). */
export function endsNextDay(start: string, end: string): boolean {
  const [s, e] = [parseClock(start), parseClock(end)];
  return s !== null && e !== null && e < s;
}

/** A base64url string (padded or not) as bytes: the `applicationServerKey` browsers want. */
export function urlBase64ToUint8Array(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.trim().replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*$/.test(b64) || b64.length % 4 === 1) throw new Error('not base64url');
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The time of day now in `timeZone` as `HH:MM`, or null for a zone the browser lacks. */
export function clockIn(timeZone: string, at: Date = new Date()): string | null {
  try {
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
    const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    return `${part('hour')}:${part('minute')}`;
  } catch {
    return null;
  }
}

/** What this browser offers for Web Push, from what it exposes. */
export type PushSupport = 'insecure' | 'unsupported' | 'denied' | 'available';

export function pushSupport(env: { secure: boolean; serviceWorker: boolean; pushManager: boolean; notification: NotificationPermission | null }): PushSupport {
  // Service workers exist only in secure contexts (https, or localhost): say so rather
  // than "unsupported", which would send people looking for another browser.
  if (!env.secure) return 'insecure';
  if (!env.serviceWorker || !env.pushManager || env.notification === null) return 'unsupported';
  if (env.notification === 'denied') return 'denied';
  return 'available';
}

/**
 * Whether the page shows its own desktop notification for a message (in a background
 * tab). The host pushes direct messages and mentions by name, not `@all`: with push on in
 * this browser the service worker shows those, and the page showing them too would be a
 * duplicate.
 */
export function pageNotifies(m: { direct: boolean; mentionedByName: boolean; mentionsAll: boolean }, pushOn: boolean): boolean {
  if (!m.direct && !m.mentionedByName && !m.mentionsAll) return false;
  return !(pushOn && (m.direct || m.mentionedByName));
}
