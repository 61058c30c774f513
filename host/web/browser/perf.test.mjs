// Figures, not gates: how long the client takes to show a group after sign-in, and how long
// a message takes from one person's Enter to the other person's screen. Printed for
// docs/benchmarks.md; the assertions only check that every message arrived.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { Api, it, openAs, openGroup, until, useServer } from './harness.mjs';

const MESSAGES = 40;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

describe('client figures', () => {
  const env = useServer({
    async seed(env) {
      const me = await env.admin.me();
      env.alice = await env.admin.createPerson(me.org_id, { email: 'perf.alice@example.com', display_name: 'Alice' });
      env.bob = await env.admin.createPerson(me.org_id, { email: 'perf.bob@example.com', display_name: 'Bob' });
      env.team = await env.admin.createTeam('Perf', [env.alice.id, env.bob.id]);
      // A group with history to scroll back through.
      const alice = await Api.login(env.server.url, 'perf.alice@example.com');
      for (let i = 0; i < 300; i++) await alice.postMessage(env.team.id, `history ${i}`);
    },
  });

  it(env, 'time to a group on screen, and Enter-to-screen latency between two people', async () => {
    const started = Date.now();
    const { page: A } = await openAs(env.browser, env.server, 'perf.alice@example.com');
    await openGroup(A, env.team);
    await until(async () => (await A.getByTestId('message').count()) >= 50, 'the latest page of history');
    const toGroup = Date.now() - started;
    const { page: B } = await openAs(env.browser, env.server, 'perf.bob@example.com');
    await openGroup(B, env.team);
    // Bob's page notes when each message appears; Alice's notes when Enter was pressed.
    await B.evaluate(() => {
      window.__seen = {};
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[data-testid="message"]')) {
          const m = /latency-(\d+)/.exec(el.textContent || '');
          if (m && !window.__seen[m[1]]) window.__seen[m[1]] = performance.timeOrigin + performance.now();
        }
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    const box = A.getByTestId('composer').first();
    const sentAt = {};
    for (let i = 0; i < MESSAGES; i++) {
      await box.fill(`latency-${i}`);
      sentAt[i] = await A.evaluate(() => performance.timeOrigin + performance.now());
      await box.press('Enter');
      await until(async () => (await box.inputValue()) === '', 'the composer to clear');
    }
    await until(async () => Object.keys(await B.evaluate(() => window.__seen)).length === MESSAGES, 'every message on Bob’s screen');
    const seen = await B.evaluate(() => window.__seen);
    const latencies = Object.keys(sentAt)
      .map((i) => seen[i] - sentAt[i])
      .sort((a, b) => a - b);
    assert.equal(latencies.length, MESSAGES);
    const fmt = (n) => `${n.toFixed(0)} ms`;
    console.log(
      `client figures: sign-in to a group with 50 of 300 messages on screen: ${fmt(toGroup)}; ` +
        `Enter → the other person's screen over ${MESSAGES} messages: p50 ${fmt(percentile(latencies, 50))}, ` +
        `p95 ${fmt(percentile(latencies, 95))}, max ${fmt(latencies[latencies.length - 1])}`,
    );
  });
});
