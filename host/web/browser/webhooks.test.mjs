// Webhooks from the group dialog: a manager adds an incoming hook, copies its URL (shown
// once), another system posts to it, and the message appears live as a bot.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { Api, hasText, it, message, openAs, screenshot, useServer, visible } from './harness.mjs';

describe('webhooks', () => {
  const env = useServer({
    async seed(env) {
      const { org_id: org } = await env.admin.me();
      await env.admin.createPerson(org, { email: 'li.lei@example.com', display_name: '李雷' });
      const li = await Api.login(env.server.url, 'li.lei@example.com');
      env.team = await li.createTeam('Builds');
    },
  });

  it(env, 'an incoming hook made in the group dialog posts as a bot', async () => {
    const { page } = await openAs(env.browser, env.server, 'li.lei@example.com', `/g/${env.team.id}`);
    await page.getByTestId('members-button').click();
    const panel = page.getByTestId('webhooks');
    await visible(panel);
    await panel.getByTestId('webhook-name').fill('CI');
    await panel.getByTestId('webhook-add').click();
    const url = await page.getByTestId('webhook-url').textContent();
    assert.match(url, /\/api\/v1\/hooks\/[^/]+\/cyw_/);
    await hasText(panel.getByTestId('webhook-row'), 'CI');
    await screenshot(page, 'webhooks');
    await page.keyboard.press('Escape');

    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Build #7 passed' }) });
    assert.equal(res.status, 201);
    const posted = message(page, 'Build #7 passed');
    await visible(posted);
    await hasText(posted, 'Bot');
    await hasText(posted, 'CI');
  });
});
