// Message search in the browser: a Chinese word inside a longer one, the matched words
// marked, the scope picker, only conversations one is in, and a result opening its thread.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { Api, hasText, it, message, openAs, screenshot, until, useServer, visible } from './harness.mjs';

describe('search', () => {
  const env = useServer({
    async seed(env) {
      const { org_id: org } = await env.admin.me();
      const li = await env.admin.createPerson(org, { email: 'li.lei@example.com', display_name: '李雷' });
      const han = await env.admin.createPerson(org, { email: 'han.mei@example.com', display_name: '韩梅梅' });
      await env.admin.createPerson(org, { email: 'outsider@example.com', display_name: 'Outsider' });
      const liApi = await Api.login(env.server.url, 'li.lei@example.com');
      const finance = await liApi.createTeam('Finance', [han.id]);
      const travel = await liApi.createTeam('Travel', [han.id]);
      const root = await liApi.postMessage(finance.id, '差旅报销单已提交，请审批');
      await liApi.postMessage(finance.id, '报销周期是三天', { thread_root_id: root.id });
      await liApi.postMessage(travel.id, '下周的报销材料准备好了');
      await liApi.postMessage(travel.id, 'Quarterly report attached');
      env.finance = finance;
      env.root = root;
    },
  });

  it(env, '报销 finds the longer word, marks it, narrows by group and opens the thread', async () => {
    // From outside any conversation the shortcut searches everywhere (inside one, it
    // starts in that conversation).
    const { page } = await openAs(env.browser, env.server, 'han.mei@example.com', '/directory');
    await visible(page.getByTestId('directory-search'));
    await page.keyboard.press('Control+Shift+F');
    assert.equal(await page.getByTestId('search-scope').inputValue(), '');
    const box = page.getByTestId('message-search');
    await visible(box);
    await box.fill('报销');
    const results = page.getByTestId('search-results');
    const rows = results.getByTestId('search-result');
    await until(async () => (await rows.count()) === 3, 'three results for 报销');
    await hasText(rows.first(), '下周的报销材料准备好了');
    const marks = await results.locator('mark').allTextContents();
    assert.ok(marks.length >= 3 && marks.every((m) => m === '报销'), `marked: ${marks}`);
    await hasText(rows.last(), 'Finance');
    await screenshot(page, 'message-search');

    // Narrow to one group; the address keeps the query.
    await page.getByTestId('search-scope').selectOption(env.finance.id);
    await until(async () => (await rows.count()) === 2, 'two results in Finance');
    assert.match(page.url(), /q=%E6%8A%A5%E9%94%80/);

    // A reply opens its thread beside the conversation.
    await rows.filter({ hasText: '报销周期是三天' }).click();
    await until(() => new URL(page.url()).pathname === `/g/${env.finance.id}/t/${env.root.id}`, 'the thread’s address');
    const thread = page.getByTestId('thread-panel');
    await visible(thread);
    await visible(message(thread, '报销周期是三天'));

    // Latin words while typing; nothing found says so.
    await page.goto('/search?q=quart');
    await hasText(page.getByTestId('search-results'), 'Quarterly report attached');
    await page.getByTestId('message-search').fill('不存在的词语');
    await visible(page.getByText('No messages found'));
  });

  it(env, 'someone outside the conversations finds nothing of them', async () => {
    const { page } = await openAs(env.browser, env.server, 'outsider@example.com', '/search?q=%E6%8A%A5%E9%94%80');
    await visible(page.getByText('No messages found'));
  });
});
