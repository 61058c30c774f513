// Single sign-on against a real OpenID Connect provider (tests/oidc-provider, the npm
// `oidc-provider`): the platform admin sets it up in the admin console (a provider that
// cannot be reached is refused there first); Alice signs in from the sign-in page through
// the provider's login page and lands where she was going; Bob, known to the provider but
// not to Courtyard (no accounts made on first sign-in), is sent back to the sign-in page
// with the reason in his language; "single sign-on only" turns Alice's password away with
// a pointer to the SSO button; removing single sign-on opens passwords again.
//
// The provider's node_modules come from `cargo xtask test-tools`. Without them this file
// fails, unless COURTYARD_TEST_SKIP_EXTERNAL=1 (then it is skipped with a notice).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD, Api, PASSWORD, gone, hasText, it, newContext, openAs, screenshot, until, useServer, visible } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const PROVIDER_DIR = resolve(here, '../../../tests/oidc-provider');
const CLIENT_ID = 'courtyard-web';
const CLIENT_SECRET = 'provider-issued-secret';

const installed = existsSync(join(PROVIDER_DIR, 'node_modules/oidc-provider'));
const optOut = process.env.COURTYARD_TEST_SKIP_EXTERNAL === '1';
const MISSING = `the test OpenID Connect provider is not installed (no ${join(PROVIDER_DIR, 'node_modules/oidc-provider')}): run \`cargo xtask test-tools\`, or set COURTYARD_TEST_SKIP_EXTERNAL=1 to skip this file`;

/** Starts tests/oidc-provider; resolves once it prints `LISTENING <issuer>`. */
function startProvider({ clients, accounts }) {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['server.mjs'], {
      cwd: PROVIDER_DIR,
      env: { ...process.env, PORT: '0', CLIENTS: JSON.stringify(clients), ACCOUNTS: JSON.stringify(accounts) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`the OpenID Connect provider did not start within 20 s:\n${log}`));
    }, 20_000);
    child.stderr.on('data', (d) => (log += d));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^LISTENING (\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        ok({
          issuer: m[1],
          log: () => log,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 3000).unref();
            }),
        });
      }
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`the OpenID Connect provider exited (${code ?? signal}) before listening:\n${log}`));
    });
    process.on('exit', () => child.kill('SIGKILL'));
  });
}

/** At the provider's login page: signs in as `email` (the provider then sends the browser back). */
async function signInAtProvider(page, provider, email) {
  await until(() => page.url().startsWith(`${provider.issuer}/interaction/`), 'the provider’s login page');
  const login = page.locator('input[name="login"]');
  await visible(login);
  await login.fill(email);
  return login;
}

