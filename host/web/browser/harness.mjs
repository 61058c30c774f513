// The browser tests' harness: a real `courtyard serve` per test file (its own temporary
// data directory and port), a small API client for seeding, Chromium through
// playwright-core, screenshots, and polling waits (playwright-core has no `expect`).
//
// Environment (set by `cargo xtask test`):
//   COURTYARD_BIN                  the host binary (default: ../../target/debug/courtyard)
//   COURTYARD_BUNDLED_PLUGINS_DIR  built plugin packages (default: ../../target/bundled-plugins)
//   COURTYARD_SCREENSHOTS          where PNG screenshots go (default: $TMPDIR/courtyard-screenshots)
//   CHROMIUM                       the browser (default: /usr/bin/chromium)
//
// The host serves the web client from host/web/dist: run `npx vite build` first.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');

export const BIN = process.env.COURTYARD_BIN || join(repo, 'target/debug/courtyard');
export const PLUGINS_DIR = process.env.COURTYARD_BUNDLED_PLUGINS_DIR || join(repo, 'target/bundled-plugins');
export const SHOTS = process.env.COURTYARD_SCREENSHOTS || join(tmpdir(), 'courtyard-screenshots');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'admin password 123';
/** Every seeded person signs in with this. */
export const PASSWORD = 'correct horse battery';

/** Waits used everywhere (ms). */
export const WAIT = 10_000;

// ---------------------------------------------------------------------------------------
// The server

async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/**
 * The environment for the host: ours without any `COURTYARD_*` variable (the host refuses
 * unknown ones, and COURTYARD_BIN / COURTYARD_SCREENSHOTS are meant for this harness),
 * plus the bundled plugins' directory.
 */
function hostEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('COURTYARD_')) env[k] = v;
  env.COURTYARD_BUNDLED_PLUGINS_DIR = PLUGINS_DIR;
  env.RUST_LOG = process.env.RUST_LOG || 'info';
  // The tests seed hundreds of messages as one person through the API; the per-person post
  // limit has its own end-to-end test (messaging::posting_too_fast_is_refused_and_stores_nothing).
  env.COURTYARD_POSTS_PER_MINUTE = '0';
  return env;
}

/** Runs the host binary with `args` (e.g. `plugin keygen …`); resolves to what it printed on stdout. */
export function cli(args, options = {}) {
  return run(BIN, args, options);
}

function run(cmd, args, { input } = {}) {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { env: hostEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? ok(out) : fail(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${out}\n${err}`))));
    child.stdin.end(input ?? '');
  });
}

/** Servers still running: killed if this process ends without stopping them. */
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `courtyard serve` on a free port with a fresh data directory. With `bootstrap`
 * (the default) the platform admin exists first (admin@example.com in org "Acme").
 * `config` is TOML for the data directory's `courtyard.toml` (e.g. an `[smtp]` section).
 */
export async function startServer({ bootstrap = true, config } = {}) {
  if (!existsSync(BIN)) throw new Error(`no host binary at ${BIN} (set COURTYARD_BIN)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'courtyard-browser-'));
  if (config) writeFileSync(join(dataDir, 'courtyard.toml'), config);
  if (bootstrap) {
    try {
      await run(BIN, ['admin', 'bootstrap', '--email', ADMIN_EMAIL, '--name', 'Platform Admin', '--org-name', 'Acme', '--data-dir', dataDir], {
        input: `${ADMIN_PASSWORD}\n`,
      });
    } catch (e) {
      rmSync(dataDir, { recursive: true, force: true });
      throw e;
    }
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir], {
    env: hostEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  let exited = null;
  running.add(child);
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    running.delete(child);
  });

  const server = {
    url,
    port,
    dataDir,
    /** Everything the server printed so far. */
    log: () => log,
    async stop() {
      if (exited === null) {
        child.kill('SIGTERM');
        const done = new Promise((ok) => child.once('exit', ok));
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await done;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      await server.stop();
      throw new Error(`courtyard serve exited early (${JSON.stringify(exited)}):\n${log}`);
    }
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`courtyard serve did not answer /healthz within 30 s:\n${log}`);
    }
    await sleep(100);
  }
  // The client must have been built: the host serves it from host/web/dist.
  const index = await fetch(`${url}/`).then((r) => r.text());
  if (!index.includes('<div id="app">') || index.includes('/src/main.tsx')) {
    await server.stop();
    throw new Error('the host does not serve a built web client: run `npx vite build` in host/web first');
  }
  return server;
}

/**
 * A TCP proxy in front of the server whose connections can be cut, to drop a browser's
 * network for real (Chromium's offline emulation leaves open WebSockets alone).
 * `cut()` closes every connection and refuses new ones until `restore()`.
 */
