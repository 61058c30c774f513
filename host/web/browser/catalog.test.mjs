// Plugin packages in the admin console. Set up with the real CLI: a publisher key
// (`plugin keygen`), dice packed (`plugin pack`) with an icon and screenshots added, signed
// (`plugin sign`) as 0.1.0 and as 0.2.0, and listed in a catalog directory (`plugin catalog
// add`) next to versions built for a contract this server does not run; the server trusts
// that key and reads that catalog. An org admin browses the catalog (publisher, trust,
// icon, other versions, "Not compatible"), installs 0.1.0 after the review (description,
// screenshots, capabilities), upgrades to 0.2.0 from the installed list. In another
// organization, in Chinese: a tampered package is refused in Chinese, an unsigned one
// installs only once the risk is acknowledged.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe } from 'node:test';
import { fileURLToPath } from 'node:url';
import { crc32, inflateRawSync } from 'node:zlib';
import { Api, cli, gone, hasText, it, launchBrowser, openAs, screenshot, until, useServer, visible } from './harness.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

// ---------------------------------------------------------------------------------------
// ZIP files, enough to put files into a package before it is signed (or after, to tamper)

function readZip(buf) {
  let end = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  assert.ok(end >= 0, 'a ZIP file');
  const entries = [];
  let p = buf.readUInt32LE(end + 16);
  for (let n = buf.readUInt16LE(end + 10); n > 0; n--) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50, 'a central directory entry');
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + size);
    entries.push({ name, data: method === 0 ? Buffer.from(raw) : inflateRawSync(raw) });
    p += 46 + nameLen + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  return entries;
}

/** A ZIP file of `entries` ({name, data}), stored uncompressed. */
function writeZip(entries) {
  const parts = [];
  const central = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBuf = Buffer.from(name);
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    parts.push(local, nameBuf, data);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x21, 14);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBuf.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, nameBuf);
    offset += 30 + nameBuf.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

/** Rewrites the package at `file`: `change(entries)` returns the new entries. */
function rewritePackage(file, change) {
  writeFileSync(file, writeZip(change(readZip(readFileSync(file)))));
}

// ---------------------------------------------------------------------------------------
// Pictures for the package, drawn by Chromium

const ICON = `<body style="margin:0;background:transparent">
  <div style="width:128px;height:128px;border-radius:28px;background:linear-gradient(135deg,#3b6fe0,#7c4ddb);display:flex;align-items:center;justify-content:center">
    <div style="width:72px;height:72px;border-radius:14px;background:#fff;display:grid;grid-template:repeat(3,1fr)/repeat(3,1fr);padding:8px;box-sizing:border-box;box-shadow:0 4px 10px rgba(0,0,0,.25)">
      ${[1, 0, 1, 0, 1, 0, 1, 0, 1].map((on) => `<span style="margin:auto;width:12px;height:12px;border-radius:50%;background:${on ? '#1d2433' : 'transparent'}"></span>`).join('')}
    </div>
  </div></body>`;

const shot = (title, body) => `<body style="margin:0;font:15px system-ui,sans-serif;background:#f4f6fa;color:#1d2433">
  <div style="padding:28px">
    <div style="font-weight:600;color:#5b6475;margin-bottom:12px">${title}</div>
    <div style="background:#fff;border-radius:12px;box-shadow:0 2px 8px rgba(0,0,0,.08);padding:18px 20px;max-width:520px">${body}</div>
  </div></body>`;

const SHOTS = [
  shot('#game-night', `<div style="font-size:17px;font-weight:600">🎲 Li Na rolled 17</div><div style="color:#5b6475;margin:6px 0 14px">d20 · roll #12 in this group</div><span style="display:inline-block;background:#2f64d6;color:#fff;border-radius:6px;padding:6px 12px">Roll again</span>`),
  shot('Tally', `<table style="border-collapse:collapse;width:100%">${[['Li Na', 5], ['Zhang San', 4], ['Wang Wu', 3]].map(([n, c]) => `<tr><td style="padding:6px 0">${n}</td><td style="text-align:right">${c} rolls</td></tr>`).join('')}</table>`),
];