if (!installed && optOut) {
  process.stderr.write(`COURTYARD_TEST_SKIP_EXTERNAL=1: skipping browser/sso.test.mjs (${MISSING})\n`);
  test('single sign-on (skipped: the test OpenID Connect provider is not installed)', { skip: 'COURTYARD_TEST_SKIP_EXTERNAL=1' }, () => {});
} else if (!installed) {
  test('the test OpenID Connect provider is installed', () => {
    throw new Error(MISSING);
  });
} else {
  describe('single sign-on', () => {
    let provider = null;
    const env = useServer({
      async seed(env) {
        provider = await startProvider({
          clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [`${env.server.url}/api/v1/auth/sso/callback`] }],
          accounts: [
            { sub: 'alice-1', email: 'alice@acme.test', email_verified: true, name: 'Alice at the provider' },
            { sub: 'bob-1', email: 'bob@acme.test', email_verified: true, name: 'Bob Li' },
          ],
        });
        env.provider = provider;
        env.org = await env.admin.createOrg('Acme Trading');
        env.alice = await env.admin.createPerson(env.org.id, { email: 'alice@acme.test', display_name: 'Alice Chen' });
        // Her own team, so the shell she lands in has something of hers in it.
        env.team = await (await Api.login(env.server.url, 'alice@acme.test')).createTeam('Trading desk');
      },
    });
    after(async () => {
      if (env.failed && provider) process.stderr.write(`\n----- oidc-provider log -----\n${provider.log().slice(-10000)}\n----- end -----\n`);
      await provider?.stop();
    });

    it(env, 'the platform admin sets up single sign-on in the admin console', async () => {
      const { page, context } = await openAs(env.browser, env.server, 'admin@example.com', '/admin', { password: ADMIN_PASSWORD });
      await page.getByTestId('admin-org-picker').selectOption(env.org.id);
      await page.getByTestId('admin-tab-sso').click();
      const form = page.getByTestId('sso-settings');
      await visible(form);
      await hasText(page.getByTestId('sso-status'), 'Not set up');
      // The redirect URI to register is there before anything is saved.
      await hasText(page.getByTestId('sso-redirect-uri'), `${env.server.url}/api/v1/auth/sso/callback`);
      await screenshot(page, 'sso-admin-empty');

      // Saving with nothing typed points at the fields that are needed.
      await page.getByTestId('sso-save').click();
      await hasText(form, 'Required');

      // A provider that cannot be reached is refused by the host, and the form says why.
      await page.getByTestId('sso-issuer').fill('http://127.0.0.1:9');
      await page.getByTestId('sso-client-id').fill(CLIENT_ID);
      await page.getByTestId('sso-client-secret').fill(CLIENT_SECRET);
      await page.getByTestId('sso-domains').fill('acme.test, @ACME.test\nacme.example.cn');
      await page.getByTestId('sso-save').click();
      await hasText(form.getByRole('alert'), 'could not be reached');
      await screenshot(page, 'sso-admin-unreachable');

      await page.getByTestId('sso-issuer').fill(env.provider.issuer);
      await page.getByTestId('sso-save').click();
      await hasText(page.getByTestId('sso-status'), 'Set up');
      await hasText(page.getByTestId('sso-redirect-uri'), `${env.server.url}/api/v1/auth/sso/callback`);
      // The stored secret is not shown; the field says it is kept.
      assert.equal(await page.getByTestId('sso-client-secret').inputValue(), '');
      assert.equal(await page.getByTestId('sso-client-secret').getAttribute('placeholder'), 'Unchanged');
      assert.equal(await page.getByTestId('sso-domains').inputValue(), 'acme.example.cn, acme.test');
      assert.equal(await page.getByTestId('sso-auto-provision').isChecked(), false);
      await visible(page.getByTestId('sso-remove'));
      await screenshot(page, 'sso-admin-saved');

      const saved = await env.admin.get(`/api/v1/orgs/${env.org.id}/sso`);
      assert.equal(saved.issuer, env.provider.issuer);
      assert.equal(saved.client_id, CLIENT_ID);
      assert.equal(saved.has_client_secret, true);
      assert.deepEqual(saved.domains, ['acme.example.cn', 'acme.test']);
      assert.equal(saved.auto_provision, false);
      assert.equal(saved.sso_only, false);
      assert.equal(saved.redirect_uri, `${env.server.url}/api/v1/auth/sso/callback`);

      // The audit log has it in words, with the domains.
      await page.getByTestId('admin-tab-audit').click();
      await hasText(page.locator('.admin-page'), 'Set up single sign-on');
      await hasText(page.locator('.admin-page'), 'acme.example.cn, acme.test');
      await screenshot(page, 'sso-admin-audit');
      await context.close();
    });

    it(env, 'Alice signs in through the provider and lands where she was going', async () => {
      const context = await newContext(env.browser, env.server);
      const page = await context.newPage();
      await page.goto('/directory');
      const form = page.getByTestId('sign-in');
      await visible(form);
      const sso = form.getByTestId('sso-sign-in');
      await hasText(sso, 'Sign in with single sign-on');

      // Without an email the page asks for one; a domain without single sign-on says so.
      await sso.click();
      await hasText(form.getByTestId('sso-note'), 'Enter your work email');
      await form.getByLabel('Email').fill('carol@elsewhere.test');
      await sso.click();
      await hasText(form.getByTestId('sso-note'), 'Single sign-on is not set up for elsewhere.test');
      await screenshot(page, 'sso-sign-in-not-set-up');

      await form.getByLabel('Email').fill('alice@acme.test');
      await sso.click();
      await signInAtProvider(page, env.provider, 'alice@acme.test');
      await screenshot(page, 'sso-provider-login');
      await page.getByRole('button', { name: 'Sign in' }).click();

      // Back in Courtyard, signed in as Alice, on the page she opened.
      await visible(page.getByTestId('group-list'));
      await hasText(page.getByTestId('account-link'), 'Alice Chen');
      await hasText(page.getByTestId('group-list'), 'Trading desk');
      assert.equal(new URL(page.url()).origin, env.server.url);
      assert.equal(new URL(page.url()).pathname, '/directory');
      await screenshot(page, 'sso-signed-in');
      const session = await (await context.request.get('/api/v1/auth/session')).json();
      assert.equal(session.person.id, env.alice.id);
      await context.close();
    });

    it(env, 'someone the provider knows but Courtyard does not comes back to the sign-in page, told why in Chinese', async () => {
      const context = await newContext(env.browser, env.server, { locale: 'zh-CN' });
      const page = await context.newPage();
      await page.goto('/');
      const form = page.getByTestId('sign-in');
      await visible(form);
      await form.getByLabel('邮箱').fill('bob@acme.test');
      await form.getByRole('button', { name: '使用单点登录' }).click();
      await signInAtProvider(page, env.provider, 'bob@acme.test');
      await page.getByRole('button', { name: 'Sign in' }).click();

      const note = page.getByTestId('sso-error');
      await visible(note);
      assert.equal(await note.getAttribute('data-code'), 'sso_no_account');
      await hasText(note, '你在该组织中还没有 Courtyard 账号，请联系管理员添加。');
      // The code is taken out of the address once shown.
      await until(() => new URL(page.url()).search === '', 'the address without ?sso_error');
      assert.equal(new URL(page.url()).pathname, '/login');
      await screenshot(page, 'sso-no-account-zh');
      // The language switch re-words it.
      await page.getByTestId('lang-switch').click();
      await hasText(note, 'You have no Courtyard account in this organization yet');
      const res = await context.request.get('/api/v1/auth/session');
      assert.equal(res.status(), 401);
      await context.close();
    });

    it(env, 'an unknown error code gets a general message', async () => {
      const context = await newContext(env.browser, env.server);
      const page = await context.newPage();
      await page.goto('/login?sso_error=something_new');
      const note = page.getByTestId('sso-error');
      await hasText(note, 'Single sign-on did not work');
      await until(() => new URL(page.url()).search === '', 'the address without ?sso_error');
      await context.close();
    });

    it(env, '“single sign-on only” turns passwords away and points at the SSO button; removing it opens them again', async () => {
      const admin = await openAs(env.browser, env.server, 'admin@example.com', '/admin/sso', { password: ADMIN_PASSWORD });
      await admin.page.getByTestId('admin-org-picker').selectOption(env.org.id);
      await visible(admin.page.getByTestId('sso-remove'));
      await admin.page.getByTestId('sso-only').check();
      await visible(admin.page.getByTestId('sso-only-warning'));
      await admin.page.getByTestId('sso-save').click();
      await visible(admin.page.getByTestId('confirm-dialog'));
      await screenshot(admin.page, 'sso-admin-only-confirm');
      await admin.page.getByTestId('confirm-ok').click();
      await until(async () => (await env.admin.get(`/api/v1/orgs/${env.org.id}/sso`)).sso_only, 'SSO only saved');
      // The client secret was kept (not sent again).
      assert.equal((await env.admin.get(`/api/v1/orgs/${env.org.id}/sso`)).has_client_secret, true);

      const context = await newContext(env.browser, env.server);
      const page = await context.newPage();
      await page.goto('/');
      const form = page.getByTestId('sign-in');
      await form.getByLabel('Email').fill('alice@acme.test');
      await form.getByLabel('Password').fill(PASSWORD);
      await form.getByRole('button', { name: 'Sign in', exact: true }).click();
      await hasText(form.getByTestId('sso-required'), 'signs in with single sign-on only');
      await screenshot(page, 'sso-required');
      await form.getByTestId('sso-sign-in').click();
      await signInAtProvider(page, env.provider, 'alice@acme.test');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await hasText(page.getByTestId('account-link'), 'Alice Chen');
      await context.close();

      // Removing single sign-on (after a confirmation) opens password sign-in again.
      await admin.page.getByTestId('sso-remove').click();
      await visible(admin.page.getByTestId('confirm-dialog'));
      await admin.page.getByTestId('confirm-ok').click();
      await hasText(admin.page.getByTestId('sso-status'), 'Not set up');
      await gone(admin.page.getByTestId('sso-remove'));
      await screenshot(admin.page, 'sso-admin-removed');
      await admin.context.close();
      const again = await newContext(env.browser, env.server);
      const res = await again.request.post('/api/v1/auth/login', { data: { email: 'alice@acme.test', password: PASSWORD } });
      assert.equal(res.status(), 200);
      await again.close();
    });
  });
}