export async function startProxy(server) {
  const sockets = new Set();
  let down = false;
  const proxy = createServer((client) => {
    if (down) return client.destroy();
    const upstream = connect(server.port, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((ok) => proxy.listen(0, '127.0.0.1', ok));
  const { port } = proxy.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      down = false;
    },
    close() {
      this.cut();
      return new Promise((ok) => proxy.close(() => ok()));
    },
  };
}

/** The one-time setup token the server printed at its first start. */
export async function setupToken(server) {
  const text = await until(() => /First-run setup token: (\S+)/.exec(server.log())?.[1], 'the setup token in the server log');
  return text;
}

// ---------------------------------------------------------------------------------------
// The API client (for seeding)

export class ApiError extends Error {
  constructor(method, path, status, body) {
    super(`${method} ${path} → ${status}: ${typeof body === 'string' ? body : JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

export class Api {
  constructor(base, token = null) {
    this.base = base;
    this.token = token;
  }

  async request(method, path, body) {
    const headers = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let data = text;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep the text */
    }
    if (!res.ok) throw new ApiError(method, path, res.status, data);
    return data;
  }

  get(path) {
    return this.request('GET', path);
  }
  post(path, body = {}) {
    return this.request('POST', path, body);
  }
  put(path, body = {}) {
    return this.request('PUT', path, body);
  }
  patch(path, body = {}) {
    return this.request('PATCH', path, body);
  }
  del(path) {
    return this.request('DELETE', path);
  }

  /** Signs in; returns a client holding the token (and `.person`). */
  static async login(base, email, password = PASSWORD) {
    const anon = new Api(base);
    const s = await anon.post('/api/v1/auth/login', { email, password });
    const api = new Api(base, s.token);
    api.person = s.person;
    return api;
  }

  // Seeding helpers -------------------------------------------------------------------

  me() {
    return this.get('/api/v1/me');
  }
  createOrg(name) {
    return this.post('/api/v1/orgs', { name });
  }
  /** {email, display_name, role?, password?, department_id?, title?, company?} */
  createPerson(orgId, person) {
    return this.post(`/api/v1/orgs/${orgId}/people`, { password: PASSWORD, ...person });
  }
  /** {kind, name, org_id?, parent_id?, head_id?, member_ids?} */
  createGroup(group) {
    return this.post('/api/v1/groups', group);
  }
  createDepartment(orgId, name, extra = {}) {
    return this.createGroup({ kind: 'department', name, org_id: orgId, ...extra });
  }
  createTeam(name, memberIds = [], extra = {}) {
    return this.createGroup({ kind: 'team', name, member_ids: memberIds, ...extra });
  }
  addMember(groupId, personId, role) {
    return this.post(`/api/v1/groups/${groupId}/members`, role ? { person_id: personId, role } : { person_id: personId });
  }
  /** Installs a bundled plugin for an organization, granting all it asks for. */
  installPlugin(orgId, pluginId) {
    return this.post(`/api/v1/orgs/${orgId}/plugins`, { plugin_id: pluginId });
  }
  enablePlugin(groupId, pluginId, settings) {
    return this.put(`/api/v1/groups/${groupId}/plugins/${pluginId}`, settings ? { settings } : {});
  }
  postMessage(groupId, body, extra = {}) {
    return this.post(`/api/v1/groups/${groupId}/messages`, { body, client_txn_id: `t-${Math.random().toString(36).slice(2)}`, ...extra });
  }
}

/** The platform admin's client (the server must have been bootstrapped). */
export function adminApi(server) {
  return Api.login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
}

// ---------------------------------------------------------------------------------------
// The browser

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A fresh browser context (its own cookies and storage) at the server. */
export async function newContext(browser, server, options = {}) {
  const context = await browser.newContext({
    baseURL: server.url,
    locale: 'en-US',
    viewport: { width: 1280, height: 800 },
    ...options,
  });
  context.setDefaultTimeout(WAIT);
  return context;
}

/** Signs the context in through the API (the session cookie), without the sign-in form. */
export async function signInContext(context, email, password = PASSWORD) {
  const res = await context.request.post('/api/v1/auth/login', { data: { email, password } });
  if (!res.ok()) throw new Error(`sign-in of ${email} failed: ${res.status()} ${await res.text()}`);
  return res.json();
}

/** A signed-in page at `path`, once the shell (the group list) is on screen. */
export async function openAs(browser, server, email, path = '/', options = {}) {
  const { password, ...contextOptions } = options;
  const context = await newContext(browser, server, contextOptions);
  await signInContext(context, email, password);
  const page = await context.newPage();
  await page.goto(path);
  await page.getByTestId('group-list').waitFor();
  return { context, page };
}

/** Opens a group by clicking it in the sidebar; waits for its title and message list. */
export async function openGroup(page, group) {
  await page.locator(`[data-testid="group-list"] a[data-group-id="${group.id}"]`).click();
  await until(async () => (await page.getByTestId('group-title').textContent())?.includes(group.name), `group ${group.name} open`);
  await page.getByTestId('message-list').waitFor();
}

/** Types into the (first visible) composer of `scope` and presses Enter. */
export async function send(scope, text) {
  const box = scope.getByTestId('composer').first();
  await box.click();
  await box.fill(text);
  await box.press('Enter');
  // The composer empties once the message is accepted.
  await until(async () => (await box.inputValue()) === '', 'the composer to clear after sending');
}

/** The message (data-testid="message") whose text contains `text`. */
export function message(scope, text) {
  return scope.getByTestId('message').filter({ hasText: text });
}

let shotCount = 0;
/** Saves a full-page PNG named `name` into COURTYARD_SCREENSHOTS. */
export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  shotCount++;
  return file;
}

// ---------------------------------------------------------------------------------------
// Waiting

export function sleep(ms) {
  return new Promise((ok) => setTimeout(ok, ms));
}

/**
 * Polls `check` (sync or async) until it returns something truthy; returns that. Throws
 * with `what` after `timeout` ms. Exceptions inside `check` count as "not yet".
 */
export async function until(check, what = 'condition', timeout = WAIT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? `: ${last.message}` : last !== undefined ? ` (last: ${JSON.stringify(last)})` : '';
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${detail}`);
    }
    await sleep(50);
  }
}