async function drawPictures() {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
    await page.setContent(ICON);
    const icon = await page.screenshot({ omitBackground: true });
    await page.setViewportSize({ width: 640, height: 300 });
    const shots = [];
    for (const html of SHOTS) {
      await page.setContent(html);
      shots.push(await page.screenshot());
    }
    return { icon, shots };
  } finally {
    await browser.close();
  }
}

// ---------------------------------------------------------------------------------------

describe('plugin catalog and packages', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'courtyard-catalog-'));
  const files = {
    key: join(tmp, 'labs.key'),
    v1: join(tmp, 'dice-0.1.0.cyplugin'),
    v2: join(tmp, 'dice-0.2.0.cyplugin'),
    unsigned: join(tmp, 'dice-unsigned.cyplugin'),
    // The same files in another ZIP (stored, not deflated): the same package, other bytes.
    unsignedCopy: join(tmp, 'dice-unsigned-copy.cyplugin'),
    unsignedThird: join(tmp, 'dice-unsigned-third.cyplugin'),
    tampered: join(tmp, 'dice-tampered.cyplugin'),
    catalog: join(tmp, 'catalog'),
  };
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const env = useServer({
    async config() {
      const keygen = await cli(['plugin', 'keygen', '--out', files.key]);
      const key = /ed25519:[A-Za-z0-9+/=]+/.exec(keygen)?.[0];
      assert.ok(key, `a public key in: ${keygen}`);
      const { icon, shots } = await drawPictures();
      const pictures = [{ name: 'icon.png', data: icon }, ...shots.map((data, i) => ({ name: `screenshots/${i + 1}.png`, data }))];

      await cli(['plugin', 'pack', join(repo, 'plugins/dice'), '--out', files.v1]);
      await cli(['plugin', 'pack', join(repo, 'plugins/dice'), '--out', files.unsigned]);
      writeFileSync(files.unsignedCopy, writeZip(readZip(readFileSync(files.unsigned))));
      writeFileSync(files.unsignedThird, writeZip([...readZip(readFileSync(files.unsigned))].reverse()));
      // 0.1.0 with pictures; 0.2.0 the same with another version in its manifest.
      rewritePackage(files.v1, (entries) => [...entries, ...pictures]);
      writeFileSync(files.v2, readFileSync(files.v1));
      rewritePackage(files.v2, (entries) =>
        entries.map((e) => (e.name === 'courtyard.toml' ? { ...e, data: Buffer.from(e.data.toString().replace(/^version = "0\.1\.0"/m, 'version = "0.2.0"')) } : e)),
      );
      for (const file of [files.v1, files.v2]) {
        await cli(['plugin', 'sign', file, '--key', files.key, '--publisher', 'Courtyard Labs']);
        await cli(['plugin', 'catalog', 'add', files.catalog, file, '--name', 'Labs']);
      }
      // Signed, then changed: the signature no longer matches.
      writeFileSync(files.tampered, readFileSync(files.v1));
      rewritePackage(files.tampered, (entries) => [...entries, { name: 'screenshots/3.png', data: shots[0] }]);

      // Versions built for a contract this server does not run (never downloaded).
      const indexFile = join(files.catalog, 'index.json');
      const index = JSON.parse(readFileSync(indexFile, 'utf8'));
      const v1 = index.packages.find((p) => p.version === '0.1.0');
      assert.equal(v1.sha256, createHash('sha256').update(readFileSync(files.v1)).digest('hex'));
      index.packages.push(
        { ...v1, version: '9.0.0', wit: '9.0.0', icon_base64: null },
        { ...v1, id: 'weather', version: '1.0.0', wit: '9.0.0', name: { en: 'Weather', 'zh-CN': '天气' }, summary: { en: 'Forecasts in a group', 'zh-CN': '在群里查看天气预报' }, capabilities: ['http', 'messages'], icon_base64: null },
      );
      writeFileSync(indexFile, JSON.stringify(index, null, 2));

      env.key = key;
      return `trusted_publishers = [{ name = "Courtyard Labs", key = "${key}" }]\nplugin_catalogs = [${JSON.stringify(files.catalog)}]\n`;
    },
    async seed(env) {
      const { org_id: org } = await env.admin.me();
      env.org = org;
      await env.admin.createPerson(org, { email: 'li.na@example.com', display_name: '李娜', role: 'org_admin' });
      env.li = await Api.login(env.server.url, 'li.na@example.com');
      const globex = await env.admin.createOrg('Globex');
      env.globex = globex.id;
      await env.admin.createPerson(globex.id, { email: 'wu.min@globex.example', display_name: '吴敏', role: 'org_admin' });
      env.wu = await Api.login(env.server.url, 'wu.min@globex.example');
    },
  });

  /** The admin console's plugins page as `email`. */
  async function openPlugins(email, options = {}) {
    const { page, context } = await openAs(env.browser, env.server, email, '/', options);
    await page.getByTestId('admin-link').click();
    await until(() => new URL(page.url()).pathname.startsWith('/admin'), 'the admin console');
    await page.getByTestId('admin-tab-plugins').click();
    await visible(page.getByTestId('plugins-tab-catalog'));
    return { page, context };
  }

  const loaded = (img) => img.evaluate((el) => el.complete && el.naturalWidth > 0);

  it(env, 'the catalog offers dice from a trusted publisher; install after the review, then upgrade', async () => {
    const { page, context } = await openPlugins('li.na@example.com');
    await page.getByTestId('plugins-tab-catalog').click();
    const dice = page.getByTestId('catalog-item-dice');
    await visible(dice);
    // The newest compatible version first: 9.0.0 needs a newer contract.
    assert.equal(await dice.getAttribute('data-version'), '0.2.0');
    assert.equal(await dice.getAttribute('data-state'), 'install');
    const trust = dice.getByTestId('trust').first();
    assert.equal(await trust.getAttribute('data-status'), 'trusted');
    await hasText(trust, 'Trusted');
    await hasText(trust, 'Courtyard Labs');
    await hasText(dice, 'Roll dice in a group');
    await hasText(dice, 'storage');
    await hasText(dice, /\d+ (KB|MB) · Labs/);
    // The catalog's icon, a data: URL the page's CSP lets through.
    const icon = dice.locator('img.admin-pkg-icon');
    assert.match(await icon.getAttribute('src'), /^data:image\/png;base64,/);
    await until(() => loaded(icon), 'the catalog icon to load');
    await hasText(page.getByTestId('catalog-install-dice'), 'Install');
    // A plugin with no version this server runs.
    const weather = page.getByTestId('catalog-item-weather');
    assert.equal(await weather.getAttribute('data-state'), 'incompatible');
    await hasText(weather.getByTestId('incompatible'), /Not compatible: .*9\.0\.0/);
    assert.equal(await page.getByTestId('catalog-install-weather').isDisabled(), true);
    // The bundled plugins are listed too.
    await visible(page.getByTestId('plugin-catalog').getByTestId('catalog-dice'));
    await screenshot(page, 'catalog-en');

    // Older versions are a click away; install 0.1.0.
    await dice.getByTestId('other-versions').locator('summary').click();
    const old = dice.getByTestId('catalog-version-0.1.0');
    await visible(old);
    assert.equal(await old.getAttribute('data-state'), 'install');
    const future = dice.getByTestId('catalog-version-9.0.0');
    assert.equal(await future.getAttribute('data-state'), 'incompatible');
    await hasText(future, 'Not compatible');
    await screenshot(page, 'catalog-versions-en');
    await old.getByRole('button', { name: 'Install…' }).click();

    const review = page.getByTestId('install-form');
    await visible(review);
    await hasText(review.getByTestId('review-version'), '0.1.0');
    assert.equal(await review.getByTestId('trust').getAttribute('data-status'), 'trusted');
    await hasText(review.getByTestId('trust'), 'Courtyard Labs');
    await hasText(review, 'From Labs');
    // The description is the package's markdown, shown as text.
    const description = review.getByTestId('package-description');
    await hasText(description, 'Roll dice in a group with `/roll`');
    assert.equal(await description.locator('*').count(), 0, 'no markup made from the description');
    assert.equal(await review.getByTestId('grant-storage').isChecked(), true);
    assert.equal(await review.getByTestId('risk-consent').count(), 0, 'no risk to acknowledge for a trusted publisher');
    assert.equal(await review.getByTestId('trust-warning').count(), 0);
    await until(() => loaded(review.locator('.admin-pkg-head img.admin-pkg-icon')), 'the package icon to load');
    await visible(review.getByTestId('screenshot-2'));
    await until(() => loaded(review.getByTestId('screenshot-1').locator('img')), 'the first screenshot to load');
    await screenshot(page, 'review-en');
    // A screenshot enlarges; Escape closes it and leaves the review open.
    await review.getByTestId('screenshot-1').click();
    const large = page.getByTestId('screenshot-large');
    await visible(large);
    await until(() => loaded(large.locator('img')), 'the enlarged screenshot');
    await screenshot(page, 'review-screenshot-en');
    await page.keyboard.press('Escape');
    await gone(large);
    await visible(review);

    await page.getByTestId('install-confirm').click();
    await gone(review);
    // Now the card offers the upgrade.
    await until(async () => (await dice.getAttribute('data-state')) === 'upgrade', 'dice to offer the upgrade');
    await hasText(page.getByTestId('catalog-install-dice'), 'Upgrade to 0.2.0');
    await hasText(dice, '0.1.0 installed');

    // The installed list: publisher and the upgrade on offer.
    await page.getByTestId('plugins-tab-installed').click();
    const row = page.getByTestId('installed-dice');
    await visible(row);
    await hasText(row, '0.1.0');
    await hasText(row, '0.2.0 available');
    await hasText(row.getByTestId('trust'), 'Courtyard Labs');
    await screenshot(page, 'installed-en');
    await row.getByTestId('upgrade-dice').click();
    await visible(review);
    await hasText(review.getByTestId('review-installed'), 'Upgrade from 0.1.0');
    await hasText(page.getByTestId('install-confirm'), 'Upgrade to 0.2.0');
    await page.getByTestId('install-confirm').click();
    await gone(review);
    await gone(row.getByTestId('upgrade-dice'));
    await hasText(row, '0.2.0');

    const installs = await env.li.get(`/api/v1/orgs/${env.org}/plugins`);
    assert.deepEqual(
      installs.map((i) => [i.package.id, i.package.version]),
      [['dice', '0.2.0']],
    );

    // An unsigned upload of an older dice: shown, with the warning, but not installable here.
    await page.getByTestId('upload-plugin').click();
    await visible(page.getByTestId('upload-form'));
    // (Not the file the other organization uploads below.)
    await page.getByTestId('package-file').setInputFiles(files.unsignedCopy);
    await visible(review);
    assert.equal(await review.getByTestId('trust').getAttribute('data-status'), 'unsigned');
    await hasText(review.getByTestId('trust-warning'), 'This package is not signed');
    await hasText(review, '0.2.0 is installed: this version is older');
    assert.equal(await page.getByTestId('install-confirm').isDisabled(), true);
    await screenshot(page, 'review-unsigned-older-en');
    await review.getByRole('button', { name: 'Choose another file' }).click();
    // The advanced path (manifest and component) needs the same acknowledgement.
    await page.getByTestId('legacy-upload').locator('summary').click();
    const legacy = page.getByTestId('legacy-form');
    await hasText(legacy, 'not a signed package');
    assert.equal(await legacy.getByTestId('legacy-install').isDisabled(), true);
    await legacy.getByTestId('risk-consent').check();
    assert.equal(await legacy.getByTestId('legacy-install').isDisabled(), false);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await gone(page.getByTestId('upload-form'));
    await context.close();
  });

  it(env, 'in Chinese: a tampered package is refused, an unsigned one installs once the risk is acknowledged', async () => {
    const { page, context } = await openPlugins('wu.min@globex.example', { locale: 'zh-CN' });
    await page.getByTestId('plugins-tab-catalog').click();
    const dice = page.getByTestId('catalog-item-dice');
    await visible(dice);
    await hasText(dice.getByTestId('trust').first(), '可信');
    await hasText(dice.getByTestId('trust').first(), '发布者：Courtyard Labs');
    await hasText(page.getByTestId('catalog-item-weather').getByTestId('incompatible'), '不兼容：');
    await hasText(page.getByTestId('catalog-item-weather'), '在群里查看天气预报');
    await screenshot(page, 'catalog-zh');

    // The review of the catalog's version, in Chinese.
    await page.getByTestId('catalog-install-dice').click();
    const review = page.getByTestId('install-form');
    await visible(review);
    await hasText(review.getByTestId('package-description'), '在群里用 `/roll`');
    await until(() => loaded(review.getByTestId('screenshot-1').locator('img')), 'the first screenshot to load');
    await screenshot(page, 'review-zh');
    await page.getByRole('button', { name: '取消' }).click();
    await gone(review);

    await page.getByTestId('plugins-tab-installed').click();
    await page.getByTestId('upload-plugin').click();
    await visible(page.getByTestId('upload-form'));
    // Changed after it was signed: refused, in Chinese.
    await page.getByTestId('package-file').setInputFiles(files.tampered);
    const refusal = page.getByTestId('package-error');
    await visible(refusal);
    assert.equal(await refusal.getAttribute('data-code'), 'bad_signature');
    await hasText(refusal, '已拒绝：插件包在签名后被改动过');
    await hasText(refusal, '签名与内容不符');
    await screenshot(page, 'upload-tampered-zh');

    // Unsigned: the warning, and Install only once the risk is acknowledged.
    await page.getByTestId('package-file').setInputFiles(files.unsigned);
    await visible(review);
    const trust = review.getByTestId('trust');
    assert.equal(await trust.getAttribute('data-status'), 'unsigned');
    await hasText(trust, '未签名');
    await hasText(review.getByTestId('trust-warning'), '此插件包没有签名');
    await hasText(review, '来源：上传的文件');
    const install = page.getByTestId('install-confirm');
    assert.equal(await install.isDisabled(), true);
    await screenshot(page, 'review-unsigned-zh');
    await review.getByTestId('risk-consent').check();
    assert.equal(await install.isDisabled(), false);
    await install.click();
    await gone(review);
    const row = page.getByTestId('installed-dice');
    await visible(row);
    await hasText(row.getByTestId('trust'), '未签名');
    await screenshot(page, 'installed-zh');

    const installs = await env.wu.get(`/api/v1/orgs/${env.globex}/plugins`);
    assert.deepEqual(
      installs.map((i) => [i.package.id, i.package.version]),
      [['dice', '0.1.0']],
    );
    // The first organization's dice is untouched.
    const first = await env.li.get(`/api/v1/orgs/${env.org}/plugins`);
    assert.equal(first[0].package.version, '0.2.0');
    await context.close();
  });

  it(
    env,
    'the same package file uploaded in two organizations installs in both',
    async () => {
      const stage = async (api, org) => {
        const res = await fetch(`${env.server.url}/api/v1/orgs/${org}/plugin-packages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/octet-stream' },
          body: readFileSync(files.unsignedThird),
        });
        assert.equal(res.status, 201, await res.clone().text());
        return res.json();
      };
      await stage(env.li, env.org);
      const staged = await stage(env.wu, env.globex);
      assert.equal(staged.trust.status, 'unsigned');
      // Shown to the second organization's admin as staged; installing it must work too.
      const res = await fetch(`${env.server.url}/api/v1/orgs/${env.globex}/plugins`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.wu.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ package_sha256: staged.package.sha256, allow_untrusted: true }),
      });
      assert.equal(res.status, 201, `install: ${res.status} ${await res.text()}`);
    }
  );
});
