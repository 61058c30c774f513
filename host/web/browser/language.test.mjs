// The interface language follows the browser until the person picks one; the pick is kept.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { PASSWORD, hasText, it, newContext, openAs, screenshot, useServer, visible } from './harness.mjs';

describe('language', () => {
  const env = useServer({
    async seed(env) {
      const { org_id: org } = await env.admin.me();
      const p = await env.admin.createPerson(org, { email: 'chen@example.com', display_name: '陈静' });
      env.team = await env.admin.createTeam('产品组', [p.id]);
      await env.admin.postMessage(env.team.id, '大家好，周五下午三点开会。');
    },
  });

  it(env, 'a Chinese browser gets the Chinese sign-in; the switch changes it and it persists', async () => {
    const context = await newContext(env.browser, env.server, { locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto('/');
    const form = page.getByTestId('sign-in');
    await visible(form);
    await visible(form.getByRole('button', { name: '登录', exact: true }));
    await hasText(form, '邮箱');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    await screenshot(page, 'sign-in-zh');

    // Switch to English.
    await page.getByTestId('lang-switch').click();
    await visible(form.getByRole('button', { name: 'Sign in', exact: true }));
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.reload();
    await visible(page.getByTestId('sign-in').getByRole('button', { name: 'Sign in', exact: true }));

    // And back to Chinese, then sign in: the shell is Chinese too, after a reload as well.
    await page.getByTestId('lang-switch').click();
    await visible(form.getByRole('button', { name: '登录', exact: true }));
    await form.getByLabel('邮箱').fill('chen@example.com');
    await form.getByLabel('密码').fill(PASSWORD);
    await form.getByRole('button', { name: '登录', exact: true }).click();
    await visible(page.getByTestId('group-list'));
    await hasText(page.getByTestId('group-list'), '团队与群组');
    await hasText(page.locator('.sidebar'), '通讯录');
    await visible(page.getByRole('button', { name: '发送' }));
    await hasText(page.getByTestId('message-list'), '周五下午三点开会');
    await screenshot(page, 'group-zh');
    await page.reload();
    await visible(page.getByRole('button', { name: '发送' }));

    // The switch in the shell goes back to English, and that is kept too.
    await page.getByTestId('lang-switch').click();
    await visible(page.getByRole('button', { name: 'Send', exact: true }));
    await hasText(page.getByTestId('group-list'), 'Teams and groups');
    await page.reload();
    await visible(page.getByRole('button', { name: 'Send', exact: true }));
    await context.close();
  });

  it(env, 'an English browser gets English', async () => {
    const { context, page } = await openAs(env.browser, env.server, 'chen@example.com', '/', { locale: 'en-US' });
    await hasText(page.getByTestId('group-list'), 'Teams and groups');
    await visible(page.getByTestId('lang-switch').getByText('中文'));
    await context.close();
  });
});
