// Plugins in the chat: an org admin installs dice and enables it in one group only; its
// slash command autocompletes and posts a card whose button updates it live for everyone.
// Then a plugin form (approvals' purchase request): a value the form refuses shows an
// error by its field; once fixed the request goes through and its card is posted; the
// approver approves it from the plugin's "Waiting for me" page, and the card in the chat
// follows.

import assert from 'node:assert/strict';
import { before, describe } from 'node:test';
import { Api, count, gone, hasText, it, message, openAs, openGroup, screenshot, sleep, until, useServer, visible } from './harness.mjs';

describe('plugins', () => {
  const env = useServer({
    async seed(env) {
      const { org_id: org } = await env.admin.me();
      env.org = org;
      const lina = await env.admin.createPerson(org, { email: 'li.na@example.com', display_name: '李娜', role: 'org_admin', title: 'Operations lead' });
      const purchasing = await env.admin.createDepartment(org, 'Purchasing', { head_id: lina.id });
      env.zhang = await env.admin.createPerson(org, { email: 'zhang.san@example.com', display_name: '张三', title: 'Buyer', department_id: purchasing.id });
      env.wang = await env.admin.createPerson(org, { email: 'wang.wu@example.com', display_name: '王五', title: 'Planner' });

      // Everything below as the organization's admin, as a customer would.
      const li = await Api.login(env.server.url, 'li.na@example.com');
      env.games = await li.createTeam('Game night', [env.zhang.id, env.wang.id]);
      env.office = await li.createTeam('Office', [env.zhang.id, env.wang.id]);
      await li.installPlugin(org, 'dice');
      await li.installPlugin(org, 'approvals');
      await li.enablePlugin(env.games.id, 'dice', { max_sides: 20 });
      await li.enablePlugin(env.office.id, 'approvals');
    },
  });
  let Z; // 张三's page
  let W; // 王五's page

  before(async () => {
    ({ page: Z } = await openAs(env.browser, env.server, 'zhang.san@example.com'));
    ({ page: W } = await openAs(env.browser, env.server, 'wang.wu@example.com'));
    await openGroup(Z, env.games);
    await openGroup(W, env.games);
  });

  const composer = (page) => page.locator('section.pane').getByTestId('composer');

  it(env, '/ lists /roll where dice is enabled; /roll 20 posts a card whose button updates it for everyone', async () => {
    const box = composer(Z);
    await box.click();
    await box.pressSequentially('/');
    const list = Z.getByTestId('command-list');
    await visible(list);
    await hasText(list, '/roll');
    await screenshot(Z, 'command-autocomplete');
    const listed = await list.getByRole('option').allTextContents();
    assert.ok(!listed.some((x) => x.includes('/approval')), `approvals is not enabled here: ${listed}`);

    // Picking the command fills it in; add the sides and send.
    await list.getByRole('option', { name: /\/roll/ }).click();
    await until(async () => (await box.inputValue()) === '/roll ', 'the picked command in the composer');
    await box.pressSequentially('20');
    await box.press('Enter');

    const cardOnZ = message(Z, '🎲');
    await visible(cardOnZ);
    await hasText(cardOnZ, '张三 rolled');
    await hasText(cardOnZ, 'd20');
    await hasText(cardOnZ, /Rolls in this group[^0-9]*1/);
    const cardOnW = message(W, '🎲');
    await visible(cardOnW);
    await hasText(cardOnW, 'd20');
    await screenshot(Z, 'plugin-card');

    // 王五 presses the card's button: the card changes in place, for both.
    await cardOnW.getByRole('button', { name: /Roll again/ }).click();
    await hasText(message(W, '🎲'), '王五 rolled');
    await hasText(message(W, '🎲'), /Rolls in this group[^0-9]*2/);
    await hasText(message(Z, '🎲'), '王五 rolled');
    await hasText(message(Z, '🎲'), /Rolls in this group[^0-9]*2/);
    await count(message(Z, '🎲'), 1);
  });

  it(env, 'a command the plugin refuses says why, and posts nothing', async () => {
    const box = composer(Z);
    await box.fill('/roll 500');
    await box.press('Enter');
    await visible(Z.getByText(/choose 2 to 20 sides/));
    await count(message(Z, '🎲'), 1);
  });

  it(env, 'where dice is not enabled, / does not offer /roll', async () => {
    await openGroup(Z, env.office);
    const box = composer(Z);
    await box.click();
    await box.fill('');
    await box.pressSequentially('/');
    const list = Z.getByTestId('command-list');
    await visible(list);
    await hasText(list, '/approval');
    const listed = await list.getByRole('option').allTextContents();
    assert.ok(!listed.some((x) => x.includes('/roll')), `no /roll in Office: ${listed}`);
    await box.press('Escape');
    await box.fill('');
    // And running it anyway is refused.
    const api = await Api.login(env.server.url, 'zhang.san@example.com');
    await assert.rejects(api.post(`/api/v1/groups/${env.office.id}/commands`, { text: '/roll 6' }));
  });

  it(env, 'a plugin form shows the error by the field, and goes through once fixed', async () => {
    const box = composer(Z);
    await box.fill('/approval purchase');
    await box.press('Enter');
    const dialog = Z.getByRole('dialog');
    await visible(dialog);
    await hasText(dialog, 'Purchase request');

    await dialog.getByLabel(/What/).fill('Label printer');
    await dialog.getByLabel(/Quantity/).fill('0');
    await dialog.getByLabel(/Budget/).fill('1200');
    await dialog.getByLabel(/Reason/).fill('The old one broke');
    await dialog.getByRole('button', { name: /Preview route/ }).click();

    const quantity = dialog.locator('.field', { has: Z.getByLabel(/Quantity/) });
    await hasText(quantity, 'must be at least 1');
    await screenshot(Z, 'plugin-form-error');

    await dialog.getByLabel(/Quantity/).fill('2');
    await dialog.getByRole('button', { name: /Preview route/ }).click();
    // The route preview: the department head approves.
    await hasText(Z.getByRole('dialog'), 'Submit this request?');
    await hasText(Z.getByRole('dialog'), '李娜');
    await screenshot(Z, 'plugin-form-preview');
    await Z.getByRole('dialog').getByRole('button', { name: 'Submit', exact: true }).click();
    await gone(Z.getByRole('dialog'));

    const card = message(Z, 'Label printer');
    await visible(card);
    await screenshot(Z, 'plugin-request-card');
    // 王五 is in the group and sees the request card too.
    await openGroup(W, env.office);
    await visible(message(W, 'Label printer'));
  });

  it(env, 'the approver approves from "Waiting for me": the page is drawn again and the chat card says Approved', async () => {
    // 李娜 heads Purchasing, so the request waits for her.
    const { page: L, context } = await openAs(env.browser, env.server, 'li.na@example.com', `/g/${env.office.id}/p/approvals/pending`);
    try {
      const pending = L.locator('article.pc-card', { hasText: 'Label printer' });
      await visible(pending);
      await screenshot(L, 'plugin-page-pending');
      await pending.getByRole('button', { name: /Approve/ }).click();
      // The button answers with the updated card, which a page has no message for: the
      // page is drawn again, without the request and without an error (it once said the
      // plugin had failed, although the approval was stored).
      await gone(pending);
      await hasText(L.locator('.page'), 'Nothing here');
      assert.equal(await L.getByRole('alert').count(), 0, 'no error on the page');
      // 张三's card in the chat is updated live.
      await hasText(message(Z, 'Label printer'), 'Approved');
      await screenshot(Z, 'plugin-request-approved');
    } finally {
      await context.close();
    }
  });
});
