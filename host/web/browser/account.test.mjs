// A person's own account page: profile, password, personal access tokens.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { PASSWORD, hasText, it, openAs, screenshot, until, useServer, visible } from './harness.mjs';

describe('my account', () => {
  const env = useServer({
    async seed(env) {
      const me = await env.admin.me();
      await env.admin.createPerson(me.org_id, { email: 'kai@example.com', display_name: 'Kai Sun' });
    },
  });

  it(env, 'the profile, a personal token that works until revoked, and a new password', async () => {
    const { page, context } = await openAs(env.browser, env.server, 'kai@example.com');
    page.on('dialog', (d) => d.accept());
    await page.getByTestId('account-link').click();
    const profile = page.getByTestId('account-profile');
    await visible(profile);
    await profile.getByLabel('Display name').fill('Kai Sun (孙凯)');
    await profile.getByLabel('Title').fill('Buyer');
    await profile.getByRole('button', { name: 'Save' }).click();
    await hasText(page.getByTestId('account-link'), 'Kai Sun (孙凯)');

    const tokens = page.getByTestId('account-tokens');
    await tokens.getByLabel('Token name').fill('nightly report');
    await tokens.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByTestId('new-token').locator('code');
    await visible(shown);
    const token = (await shown.textContent()).trim();
    await screenshot(page, 'account');
    const me = (t) => fetch(`${env.server.url}/api/v1/me`, { headers: { authorization: `Bearer ${t}` } });
    const res = await me(token);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).title, 'Buyer');
    await tokens.getByRole('row', { name: /nightly report/ }).getByRole('button', { name: 'Revoke' }).click();
    await until(async () => (await me(token)).status === 401, 'the revoked token to stop working');

    const password = page.getByTestId('account-password');
    await password.getByLabel('Current password').fill(PASSWORD);
    await password.locator('input[name=new_password]').fill('a brand new passphrase');
    await password.getByLabel('New password again').fill('a brand new passphrase');
    await password.getByRole('button', { name: 'Change password' }).click();
    await hasText(page.locator('.toasts'), 'Password changed');
    const login = (pw) =>
      fetch(`${env.server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'kai@example.com', password: pw }),
      });
    assert.equal((await login(PASSWORD)).status, 401);
    assert.equal((await login('a brand new passphrase')).status, 200);
    await context.close();
  });
});
