// The directory: search by pinyin and initials, the profile card, and "Message" opening a
// direct conversation that works.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { count, gone, hasText, it, message, openAs, screenshot, send, until, useServer, visible } from './harness.mjs';

describe('directory', () => {
  const env = useServer({
    async seed(env) {
      const { org_id: org } = await env.admin.me();
      const ops = await env.admin.createDepartment(org, 'Operations');
      const logistics = await env.admin.createDepartment(org, 'Logistics', { parent_id: ops.id });
      env.lina = await env.admin.createPerson(org, { email: 'li.na@example.com', display_name: '李娜', title: 'Operations lead', department_id: ops.id });
      env.zhang = await env.admin.createPerson(org, { email: 'zhang.san@example.com', display_name: '张三', title: 'Planner', department_id: logistics.id });
      await env.admin.createPerson(org, { email: 'zhao.si@example.com', display_name: '赵四', title: 'Driver', department_id: logistics.id });
      await env.admin.createPerson(org, { email: 'wang.wu@example.com', display_name: '王五', title: 'Accountant' });
    },
  });

  it(env, 'pinyin and initials find 张三; the profile card’s Message button opens a conversation', async () => {
    const { page } = await openAs(env.browser, env.server, 'li.na@example.com', '/directory');
    const search = page.getByTestId('directory-search');
    await visible(search);
    const results = page.getByTestId('directory-results');
    const rows = results.locator('.person-row');

    await search.fill('zhangsan');
    await hasText(results, '张三');
    await until(async () => (await rows.count()) === 1, 'one result for zhangsan');
    await hasText(results, 'Planner');
    await screenshot(page, 'directory-results');

    await search.fill('zs');
    await hasText(results, '张三');
    const names = await rows.allTextContents();
    assert.ok(!names.some((n) => n.includes('王五')), `zs should not find 王五: ${names}`);
    assert.ok(!names.some((n) => n.includes('李娜')), `zs should not find 李娜: ${names}`);

    // A search that finds nobody says so.
    await search.fill('qqqqxyz');
    await visible(page.getByText('Nobody found'));

    await search.fill('zhang');
    await rows.filter({ hasText: '张三' }).click();
    const card = page.getByTestId('profile-card');
    await visible(card);
    await hasText(card, '张三');
    await hasText(card, 'Planner');
    await hasText(card, 'zhang.san@example.com');
    await hasText(card, 'Logistics');
    await screenshot(page, 'profile-card');

    await card.getByTestId('message-person').click();
    await gone(page.getByTestId('profile-card'));
    await until(() => /\/g\/[^/]+$/.test(new URL(page.url()).pathname), 'the conversation’s address');
    await hasText(page.getByTestId('group-title'), '张三');
    // It is listed under direct messages.
    await hasText(page.getByTestId('group-list'), '张三');
    await send(page, '你好，张三！明天的车安排好了吗？');
    await visible(message(page, '明天的车安排好了吗'));
    await screenshot(page, 'direct-message');

    // 张三 sees it in the same conversation.
    const groupId = new URL(page.url()).pathname.split('/').pop();
    const zhang = await openAs(env.browser, env.server, 'zhang.san@example.com', `/g/${groupId}`);
    await hasText(zhang.page.getByTestId('group-title'), '李娜');
    await visible(message(zhang.page, '明天的车安排好了吗'));
    await send(zhang.page, '已经安排好，八点到');
    await visible(message(page, '已经安排好，八点到'));

    // Messaging the same person again opens the same conversation.
    await page.goto('/directory');
    await page.getByTestId('directory-search').fill('zs');
    await rows.filter({ hasText: '张三' }).click();
    await page.getByTestId('profile-card').getByTestId('message-person').click();
    await until(() => new URL(page.url()).pathname === `/g/${groupId}`, 'the same conversation');
    await count(message(page, '已经安排好，八点到'), 1);
  });

  it(env, 'the department tree lists the people of one’s own department', async () => {
    const { page, context } = await openAs(env.browser, env.server, 'zhang.san@example.com', '/directory');
    const tree = page.getByTestId('department-tree');
    await visible(tree);
    await tree.getByRole('button', { name: /Logistics/ }).click();
    const results = page.getByTestId('directory-results');
    await hasText(results, '张三');
    await hasText(results, '赵四');
    const text = await results.textContent();
    assert.ok(!text.includes('王五') && !text.includes('李娜'), `only Logistics people: ${text}`);
    await screenshot(page, 'directory-department');
    await context.close();
  });

  // Known bug (see the report): the tree offers every department of the organization, but
  // `GET /api/v1/groups/{department}/members` answers 404 "group not found" for a
  // department the reader is not a member of; the pane then shows the error and a spinner
  // that never stops.
  it(
    env,
    'the department tree lists the people of another department',
    async () => {
      const { page, context } = await openAs(env.browser, env.server, 'li.na@example.com', '/directory');
      const tree = page.getByTestId('department-tree');
      await visible(tree);
      await tree.getByRole('button', { name: /Logistics/ }).click();
      try {
        await hasText(page.getByTestId('directory-results'), '张三', 5000);
      } finally {
        await context.close();
      }
    },
  );
});
