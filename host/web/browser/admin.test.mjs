// The admin console: an organization admin installs a plugin and enables it for one group
// from the UI (the groups include a private team the admin is not in); its command then
// works in that group and is absent from another. The people list keeps disabled people
// (to enable them again, after a reload too), filters by status, searches on the server
// and pages; partner invitations name the inviting organization. The audit log filters on
// the server by kind of action, shows a role change in words with the address it came
// from, and pages.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { Api, count, gone, hasText, it, openAs, openGroup, screenshot, sleep, until, useServer, visible } from './harness.mjs';

/** Opens the admin console's people page as `email`. */
async function openPeople(env, email) {
  const { page, context } = await openAs(env.browser, env.server, email);
  await page.getByTestId('admin-link').click();
  await until(() => new URL(page.url()).pathname.startsWith('/admin'), 'the admin console');
  await page.getByTestId('admin-tab-people').click();
  await visible(page.getByTestId('people-table'));
  return { page, context };
}


describe('admin console', () => {
  const env = useServer({
    async seed(env) {
      const { org_id: org } = await env.admin.me();
      env.org = org;
      await env.admin.createPerson(org, { email: 'li.na@example.com', display_name: '李娜', role: 'org_admin', title: 'IT admin' });
      env.zhang = await env.admin.createPerson(org, { email: 'zhang.san@example.com', display_name: '张三' });
      env.wang = await env.admin.createPerson(org, { email: 'wang.wu@example.com', display_name: '王五' });
      env.zhao = await env.admin.createPerson(org, { email: 'zhao.liu@example.com', display_name: '赵六' });
      const li = await Api.login(env.server.url, 'li.na@example.com');
      env.li = li;
      env.games = await li.createTeam('Game night', [env.zhang.id]);
      env.quiet = await li.createTeam('Quiet room', [env.zhang.id]);
      // A private team of 张三's that the admin is not a member of.
      const zhang = await Api.login(env.server.url, 'zhang.san@example.com');
      env.secret = await zhang.createTeam('Secret project', [env.wang.id]);
      // Another company invites this one into a shared group.
      const other = await env.admin.createOrg('Swift Freight');
      await env.admin.createPerson(other.id, { email: 'olga@swift.example.com', display_name: 'Olga', role: 'org_admin' });
      const olga = await Api.login(env.server.url, 'olga@swift.example.com');
      env.shipments = await olga.createGroup({ kind: 'shared', name: 'Shipments' });
      await olga.post(`/api/v1/groups/${env.shipments.id}/partners`, { org_id: org });
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
    await page.getByTestId('plugins-tab-catalog').click();
    const catalog = page.getByTestId('plugin-catalog');
    await visible(catalog);
    await visible(catalog.getByTestId('catalog-dice'));
    await page.getByTestId('install-dice').click();
    const install = page.getByTestId('install-form');
    await visible(install);
    // The capabilities it asks for are shown, ticked, before installing.
    assert.equal(await install.getByTestId('grant-storage').isChecked(), true);
    // Shipped with the server: no risk to acknowledge.
    assert.equal(await install.getByTestId('trust').getAttribute('data-status'), 'bundled');
    assert.equal(await install.getByTestId('risk-consent').count(), 0);
    await screenshot(page, 'admin-plugin-install');
    await page.getByTestId('install-confirm').click();
    await gone(install);
    await page.getByTestId('plugins-tab-installed').click();
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
    // A private team the admin is not in is listed too, and can be enabled.
    const mine = await env.li.get('/api/v1/groups');
    assert.ok(!mine.some((g) => g.id === env.secret.id), 'the admin does not see the private team as a member');
    const secret = page.getByTestId(`plugin-group-${env.secret.id}`);
    await hasText(secret, 'Secret project');
    await hasText(secret, 'Not enabled');
    await visible(secret.getByTestId('enable-plugin'));
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

  it(env, 'the audit log lists a role change among changes to people, with its address', async () => {
    const { page, context } = await openPeople(env, 'li.na@example.com');
    const zhao = page.getByTestId(`person-${env.zhao.id}`);
    await zhao.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByTestId('person-form');
    await visible(form);
    await form.getByTestId('person-role').selectOption('org_admin');
    await form.getByTestId('person-save').click();
    await page.getByTestId('confirm-ok').click();
    await gone(form);
    await hasText(zhao, 'Org admin');

    await page.getByTestId('admin-tab-audit').click();
    const table = page.getByTestId('audit-table');
    await hasText(table, 'Installed a plugin');
    // The server filters: the page asks for the prefix of the kind chosen.
    const asked = page.waitForResponse((r) => r.url().includes('/audit?') && new URL(r.url()).searchParams.get('action') === 'person.');
    await page.getByTestId('audit-action').selectOption('person.');
    assert.equal((await asked).status(), 200);
    const rows = table.locator('tbody tr');
    await count(rows.filter({ hasText: 'Installed a plugin' }), 0);
    const change = rows.filter({ hasText: 'Updated a person' }).filter({ hasText: '赵六' });
    await count(change, 1);
    await hasText(change, 'role → Org admin');
    await hasText(change, '127.0.0.1');
    // Everything listed is about people.
    const badges = await rows.locator('.badge').allTextContents();
    assert.ok(badges.length >= 4, `${badges.length} entries`);
    assert.deepEqual([...new Set(badges)].sort(), ['Added a person', 'Updated a person']);
    // And by person: only what 李娜 did to people.
    const byLi = page.waitForResponse((r) => r.url().includes('/audit?') && new URL(r.url()).searchParams.get('actor') === env.li.person.id);
    await page.getByTestId('audit-actor').getByRole('combobox').fill('李娜');
    await page.getByRole('option', { name: /李娜/ }).click();
    assert.equal((await byLi).status(), 200);
    await count(rows, 1);
    await visible(change);
    await screenshot(page, 'admin-audit-people');
    await context.close();
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

  it(env, 'a disabled person stays listed, also after a reload, and can be enabled again', async () => {
    const { page, context } = await openPeople(env, 'li.na@example.com');
    const wang = page.getByTestId(`person-${env.wang.id}`);
    await hasText(wang, 'Active');
    await wang.getByRole('button', { name: 'Disable' }).click();
    await visible(page.getByTestId('confirm-dialog'));
    await page.getByTestId('confirm-ok').click();
    await hasText(wang, 'Disabled');
    await visible(wang.getByRole('button', { name: 'Enable' }));
    assert.equal((await env.admin.get(`/api/v1/people/${env.wang.id}`)).status, 'disabled');

    // Nothing in this browser remembers them: the server lists them.
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await visible(page.getByTestId('people-table'));
    await hasText(wang, 'Disabled');
    await visible(wang.getByRole('button', { name: 'Enable' }));
    await screenshot(page, 'admin-people-disabled');

    // The status filter asks the server for one status.
    const rows = page.getByTestId('people-table').locator('tbody tr');
    await page.getByTestId('people-status').selectOption('disabled');
    await count(rows, 1);
    await visible(wang);
    await page.getByTestId('people-status').selectOption('active');
    await count(wang, 0);
    await visible(page.getByTestId(`person-${env.zhang.id}`));
    await page.getByTestId('people-status').selectOption('');
    // Search by pinyin, on the server: disabled people are found too.
    await page.getByTestId('people-search').fill('wangwu');
    await count(rows, 1);
    await visible(wang);

    await wang.getByRole('button', { name: 'Enable' }).click();
    await hasText(wang, 'Active');
    await visible(wang.getByRole('button', { name: 'Disable' }));
    assert.equal((await env.admin.get(`/api/v1/people/${env.wang.id}`)).status, 'active');
    await context.close();
  });

  it(env, 'partner invitations name the inviting organization', async () => {
    const { page, context } = await openAs(env.browser, env.server, 'li.na@example.com');
    await page.getByTestId('admin-link').click();
    await page.getByTestId('admin-tab-partners').click();
    const row = page.getByTestId(`invitation-${env.shipments.id}`);
    await hasText(row, 'Shipments');
    await hasText(row.getByTestId('invitation-host'), 'Swift Freight');
    await screenshot(page, 'admin-partners');
    await context.close();
  });

  it(env, 'the people list pages through a large organization', async () => {
    // Last: 105 more people push the seeded ones off the first page.
    for (let i = 0; i < 105; i += 15) {
      await Promise.all(
        Array.from({ length: Math.min(15, 105 - i) }, (_, j) => {
          const n = String(i + j + 1).padStart(3, '0');
          return env.admin.createPerson(env.org, { email: `temp${n}@example.com`, display_name: `Temp ${n}`, password: undefined });
        }),
      );
    }
    const total = (await env.admin.get(`/api/v1/orgs/${env.org}/people?limit=200`)).length;
    assert.ok(total > 105, `${total} people`);

    const { page, context } = await openPeople(env, 'li.na@example.com');
    const rows = page.getByTestId('people-table').locator('tbody tr');
    await count(rows, 100);
    await page.getByTestId('people-more').click();
    await count(rows, total);
    await count(page.getByTestId('people-more'), 0);

    // A search starts again from its first page.
    await page.getByTestId('people-search').fill('temp');
    await count(rows, 100);
    await count(page.getByTestId(`person-${env.zhang.id}`), 0);
    await page.getByTestId('people-more').click();
    await count(rows, 105);
    await count(page.getByTestId('people-more'), 0);
    await screenshot(page, 'admin-people-paged');

    // The audit log pages too: the changes to people, a hundred at a time.
    const people = await env.admin.get(`/api/v1/orgs/${env.org}/audit?action=person.&limit=500`);
    assert.ok(people.length > 100, `${people.length} entries`);
    await page.getByTestId('admin-tab-audit').click();
    await page.getByTestId('audit-action').selectOption('person.');
    const entries = page.getByTestId('audit-table').locator('tbody tr');
    await count(entries, 100);
    await page.getByTestId('audit-more').click();
    await count(entries, people.length);
    await count(page.getByTestId('audit-more'), 0);
    await hasText(page.locator('.admin-page'), 'No older entries');
    await context.close();
  });

  it(env, 'compliance: retention after a confirmation, a legal hold placed and released, the export', async () => {
    const { page } = await openAs(env.browser, env.server, 'li.na@example.com', '/admin/compliance');
    const retention = page.getByTestId('retention');
    await visible(retention);
    await hasText(retention, 'Messages are kept forever.');
    await retention.getByText('Delete old messages').click();
    await page.getByTestId('retention-days').fill('0');
    await visible(retention.getByText('Enter a whole number of days from 1 to 36500'));
    await page.getByTestId('retention-days').fill('90');
    await page.getByTestId('retention-save').click();
    await visible(page.getByTestId('confirm-dialog'));
    await visible(page.getByText('Delete messages older than 90 days?'));
    await page.getByTestId('confirm-ok').click();
    await until(async () => (await env.li.get(`/api/v1/orgs/${env.org}`)).message_retention_days === 90, 'retention saved');

    // A hold on a group the admin is not even in.
    await page.getByTestId('place-hold').click();
    await page.getByTestId('hold-group').selectOption(env.secret.id);
    await page.getByTestId('hold-reason').fill('Case 2026-17');
    await page.getByTestId('hold-submit').click();
    const holds = page.getByTestId('legal-holds');
    await hasText(holds, 'Secret project');
    await hasText(holds, 'Case 2026-17');
    await screenshot(page, 'admin-compliance');
    await holds.getByRole('button', { name: 'Release' }).click();
    await page.getByTestId('confirm-ok').click();
    await visible(holds.getByText('No group is under legal hold.'));

    // The export link downloads a ZIP.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('org-export').click()]);
    assert.match(download.suggestedFilename(), /^courtyard-export-.*\.zip$/);
    const audit = await env.li.get(`/api/v1/orgs/${env.org}/audit?action=org.exported`);
    assert.equal(audit.length, 1);
  });
});
