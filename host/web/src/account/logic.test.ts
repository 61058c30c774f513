import { describe, expect, it } from 'vitest';
import { clockIn, endsNextDay, pageNotifies, parseClock, pushSupport, quietHoursProblem, urlBase64ToUint8Array } from './logic';

describe('quiet hours, checked as the host checks them', () => {
  it('reads HH:MM times of day', () => {
    expect(parseClock('00:00')).toBe(0);
    expect(parseClock('07:30')).toBe(450);
    expect(parseClock(' 22:00 ')).toBe(1320);
    expect(parseClock('23:59')).toBe(1439);
    for (const bad of ['', '7:00', '24:00', '12:60', '12:5', '12-00', 'ab:cd', '12:00:00', '1200']) {
      expect(parseClock(bad), bad).toBeNull();
    }
  });

  it('accepts a window across midnight and one inside a day', () => {
    expect(quietHoursProblem('22:00', '07:00')).toBeNull();
    expect(quietHoursProblem('12:00', '13:30')).toBeNull();
  });

  it('refuses what the host refuses, in its words', () => {
    expect(quietHoursProblem('25:00', '07:00')).toEqual(['start must be a time of day as HH:MM, e.g. 22:00', 'start 必须是 HH:MM 格式的时间，例如 22:00']);
    expect(quietHoursProblem('22:00', '')?.[0]).toBe('end must be a time of day as HH:MM, e.g. 22:00');
    expect(quietHoursProblem('09:00', '09:00')).toEqual(['quiet hours must start and end at different times', '免打扰时段的开始和结束时间不能相同']);
  });

  it('knows when the window ends the next morning', () => {
    expect(endsNextDay('22:00', '07:00')).toBe(true);
    expect(endsNextDay('12:00', '13:00')).toBe(false);
    expect(endsNextDay('x', '07:00')).toBe(false);
  });

  it('tells the time in the organization’s zone', () => {
    const at = new Date(Date.UTC(2025, 0, 15, 23, 5));
    expect(clockIn('UTC', at)).toBe('23:05');
    expect(clockIn('Asia/Shanghai', at)).toBe('07:05');
    expect(clockIn('Not/A_Zone', at)).toBeNull();
  });
});

describe('the VAPID key for pushManager.subscribe', () => {
  it('decodes base64url, with or without padding', () => {
    expect([...urlBase64ToUint8Array('AQID')]).toEqual([1, 2, 3]);
    expect([...urlBase64ToUint8Array('-_8')]).toEqual([0xfb, 0xff]);
    expect([...urlBase64ToUint8Array('-_8=')]).toEqual([0xfb, 0xff]);
    expect(urlBase64ToUint8Array('')).toHaveLength(0);
  });

  it('gives the 65-byte uncompressed P-256 point the host sends', () => {
    const key = 'BOBLX6KpXDOWTQcXk57OKp5u0JW6koFdyfcO23qbkyBiZidbdO1RrBJvH9NUFpn1l6WIlxVJg4SF2cKulemIKHs';
    const bytes = urlBase64ToUint8Array(key);
    expect(bytes).toHaveLength(65);
    expect(bytes[0]).toBe(4);
  });

  it('refuses what is not base64url', () => {
    expect(() => urlBase64ToUint8Array('a b')).toThrow();
    expect(() => urlBase64ToUint8Array('abcde')).toThrow();
  });
});

describe('what the browser offers for push', () => {
  const full = { secure: true, serviceWorker: true, pushManager: true, notification: 'default' as NotificationPermission };
  it('is available with service workers, PushManager and notifications', () => {
    expect(pushSupport(full)).toBe('available');
    expect(pushSupport({ ...full, notification: 'granted' })).toBe('available');
  });
  it('names a plain-http page rather than blaming the browser', () => {
    expect(pushSupport({ ...full, secure: false, serviceWorker: false })).toBe('insecure');
  });
  it('is unsupported without any of the three', () => {
    expect(pushSupport({ ...full, pushManager: false })).toBe('unsupported');
    expect(pushSupport({ ...full, serviceWorker: false })).toBe('unsupported');
    expect(pushSupport({ ...full, notification: null })).toBe('unsupported');
  });
  it('is denied when the site’s notifications are blocked', () => {
    expect(pushSupport({ ...full, notification: 'denied' })).toBe('denied');
  });
});

describe('the page’s desktop notifications beside push', () => {
  const none = { direct: false, mentionedByName: false, mentionsAll: false };
  it('shows direct messages and mentions without push', () => {
    expect(pageNotifies({ ...none, direct: true }, false)).toBe(true);
    expect(pageNotifies({ ...none, mentionedByName: true }, false)).toBe(true);
    expect(pageNotifies({ ...none, mentionsAll: true }, false)).toBe(true);
    expect(pageNotifies(none, false)).toBe(false);
  });
  it('leaves what the host pushes to the service worker, and keeps @all', () => {
    expect(pageNotifies({ ...none, direct: true }, true)).toBe(false);
    expect(pageNotifies({ ...none, mentionedByName: true, mentionsAll: true }, true)).toBe(false);
    expect(pageNotifies({ ...none, mentionsAll: true }, true)).toBe(true);
  });
});
