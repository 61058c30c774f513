// The admin console: an organization admin installs a plugin and enables it for one group
// from the UI; its command then works in that group and is absent from another.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { Api, count, gone, hasText, it, openAs, openGroup, screenshot, sleep, until, useServer, visible } from './harness.mjs';

describe('admin console', () => {
  const env = useServer({
    async seed(env) {
      const { org_id: org } = await env.admin.me();
      env.org = org;
      await env.admin.createPerson(org, { email: 'li.na@example.com', display_name: '李娜', role: 'org_admin', title: 'IT admin' });
      env.zhang = await env.admin.createPerson(org, { email: 'zhang.san@example.com', display_name: '张三' });
      const li = await Api.login(env.server.url, 'li.na@example.com');
      env.li = li;
      env.games = await li.createTeam('Game night', [env.zhang.id]);
      env.quiet = await li.createTeam('Quiet room', [env.zhang.id]);
    },
  });

  it(env, 'install dice and enable it for one group from the console', async () => {
    const { page, context } = await openAs(env.browser, env.server, 'li.na@example.com');
    await page.getByTestId('admin-link').click();
    await until(() => new URL(page.url()).pathname.startsWith('/admin'), 'the admin console');
    await visible(page.getByTestId('admin-tab-org'));
    await screenshot(page, 'admin-org');

    await page.getByTestId('admin-tab-people').click();
    await hasText(page.locator('.admin-page'), '张三');
    await screenshot(page, 'admin-people');

    await page.getByTestId('admin-tab-plugins').click();
    const catalog = page.getByTestId('plugin-catalog');
    await visible(catalog);
    await visible(catalog.getByTestId('catalog-dice'));
    await page.getByTestId('install-dice').click();
    const install = page.getByTestId('install-form');
    await visible(install);
    // The capabilities it asks for are shown, ticked, before installing.
    assert.equal(await install.getByTestId('grant-storage').isChecked(), true);
    await screenshot(page, 'admin-plugin-install');
    await page.getByTestId('install-confirm').click();
    await gone(install);
    const row = page.getByTestId('installed-dice');
    await visible(row);
    await hasText(row, '/roll');
    await screenshot(page, 'admin-plugins');

    await row.getByRole('button', { name: 'Manage' }).click();
    await visible(page.getByTestId('plugin-detail'));
    await page.getByTestId('plugin-tab-groups').click();
    const games = page.getByTestId(`plugin-group-${env.games.id}`);
    const quiet = page.getByTestId(`plugin-group-${env.quiet.id}`);
    await hasText(games, 'Not enabled');
    await hasText(quiet, 'Not enabled');
    await games.getByTestId('enable-plugin').click();
    const form = page.getByTestId('enable-form');
    await visible(form);
    await screenshot(page, 'admin-plugin-enable');
    await page.getByTestId('enable-confirm').click();
    await gone(form);
    await hasText(games, 'Enabled');
    await hasText(quiet, 'Not enabled');
    await screenshot(page, 'admin-plugin-groups');

    // The audit log records both.
    await page.getByTestId('admin-tab-audit').click();
    await until(async () => (await page.locator('.admin-page').textContent()).match(/dice/), 'the audit log to mention dice');
    await screenshot(page, 'admin-audit');
    await context.close();

    // The server agrees.
    const enabled = await env.li.get(`/api/v1/groups/${env.games.id}/plugins`);
    assert.deepEqual(enabled.map((e) => e.plugin_id), ['dice']);
    assert.deepEqual(await env.li.get(`/api/v1/groups/${env.quiet.id}/plugins`), []);
  });

  it(env, 'the command works in the enabled group and is absent from the other', async () => {
    const { page, context } = await openAs(env.browser, env.server, 'zhang.san@example.com');
    const composer = page.locator('section.pane').getByTestId('composer');

    await openGroup(page, env.games);
    await composer.click();
    await composer.pressSequentially('/');
    await hasText(page.getByTestId('command-list'), '/roll');
    await composer.fill('/roll');
    await composer.press('Escape');
    await composer.pressSequentially(' 6');
    await composer.press('Enter');
    await hasText(page.getByTestId('message').filter({ hasText: '🎲' }), '张三 rolled');

    await openGroup(page, env.quiet);
    const asked = page.waitForResponse((r) => r.url().includes(`/api/v1/groups/${env.quiet.id}/commands`));
    await composer.click();
    await composer.pressSequentially('/');
    const answer = await asked;
    assert.deepEqual(await answer.json(), []);
    await sleep(200); // the list would render right after the answer
    await count(page.getByTestId('command-list'), 0);
    await context.close();
  });
});
