// Two people chatting in real time, each in their own browser context: messages, threads,
// reactions, unread counts, editing and deleting, @mentions, and catching up after going
// offline. The tests run in order and share the two people's pages.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import {
  count,
  gone,
  hasText,
  it,
  message,
  openAs,
  openGroup,
  screenshot,
  send,
  sleep,
  startProxy,
  until,
  useServer,
  visible,
} from './harness.mjs';

describe('chat', () => {
  const env = useServer({
    async seed(env) {
      const me = await env.admin.me();
      env.alice = await env.admin.createPerson(me.org_id, { email: 'alice@example.com', display_name: 'Alice Chen', title: 'Engineer' });
      env.bob = await env.admin.createPerson(me.org_id, { email: 'bob@example.com', display_name: 'Bob Li', title: 'Product manager' });
      env.launch = await env.admin.createTeam('Launch', [env.alice.id, env.bob.id]);
      env.random = await env.admin.createTeam('Random', [env.alice.id, env.bob.id]);
    },
  });
  let A; // Alice's page
  let B; // Bob's page

  let proxy; // Bob's network: a proxy that can be cut

  before(async () => {
    proxy = await startProxy(env.server);
    ({ page: A } = await openAs(env.browser, env.server, 'alice@example.com'));
    ({ page: B } = await openAs(env.browser, env.server, 'bob@example.com', '/', { baseURL: proxy.url }));
    for (const page of [A, B]) page.on('dialog', (d) => d.accept());
    await openGroup(A, env.launch);
    await openGroup(B, env.launch);
  });
  after(() => proxy?.close());

  const main = (page) => page.locator('section.pane');

  it(env, 'a message typed by one appears for the other without a reload', async () => {
    await send(main(A), 'Hello from Alice 👋');
    await visible(message(A, 'Hello from Alice'));
    await visible(message(B, 'Hello from Alice'));
    await send(main(B), 'Hi Alice, the build is green');
    await visible(message(A, 'the build is green'));
    // Each appears once, however it arrived (the post's answer and the event stream).
    await count(message(A, 'Hello from Alice'), 1);
    await count(message(B, 'Hello from Alice'), 1);
    await hasText(message(B, 'Hello from Alice'), 'Alice Chen');
    await screenshot(A, 'group-chat');
  });

  it(env, 'a reply in a thread shows as a reply count for the other', async () => {
    const root = message(main(B), 'Hello from Alice');
    await root.hover();
    await root.getByRole('button', { name: 'Reply in thread' }).click();
    const panel = B.getByTestId('thread-panel');
    await visible(panel);
    await hasText(panel, 'Hello from Alice');
    await send(panel, 'Replying in the thread');
    await visible(message(panel, 'Replying in the thread'));

    const link = message(main(A), 'Hello from Alice').getByRole('button', { name: '1 reply' });
    await visible(link);
    await link.click();
    const panelA = A.getByTestId('thread-panel');
    await visible(message(panelA, 'Replying in the thread'));
    await screenshot(A, 'thread-open');

    // Alice answers in the thread; Bob's open thread gets it live, and the count grows.
    await send(panelA, 'Thanks, Bob');
    await visible(message(panel, 'Thanks, Bob'));
    await visible(message(main(B), 'Hello from Alice').getByRole('button', { name: '2 replies' }));
    // The replies stay out of the main timeline.
    await count(message(main(A), 'Replying in the thread'), 0);
    await panelA.getByRole('button', { name: 'Close' }).click();
    await gone(panelA);
    await B.getByTestId('thread-panel').getByRole('button', { name: 'Close' }).click();
  });

  it(env, 'reactions show for both, with counts', async () => {
    const mine = message(main(A), 'the build is green');
    await mine.hover();
    await mine.getByRole('button', { name: 'Add reaction' }).click();
    await A.getByRole('menuitem', { name: '👍' }).click();
    const onA = message(main(A), 'the build is green').locator('.reaction', { hasText: '👍' });
    await hasText(onA, '1');
    assert.equal(await onA.getAttribute('aria-pressed'), 'true');
    const onB = message(main(B), 'the build is green').locator('.reaction', { hasText: '👍' });
    await hasText(onB, '1');
    assert.equal(await onB.getAttribute('aria-pressed'), 'false');
    // Bob adds his by pressing the same reaction.
    await onB.click();
    await hasText(onB, '2');
    await hasText(onA, '2');
    // … and takes it back.
    await onB.click();
    await hasText(onA, '1');
  });

  it(env, 'a message in another group shows as unread in the sidebar until opened', async () => {
    const randomOnB = B.locator(`[data-testid="group-list"] a[data-group-id="${env.random.id}"]`);
    await count(randomOnB.getByTestId('unread-count'), 0);
    await openGroup(A, env.random);
    await send(main(A), 'Lunch at noon?');
    await send(main(A), 'The usual place');
    await hasText(randomOnB.getByTestId('unread-count'), '2');
    await screenshot(B, 'unread-count');
    // The group Bob is looking at has none.
    await count(B.locator(`[data-testid="group-list"] a[data-group-id="${env.launch.id}"]`).getByTestId('unread-count'), 0);

    await openGroup(B, env.random);
    await visible(message(B, 'Lunch at noon?'));
    await count(randomOnB.getByTestId('unread-count'), 0);
    // Read on the server too: after a reload the count stays away.
    await B.reload();
    await visible(B.getByTestId('group-list'));
    await visible(message(B, 'The usual place'));
    await count(randomOnB.getByTestId('unread-count'), 0);
    await openGroup(A, env.launch);
    await openGroup(B, env.launch);
  });

  it(env, 'editing and deleting a message reach the other person', async () => {
    await send(main(A), 'Meeting at 3pm');
    await visible(message(B, 'Meeting at 3pm'));
    const mine = message(main(A), 'Meeting at 3pm');
    await mine.hover();
    await mine.getByRole('button', { name: 'Edit' }).click();
    const editor = main(A).locator('.msg textarea');
    await visible(editor);
    await editor.fill('Meeting at 4pm');
    await editor.press('Enter');
    await visible(message(main(A), 'Meeting at 4pm'));
    await hasText(message(main(A), 'Meeting at 4pm'), '(edited)');
    await visible(message(B, 'Meeting at 4pm'));
    await hasText(message(B, 'Meeting at 4pm'), '(edited)');
    await count(message(B, 'Meeting at 3pm'), 0);

    const edited = message(main(A), 'Meeting at 4pm');
    await edited.hover();
    await edited.getByRole('button', { name: 'Delete' }).click();
    await count(message(A, 'Meeting at 4pm'), 0);
    await count(message(B, 'Meeting at 4pm'), 0);
    await visible(message(B, 'This message was deleted.'));
  });

  it(env, '@ suggests the group’s people and the pick is sent as a mention', async () => {
    const box = main(A).getByTestId('composer');
    await box.click();
    await box.pressSequentially('Can you check this @');
    const list = A.getByTestId('mention-list');
    await visible(list);
    await hasText(list, 'Bob Li');
    await hasText(list, '@all');
    await screenshot(A, 'mention-autocomplete');
    await list.getByRole('option', { name: /Bob Li/ }).click();
    await until(async () => (await box.inputValue()) === 'Can you check this @Bob Li ', 'the mention in the composer');
    await box.pressSequentially('today');
    await box.press('Enter');
    const sent = message(main(A), 'Can you check this');
    await visible(sent);
    const mention = sent.locator('.mention');
    await hasText(mention, '@Bob Li');
    // For Bob it is a mention of him (highlighted), and it opens his profile.
    const onB = message(B, 'Can you check this').locator('.mention');
    await hasText(onB, '@Bob Li');
    await until(async () => (await onB.getAttribute('class'))?.includes('me'), 'the mention to be marked as Bob’s own');
    await mention.click();
    await hasText(A.getByTestId('profile-card'), 'Bob Li');
    await A.keyboard.press('Escape');
    await gone(A.getByTestId('profile-card'));
  });

  // Known bug (see the report): the suggestions of an earlier keystroke can arrive after
  // those of a later one (lower-case queries also ask the directory), and picking then
  // splices the name over the old, shorter query: "@bo" becomes "@Bob Li o". A slow answer
  // for "b" makes the race certain here.
  it(
    env,
    'typing fast after @ and picking never leaves stray letters',
    async () => {
      const box = main(A).getByTestId('composer');
      await A.route(/\/api\/v1\/people\?q=b&/, async (route) => {
        await sleep(400);
        await route.continue();
      });
      try {
        await box.click();
        await box.fill('');
        await box.pressSequentially('Ping @bo');
        await visible(A.getByTestId('mention-list'));
        await sleep(700); // both answers are in
        await A.getByTestId('mention-list').getByRole('option', { name: /Bob Li/ }).click();
        await until(async () => (await box.inputValue()) === 'Ping @Bob Li ', 'the composer to read "Ping @Bob Li "', 3000).catch(() => {});
        assert.equal(await box.inputValue(), 'Ping @Bob Li ');
      } finally {
        await A.unrouteAll();
        await box.fill('');
      }
    },
  );

  it(env, 'a file attached by one is shown to the other: an image inline, a document to download', async () => {
    // A 1×1 PNG and a small text file, picked through the composer's file input.
    const png = Buffer.from(
      '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
        '1f15c4890000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082',
      'hex',
    );
    await main(A).getByTestId('file-input').setInputFiles([
      { name: '现场照片.png', mimeType: 'image/png', buffer: png },
      { name: 'agenda.txt', mimeType: 'text/plain', buffer: Buffer.from('1. build\n2. ship\n') },
    ]);
    // Both upload before the post goes; the composer says which are still going.
    await until(async () => (await main(A).locator('.pending-file').count()) === 2, 'two pending files');
    await until(async () => !(await main(A).locator('.pending-file').first().textContent()).includes('…'), 'the uploads to finish');
    await send(main(A), 'Photos from the site');
    const got = message(main(B), 'Photos from the site');
    await visible(got);
    const img = got.getByTestId('attachments').locator('img[alt="现场照片.png"]');
    await visible(img);
    // The image really loads for Bob (his session may read what the message carries).
    await until(async () => (await img.evaluate((el) => el.complete && el.naturalWidth)) === 1, 'the image to load for Bob');
    const doc = got.getByTestId('attachments').getByRole('link', { name: /agenda\.txt/ });
    await visible(doc);
    const href = await doc.getAttribute('href');
    const res = await B.evaluate(async (url) => {
      const r = await fetch(url);
      return { status: r.status, text: await r.text() };
    }, href);
    assert.deepEqual(res, { status: 200, text: '1. build\n2. ship\n' });
    await screenshot(B, 'attachments');
  });

  it(env, 'a new interest group is made in the client, and the other finds and joins it', async () => {
    await A.getByTestId('new-group').click();
    const form = A.getByTestId('create-group');
    await form.getByLabel('Name').fill('Book club');
    await form.getByLabel('Kind').selectOption('interest');
    await form.getByRole('button', { name: 'Create' }).click();
    await until(async () => (await A.getByTestId('group-title').textContent()) === '# Book club', 'the new group to open');
    await B.getByTestId('browse-groups').click();
    const dialog = B.getByRole('dialog', { name: 'Browse groups' });
    await hasText(dialog, 'Book club');
    await dialog.getByRole('button', { name: 'Join' }).click();
    await until(async () => (await B.getByTestId('group-title').textContent()) === '# Book club', 'Bob to be in the group');
    await visible(B.getByTestId('group-list').getByRole('link', { name: /Book club/ }));
    // Alice hears that Bob joined: the member count follows.
    await until(async () => (await A.getByTestId('members-button').getAttribute('title')) === '2 members', 'Alice to see 2 members');
    await send(main(B), 'Count me in');
    await visible(message(main(A), 'Count me in'));
    await openGroup(A, env.launch);
    await openGroup(B, env.launch);
  });

  it(env, 'the keyboard moves between groups: Ctrl+K to jump by name, Alt+arrows to step', async () => {
    await A.keyboard.press('Control+k');
    await A.getByTestId('quick-switch').fill('rand');
    await A.keyboard.press('Enter');
    await until(async () => (await A.getByTestId('group-title').textContent()) === '# Random', 'Random to open');
    await A.keyboard.press('Alt+ArrowUp');
    await until(async () => (await A.getByTestId('group-title').textContent()) !== '# Random', 'the previous group to open');
    await openGroup(A, env.launch);
  });

  it(env, 'after going offline, what was missed arrives on reconnecting', async () => {
    const context = B.context();
    // The network drops: the browser is offline and Bob's connections are cut.
    await context.setOffline(true);
    proxy.cut();
    // The client notices the socket closing and says it is reconnecting.
    await visible(B.getByText('Reconnecting…'));
    await screenshot(B, 'reconnecting');
    await env.admin.postMessage(env.launch.id, 'Posted while Bob was offline');
    await send(main(A), 'Also sent while Bob was offline');
    await sleep(300);
    await count(message(B, 'while Bob was offline'), 0);
    proxy.restore();
    await context.setOffline(false);
    await visible(message(B, 'Posted while Bob was offline'), 20_000);
    await visible(message(B, 'Also sent while Bob was offline'));
    await gone(B.getByText('Reconnecting…'));
    // In order, once each.
    await count(message(B, 'Posted while Bob was offline'), 1);
    const texts = await main(B).getByTestId('message').allTextContents();
    const i = texts.findIndex((x) => x.includes('Posted while Bob'));
    const j = texts.findIndex((x) => x.includes('Also sent while Bob'));
    assert.ok(i >= 0 && j > i, 'the missed messages in the order they were sent');
    // And live delivery works again.
    await send(main(A), 'Welcome back');
    await visible(message(B, 'Welcome back'));
  });

  it(env, 'on a phone-sized screen the group fills the screen and the menu opens the sidebar', async () => {
    const { context, page } = await openAs(env.browser, env.server, 'alice@example.com', `/g/${env.launch.id}`, {
      viewport: { width: 375, height: 812 },
      isMobile: true,
      hasTouch: true,
    });
    await hasText(page.getByTestId('group-title'), 'Launch');
    await visible(message(page, 'Welcome back'));
    await visible(page.getByTestId('composer'));
    // The sidebar is off screen until the menu button opens it.
    const box = await page.getByTestId('composer').boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375 + 1, `the composer fits the screen: ${JSON.stringify(box)}`);
    await screenshot(page, 'phone-group');
    await page.getByRole('button', { name: 'Menu' }).click();
    await until(async () => {
      const b = await page.getByTestId('group-list').boundingBox();
      return b && b.x >= 0;
    }, 'the sidebar to slide in');
    await sleep(250); // the slide-in transition, for the picture
    await screenshot(page, 'phone-sidebar');
    await page.locator(`[data-testid="group-list"] a[data-group-id="${env.random.id}"]`).click();
    await hasText(page.getByTestId('group-title'), 'Random');
    await context.close();
  });
});