/** Waits until `locator` is visible. */
export async function visible(locator, timeout = WAIT) {
  await locator.first().waitFor({ state: 'visible', timeout });
  return locator;
}

/** Waits until `locator` matches nothing visible. */
export async function gone(locator, timeout = WAIT) {
  await until(async () => (await locator.count()) === 0 || !(await locator.first().isVisible()), `${locator} to disappear`, timeout);
}

/** Waits until the locator's text contains `text` (a string or RegExp); returns the text. */
export async function hasText(locator, text, timeout = WAIT) {
  return until(
    async () => {
      const got = (await locator.first().textContent({ timeout: 1000 })) ?? '';
      return (typeof text === 'string' ? got.includes(text) : text.test(got)) && got;
    },
    `${locator} to contain ${text}`,
    timeout,
  );
}

/** Waits until `locator.count()` equals `n`. */
export async function count(locator, n, timeout = WAIT) {
  await until(async () => (await locator.count()) === n, `${locator} to match ${n} element(s)`, timeout);
}

// ---------------------------------------------------------------------------------------
// Suites: one server and one browser per test file

/**
 * Registers before/after hooks that start a server (and Chromium) for this file and stop
 * them at the end. Returns an object whose `server`, `browser` and `admin` (the platform
 * admin's API client) are filled in before the first test. `seed(env)` runs after start;
 * `config` is passed to `startServer`: TOML, or a function (may be async) given `env` that
 * returns it, called first — to make what the configuration points at (keys, directories).
 */
export function useServer({ bootstrap = true, seed, config } = {}) {
  const env = { server: null, browser: null, admin: null, failed: false };
  before(async () => {
    try {
      env.server = await startServer({ bootstrap, config: typeof config === 'function' ? await config(env) : config });
      env.browser = await launchBrowser();
      if (bootstrap) env.admin = await adminApi(env.server);
      if (seed) await seed(env);
    } catch (e) {
      env.failed = true;
      throw e;
    }
  });
  after(async () => {
    if (env.failed && env.server) {
      process.stderr.write(`\n----- courtyard serve (${env.server.url}) log -----\n${env.server.log().slice(-20000)}\n----- end of server log -----\n`);
    }
    await env.browser?.close().catch(() => {});
    await env.server?.stop().catch(() => {});
    if (shotCount) process.stderr.write(`browser tests: screenshots (${shotCount} from this file) are in ${SHOTS}\n`);
  });
  return env;
}

/**
 * `test` that, when the body throws, saves a screenshot of every open page (FAIL-…) and
 * marks the file failed so the server's log is printed at the end.
 */
export function it(env, name, fn, options = {}) {
  const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
  return test(name, options, async (t) => {
    // Failure pictures of an earlier run of this test would mislead.
    try {
      for (const f of readdirSync(SHOTS)) if (f.startsWith(`FAIL-${slug}-`) || f.startsWith(`TODO-${slug}-`)) rmSync(join(SHOTS, f));
    } catch {
      /* no folder yet */
    }
    try {
      await fn(t);
    } catch (e) {
      // An expected failure (`todo`) does not need the server's log.
      if (!options.todo) env.failed = true;
      let i = 0;
      for (const context of env.browser?.contexts() ?? []) {
        for (const page of context.pages()) {
          await screenshot(page, `${options.todo ? 'TODO' : 'FAIL'}-${slug}-${i++}`).catch(() => {});
        }
      }
      throw e;
    }
  });
}
