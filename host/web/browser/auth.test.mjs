// Signing in and out, and first-run setup with the token the server prints.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  ADMIN_PASSWORD,
  PASSWORD,
  gone,
  hasText,
  it,
  newContext,
  screenshot,
  setupToken,
  until,
  useServer,
  visible,
} from './harness.mjs';

describe('sign-in', () => {
  const env = useServer({
    async seed(env) {
      const me = await env.admin.me();
      const mei = await env.admin.createPerson(me.org_id, { email: 'mei@example.com', display_name: 'Mei Wong', title: 'Designer' });
      env.team = await env.admin.createTeam('General', [mei.id]);
    },
  });

  it(env, 'a wrong password shows an error; the right one shows the shell with the group list', async () => {
    const context = await newContext(env.browser, env.server);
    const page = await context.newPage();
    await page.goto('/');
    const form = page.getByTestId('sign-in');
    await visible(form);
    await screenshot(page, 'sign-in');

    await form.getByLabel('Email').fill('mei@example.com');
    await form.getByLabel('Password').fill('not the password');
    await form.getByRole('button', { name: 'Sign in', exact: true }).click();
    await hasText(form.getByRole('alert'), 'Email or password is wrong.');
    await screenshot(page, 'sign-in-error');

    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Sign in', exact: true }).click();
    const list = page.getByTestId('group-list');
    await visible(list);
    await gone(page.getByTestId('sign-in'));
    await hasText(list, 'General');
    // The home page opens the person's first group.
    await hasText(page.getByTestId('group-title'), 'General');
    assert.match(page.url(), new RegExp(`/g/${env.team.id}$`));

    // A reload keeps the session (the cookie), and the shell comes straight back.
    await page.reload();
    await visible(page.getByTestId('group-list'));
    await hasText(page.getByTestId('group-title'), 'General');
    await context.close();
  });

  it(env, 'signing out returns to the sign-in form, also after a reload', async () => {
    const context = await newContext(env.browser, env.server);
    const page = await context.newPage();
    await page.goto('/');
    const form = page.getByTestId('sign-in');
    await form.getByLabel('Email').fill('mei@example.com');
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByLabel('Password').press('Enter');
    await visible(page.getByTestId('group-list'));

    await page.getByTestId('sign-out').click();
    await visible(page.getByTestId('sign-in'));
    await gone(page.getByTestId('group-list'));
    await page.reload();
    await visible(page.getByTestId('sign-in'));
    // The old session is gone on the server too.
    const res = await context.request.get('/api/v1/auth/session');
    assert.equal(res.status(), 401);
    await context.close();
  });

  it(env, 'the platform admin sees the admin console link', async () => {
    const context = await newContext(env.browser, env.server);
    const page = await context.newPage();
    await page.goto('/');
    const form = page.getByTestId('sign-in');
    await form.getByLabel('Email').fill('admin@example.com');
    await form.getByLabel('Password').fill(ADMIN_PASSWORD);
    await form.getByRole('button', { name: 'Sign in', exact: true }).click();
    await visible(page.getByTestId('admin-link'));
    await context.close();
  });
});

describe('first-run setup', () => {
  const env = useServer({ bootstrap: false });

  it(env, 'without an admin the client shows setup, which takes the printed token', async () => {
    const token = await setupToken(env.server);
    assert.ok(token.length >= 16, `a long setup token, got ${token}`);
    const context = await newContext(env.browser, env.server);
    const page = await context.newPage();
    await page.goto('/');
    const form = page.getByTestId('setup');
    await visible(form);
    await gone(page.getByTestId('sign-in'));

    await form.getByLabel('Setup token').fill('wrong-token');
    await form.getByLabel('Your name').fill('Grace Hopper');
    await form.getByLabel('Email').fill('grace@example.com');
    await form.getByLabel('Password').fill('a long admin password');
    await form.getByLabel('Organization name').fill('Navy Labs');
    await screenshot(page, 'setup');
    await form.getByRole('button', { name: 'Create administrator' }).click();
    await visible(form.getByRole('alert'));

    await form.getByLabel('Setup token').fill(token);
    await form.getByRole('button', { name: 'Create administrator' }).click();
    // Setup signs the new admin in and opens the admin console.
    await visible(page.getByTestId('group-list'));
    await visible(page.getByTestId('admin-link'));
    await until(() => new URL(page.url()).pathname.startsWith('/admin'), 'the admin console address');
    await gone(page.getByTestId('setup'));

    // Setup is closed now: a fresh browser gets the sign-in form.
    const other = await newContext(env.browser, env.server);
    const page2 = await other.newPage();
    await page2.goto('/');
    await visible(page2.getByTestId('sign-in'));
    await other.close();
    await context.close();
  });
});
