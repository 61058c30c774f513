// My account → notifications: the email digest and quiet hours (saved, kept, refused in the
// host's words), the service worker (/sw.js served and registered; a push shown only when
// no Courtyard window is in front), and push on this device.
//
// Headless Chromium has no push service: `pushManager.subscribe` rejects ("Registration
// failed - permission denied") even with the permission granted, and the page must say so.
// The path past the browser's push service is still tested for real, with only that
// service stood in for: a subscription whose endpoint is a push service in this file (the
// host runs with `push_allow_private`), so Turn on / Turn off / signing out reach the
// host, a direct message is pushed, encrypted, to that endpoint, decrypted here (RFC 8291)
// and handed to the service worker through DevTools (`ServiceWorker.deliverPushMessage`).

import assert from 'node:assert/strict';
import { createECDH, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { describe } from 'node:test';
import { Api, ApiError, gone, hasText, it, newContext, openAs, screenshot, signInContext, sleep, until, useServer, visible } from './harness.mjs';

const SETTINGS = '/api/v1/me/notifications';
/** The host refuses this (the hours must differ), and so does the page, in its words. */
const SAME_HOURS = { email_digest: false, quiet_hours: { start: '22:00', end: '22:00' } };

function b64url(bytes) {
  return Buffer.from(bytes).toString('base64url');
}

/** Refusal of `body` by the host: its `{message, message_zh}`. */
async function refusal(api, body) {
  try {
    await api.put(SETTINGS, body);
  } catch (e) {
    if (e instanceof ApiError && e.status === 422) return e.body;
    throw e;
  }
  throw new Error(`the host accepted ${JSON.stringify(body)}`);
}

/**
 * A push service: records what it is sent at `/push/…`. `aes128gcm` bodies are
 * decrypted with the browser's keys (RFC 8291), as the browser would.
 */
async function startPushService() {
  const received = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(201).end();
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}`, received, close: () => new Promise((ok) => server.close(ok)) };
}

/** A browser's push keys: the P-256 pair and the 16-byte auth secret. */
function browserKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { ecdh, p256dh: b64url(ecdh.getPublicKey()), auth: randomBytes(16) };
}

/** RFC 8291 / RFC 8188 (one record): what the push service was given, as plain text. */
function decrypt(keys, body) {
  const salt = body.subarray(0, 16);
  const idLength = body[20];
  const serverPublic = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  const secret = keys.ecdh.computeSecret(serverPublic);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), keys.ecdh.getPublicKey(), serverPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', secret, keys.auth, info, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  // The record ends with the delimiter 0x02, then zero padding.
  return padded.subarray(0, padded.lastIndexOf(2)).toString('utf8');
}

/**
 * Replaces the browser's push service in `context`: `pushManager.subscribe` hands out a
 * subscription to `endpoint` with `keys` (kept in localStorage, so it outlives reloads
 * as a real one does) and records what it was asked for. The service worker, its
 * registration, the permission and everything after are the real ones.
 */
async function standInPushService(context, endpoint, keys) {
  await context.addInitScript(
    ({ endpoint, p256dh, auth }) => {
      const STORE = 'test.push-subscription';
      const make = (key) => ({
        endpoint,
        expirationTime: null,
        options: { userVisibleOnly: true, applicationServerKey: new Uint8Array(key).buffer },
        toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
        unsubscribe: async () => {
          localStorage.removeItem(STORE);
          localStorage.setItem('test.push-unsubscribed', String(Number(localStorage.getItem('test.push-unsubscribed') ?? 0) + 1));
          return true;
        },
      });
      PushManager.prototype.subscribe = async function (options) {
        const key = Array.from(new Uint8Array(options.applicationServerKey));
        localStorage.setItem(STORE, JSON.stringify(key));
        localStorage.setItem('test.push-asked', JSON.stringify({ userVisibleOnly: options.userVisibleOnly, key }));
        return make(key);
      };
      PushManager.prototype.getSubscription = async function () {
        const key = localStorage.getItem(STORE);
        return key ? make(JSON.parse(key)) : null;
      };
    },
    { endpoint, p256dh: keys.p256dh, auth: b64url(keys.auth) },
  );
}

/** The notifications the service worker is showing: [{title, body, tag, url}]. */
function shownNotifications(page) {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return (await registration.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data?.url }));
  });
}

/** DevTools on `page`, with the id of the origin's service worker registration. */
async function serviceWorkerDevTools(context, page, origin) {
  const cdp = await context.newCDPSession(page);
  const registrations = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => registrations.push(...e.registrations));
  await cdp.send('ServiceWorker.enable');
  const id = await until(() => registrations.find((r) => !r.isDeleted && r.scopeURL === `${origin}/`)?.registrationId, 'the service worker registration in DevTools');
  return { cdp, push: (data) => cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: id, data }) };
}

describe('notifications', () => {
  const env = useServer({
    // An SMTP server is configured (digests can be turned on) but never reached: the
    // digest job does not run. Push may go to this machine: the stand-in push service.
    config: [
      'push_allow_private = true',
      '[smtp]',
      'host = "127.0.0.1"',
      'port = 9',
      'security = "none"',
      'from = "Courtyard <courtyard@example.com>"',
      'digest_interval_secs = 0',
      '',
    ].join('\n'),
    async seed(env) {
      const me = await env.admin.me();
      await env.admin.patch(`/api/v1/orgs/${me.org_id}`, { time_zone: 'Asia/Shanghai' });
      env.lin = await env.admin.createPerson(me.org_id, { email: 'lin@example.com', display_name: 'Lin Yu' });
      env.mei = await env.admin.createPerson(me.org_id, { email: 'mei@example.com', display_name: 'Han Mei' });
      env.linApi = await Api.login(env.server.url, 'lin@example.com');
      env.meiApi = await Api.login(env.server.url, 'mei@example.com');
    },
  });

  it(env, 'email digest and quiet hours: saved, kept after a reload, refused in the host’s words', async () => {
    const { page, context } = await openAs(env.browser, env.server, 'lin@example.com', '/account');
    const form = page.getByTestId('account-notifications');
    await visible(form);
    const digest = form.getByTestId('email-digest');
    assert.equal(await digest.isEnabled(), true);
    assert.equal(await digest.isChecked(), true, 'digests are on until turned off');
    assert.match(await form.getByTestId('email-digest-hint').textContent(), /lin@example\.com/);

    await digest.uncheck();
    await form.getByTestId('quiet-hours').check();
    await form.getByTestId('quiet-start').fill('22:00');
    await form.getByTestId('quiet-end').fill('07:00');
    const zone = await hasText(form.getByTestId('quiet-zone'), 'Asia/Shanghai');
    assert.match(zone, /Ends the next morning/);
    await form.getByRole('button', { name: 'Save' }).click();
    await hasText(page.locator('.toasts'), 'Notification settings saved');
    let saved = await env.linApi.get(SETTINGS);
    assert.equal(saved.email_digest, false);
    assert.deepEqual(saved.quiet_hours, { start: '22:00', end: '07:00' });
    assert.equal(saved.time_zone, 'Asia/Shanghai');
    await screenshot(page, 'notifications-settings');

    await page.reload();
    await visible(form);
    assert.equal(await form.getByTestId('email-digest').isChecked(), false);
    assert.equal(await form.getByTestId('quiet-hours').isChecked(), true);
    assert.equal(await form.getByTestId('quiet-start').inputValue(), '22:00');
    assert.equal(await form.getByTestId('quiet-end').inputValue(), '07:00');

    // The same start and end: the page refuses at once, with the host's words for it.
    const sameHours = await refusal(env.linApi, SAME_HOURS);
    await form.getByTestId('quiet-end').fill('22:00');
    await form.getByRole('button', { name: 'Save' }).click();
    await hasText(form.getByRole('alert'), sameHours.message);
    await screenshot(page, 'notifications-same-hours');

    // A refusal the page does not foresee is the host's own message, as sent. (The
    // request is changed on its way: a time input cannot hold 24:00.)
    await page.route(`**${SETTINGS}`, (route) =>
      route.request().method() === 'PUT'
        ? route.continue({ postData: JSON.stringify({ email_digest: false, quiet_hours: { start: '24:00', end: '07:00' } }) })
        : route.continue(),
    );
    await form.getByTestId('quiet-end').fill('07:00');
    await form.getByRole('button', { name: 'Save' }).click();
    await hasText(form.getByRole('alert'), 'start must be a time of day as HH:MM, e.g. 22:00');
    await page.unroute(`**${SETTINGS}`);
    saved = await env.linApi.get(SETTINGS);
    assert.deepEqual(saved.quiet_hours, { start: '22:00', end: '07:00' }, 'refusals change nothing');

    // In Chinese, the host's Chinese.
    await page.getByTestId('account-language').selectOption('zh-CN');
    await hasText(form, '免打扰时段');
    await form.getByTestId('quiet-end').fill('22:00');
    await form.getByRole('button', { name: '保存' }).click();
    await hasText(form.getByRole('alert'), sameHours.message_zh);
    await screenshot(page, 'notifications-settings-zh');
    await page.getByTestId('account-language').selectOption('en');

    // Quiet hours off again; digests back on.
    await form.getByTestId('quiet-hours').uncheck();
    await gone(form.getByTestId('quiet-start'));
    await form.getByTestId('email-digest').check();
    await form.getByRole('button', { name: 'Save' }).click();
    await until(async () => (await env.linApi.get(SETTINGS)).quiet_hours === null, 'quiet hours to be off');
    saved = await env.linApi.get(SETTINGS);
    assert.equal(saved.email_digest, true);
    await context.close();
  });

  it(env, '/sw.js is JavaScript, registers, and shows a push only when no Courtyard window is in front', async () => {
    const res = await fetch(`${env.server.url}/sw.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^(text|application)\/javascript/);
    assert.match(await res.text(), /showNotification/);

    const { page, context } = await openAs(env.browser, env.server, 'lin@example.com', '/account');
    await context.grantPermissions(['notifications']);
    const scope = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.register('/sw.js');
      await navigator.serviceWorker.ready;
      return registration.scope;
    });
    assert.equal(scope, `${env.server.url}/`);
    const devtools = await serviceWorkerDevTools(context, page, env.server.url);

    // Courtyard is in front: it shows the message itself.
    await devtools.push(JSON.stringify({ title: 'Han Mei', body: 'in front', url: '/g/x', tag: 'g-front' }));
    await sleep(500);
    assert.deepEqual(await shownNotifications(page), []);

    // No Courtyard window: the worker shows it, with the conversation to open. A URL
    // elsewhere is not followed.
    await page.goto('about:blank');
    await devtools.push(JSON.stringify({ title: 'Han Mei', body: '下午三点开会', url: '/g/abc/t/def', tag: 'g-abc' }));
    await devtools.push(JSON.stringify({ title: 'Someone', body: 'elsewhere', url: 'https://evil.example/x', tag: 'g-evil' }));
    await page.goto(`${env.server.url}/account`);
    const shown = await until(async () => {
      const list = await shownNotifications(page);
      return list.length === 2 && list;
    }, 'the two notifications');
    assert.deepEqual(
      shown.sort((a, b) => a.tag.localeCompare(b.tag)),
      [
        { title: 'Han Mei', body: '下午三点开会', tag: 'g-abc', url: '/g/abc/t/def' },
        { title: 'Someone', body: 'elsewhere', tag: 'g-evil', url: '/' },
      ],
    );

    // A click on one makes the worker ask the open page to go there (DevTools cannot click
    // a notification: the worker's message is sent here as it would arrive).
    await page.getByTestId('group-list').waitFor();
    await page.evaluate(() =>
      navigator.serviceWorker.dispatchEvent(new MessageEvent('message', { data: { type: 'courtyard.navigate', url: '/directory' } })),
    );
    await until(() => new URL(page.url()).pathname === '/directory', 'the page to open /directory');
    await context.close();
  });

  it(env, 'push on this device in headless Chromium: the page says what the browser did', async () => {
    const { page, context } = await openAs(env.browser, env.server, 'lin@example.com', '/account');
    await context.grantPermissions(['notifications']);
    await page.reload();
    const panel = page.getByTestId('account-push');
    await visible(panel);
    await hasText(panel.getByTestId('push-state'), 'Off for this browser');
    await panel.getByTestId('push-toggle').click();
    // Whichever the browser does: subscribed (and the host told), or a clear refusal.
    const outcome = await until(async () => {
      if (await panel.getByRole('alert').isVisible()) return 'refused';
      if ((await panel.getByTestId('push-state').textContent()).includes('On for this browser')) return 'subscribed';
      return null;
    }, 'push to be turned on or refused');
    await screenshot(page, 'notifications-push-headless');
    if (outcome === 'refused') {
      const said = await panel.getByRole('alert').textContent();
      assert.match(said, /This browser could not subscribe to its push service/);
      process.stderr.write(`headless Chromium refused to subscribe: ${said}\n`);
      assert.equal((await env.linApi.get(SETTINGS)).push_subscriptions, 0);
      assert.equal(await panel.getByTestId('push-toggle').textContent(), 'Turn on');
    } else {
      process.stderr.write('this Chromium subscribed to its push service\n');
      assert.equal((await env.linApi.get(SETTINGS)).push_subscriptions, 1);
      await panel.getByTestId('push-toggle').click();
      await until(async () => (await env.linApi.get(SETTINGS)).push_subscriptions === 0, 'the host to forget the browser');
    }
    await context.close();
  });

  it(env, 'push on, a direct message pushed and shown, off, and signing out ends it (push service stood in for)', async () => {
    const service = await startPushService();
    try {
      await env.linApi.put(SETTINGS, { email_digest: true, quiet_hours: null });
      const keys = browserKeys();
      const context = await newContext(env.browser, env.server);
      await context.grantPermissions(['notifications']);
      await standInPushService(context, `${service.url}/push/lin-browser`, keys);
      await signInContext(context, 'lin@example.com');
      const page = await context.newPage();
      await page.goto('/account');
      const panel = page.getByTestId('account-push');
      await hasText(panel.getByTestId('push-state'), 'Off for this browser');

      await panel.getByRole('button', { name: 'Turn on' }).click();
      await hasText(page.locator('.toasts'), 'Push notifications are on for this browser');
      await hasText(panel.getByTestId('push-state'), 'On for this browser');
      await hasText(panel.getByTestId('push-state'), 'Your browsers receiving push notifications: 1');
      const settings = await env.linApi.get(SETTINGS);
      assert.equal(settings.push_subscriptions, 1);
      const asked = JSON.parse(await page.evaluate(() => localStorage.getItem('test.push-asked')));
      assert.equal(asked.userVisibleOnly, true);
      assert.deepEqual(asked.key, [...Buffer.from(settings.push_public_key, 'base64url')], 'subscribed with the host’s VAPID key');
      assert.equal(await page.evaluate(() => navigator.serviceWorker.getRegistration('/').then((r) => r?.active?.scriptURL)), `${env.server.url}/sw.js`);
      await screenshot(page, 'notifications-push-on');

      // Still on after a reload (the page asks the browser, not its memory).
      await page.reload();
      await hasText(panel.getByTestId('push-state'), 'On for this browser');

      // Mei writes to Lin: the host pushes to the endpoint, encrypted for this browser.
      const dm = await env.meiApi.post('/api/v1/direct', { person_ids: [env.lin.id] });
      await env.meiApi.postMessage(dm.id, 'Lunch at noon? 中午一起吃饭？');
      const delivery = await until(() => service.received.find((r) => r.path === '/push/lin-browser'), 'the host to push to the browser’s endpoint');
      assert.equal(delivery.headers['content-encoding'], 'aes128gcm');
      assert.match(delivery.headers.authorization, new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${settings.push_public_key}$`));
      const payload = JSON.parse(decrypt(keys, delivery.body));
      assert.deepEqual(payload, { title: 'Han Mei', body: 'Lunch at noon? 中午一起吃饭？', url: `/g/${dm.id}`, tag: dm.id });

      // The browser hands it to the service worker: with no Courtyard window, it shows.
      const devtools = await serviceWorkerDevTools(context, page, env.server.url);
      await page.goto('about:blank');
      await devtools.push(decrypt(keys, delivery.body));
      await page.goto('/account');
      const shown = await until(async () => (await shownNotifications(page)).find((n) => n.tag === dm.id), 'the pushed notification');
      assert.deepEqual(shown, { title: 'Han Mei', body: 'Lunch at noon? 中午一起吃饭？', tag: dm.id, url: `/g/${dm.id}` });

      await panel.getByRole('button', { name: 'Turn off' }).click();
      await hasText(page.locator('.toasts'), 'Push notifications are off for this browser');
      await hasText(panel.getByTestId('push-state'), 'Off for this browser');
      assert.equal((await env.linApi.get(SETTINGS)).push_subscriptions, 0);
      assert.equal(await page.evaluate(() => localStorage.getItem('test.push-unsubscribed')), '1');

      // On again, then signing out: the host forgets this browser for Lin.
      await panel.getByRole('button', { name: 'Turn on' }).click();
      await until(async () => (await env.linApi.get(SETTINGS)).push_subscriptions === 1, 'push on again');
      await page.getByTestId('sign-out').click();
      await until(async () => (await env.linApi.get(SETTINGS)).push_subscriptions === 0, 'signing out to end push here');
      await until(async () => (await page.evaluate(() => localStorage.getItem('test.push-unsubscribed'))) === '2', 'the browser’s subscription to end');
      await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
      await context.close();
    } finally {
      await service.close();
    }
  });

  it(env, 'a subscription someone else left in this browser is dropped, not taken over', async () => {
    const service = await startPushService();
    try {
      const context = await newContext(env.browser, env.server);
      await context.grantPermissions(['notifications']);
      await standInPushService(context, `${service.url}/push/shared-browser`, browserKeys());
      await signInContext(context, 'lin@example.com');
      const page = await context.newPage();
      await page.goto('/account');
      await page.getByTestId('account-push').getByRole('button', { name: 'Turn on' }).click();
      await until(async () => (await env.linApi.get(SETTINGS)).push_subscriptions === 1, 'Lin’s push on');
      // Lin's session ends without signing out (cookies cleared); Mei signs in here.
      await context.clearCookies();
      await signInContext(context, 'mei@example.com');
      await page.goto('/account');
      await hasText(page.getByTestId('account-push').getByTestId('push-state'), 'Off for this browser');
      await until(async () => (await page.evaluate(() => localStorage.getItem('test.push-unsubscribed'))) === '1', 'the browser to drop Lin’s subscription');
      assert.equal((await env.meiApi.get(SETTINGS)).push_subscriptions, 0, 'Mei was not subscribed in Lin’s place');
      await context.close();
    } finally {
      await service.close();
    }
  });
});

describe('notifications without email', () => {
  const env = useServer({
    async seed(env) {
      const me = await env.admin.me();
      await env.admin.createPerson(me.org_id, { email: 'kai@example.com', display_name: 'Kai Sun' });
    },
  });

  it(env, 'with no SMTP server the digest cannot be turned on, and the page says why', async () => {
    const { page, context } = await openAs(env.browser, env.server, 'kai@example.com', '/account');
    const form = page.getByTestId('account-notifications');
    await visible(form);
    assert.equal(await form.getByTestId('email-digest').isDisabled(), true);
    assert.equal(await form.getByTestId('email-digest').isChecked(), false);
    await hasText(form.getByTestId('email-digest-hint'), 'This server is not set up to send email');
    await form.scrollIntoViewIfNeeded();
    await screenshot(page, 'notifications-no-email');
    // Quiet hours still save (they apply to push too).
    await form.getByTestId('quiet-hours').check();
    await form.getByRole('button', { name: 'Save' }).click();
    await hasText(page.locator('.toasts'), 'Notification settings saved');
    await context.close();
  });
});
