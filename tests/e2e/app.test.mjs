// End to end on the real app: the built latchkey-app under Xvfb, driven through tauri-driver
// and WebKitWebDriver. Run by tests/e2e/run.sh (which provides the display and D-Bus).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { remote } from 'webdriverio';

const root = resolve(import.meta.dirname, '../..');
const app = join(root, 'target/debug/latchkey-app');
const cli = join(root, 'target/debug/latchkey');
const driverBin = process.env.TAURI_DRIVER ?? join(root, '.tools/bin/tauri-driver');
const shots = join(root, 'test-output/e2e');
const home = mkdtempSync(join(tmpdir(), 'latchkey-e2e-'));
const pages = ['credentials', 'audit', 'sofa', 'assistants', 'settings'];
// Pages that say plainly what they cannot do yet.
const notYet = ['credentials', 'audit', 'assistants', 'settings'];
// A real published SOFA feed beside the repository, and the numbers it must produce.
const sofaFixtures = resolve(root, '../shared/fixtures/sofa');
const sofaFeed = 'v2-2026-09-10/macos_data_feed.json';

let driver;
let browser;

function waitForPort(port, ms) {
  const deadline = Date.now() + ms;
  return new Promise((res, rej) => {
    const attempt = () => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => (sock.destroy(), res()));
      sock.once('error', () => {
        if (Date.now() > deadline) rej(new Error(`nothing listens on ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

function canConnect(path) {
  return new Promise((res) => {
    const sock = connect(path);
    sock.once('connect', () => (sock.destroy(), res(true)));
    sock.once('error', () => res(false));
  });
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  // The app's broker state goes to a private home, not the user's runtime dir.
  process.env.LATCHKEY_HOME = join(home, 'state');
  process.env.LATCHKEY_SOFA_FEED = join(sofaFixtures, sofaFeed);
  driver = spawn(driverBin, ['--port', '4444', '--native-port', '4445'], { stdio: ['ignore', 'inherit', 'inherit'] });
  await waitForPort(4444, 20_000);
  browser = await remote({
    hostname: '127.0.0.1',
    port: 4444,
    logLevel: 'warn',
    capabilities: { 'tauri:options': { application: app, args: ['--open'] } },
  });
});

after(async () => {
  await browser?.deleteSession().catch(() => {});
  driver?.kill();
  rmSync(home, { recursive: true, force: true });
});

test('the window shows the version the Rust side reports', async () => {
  const reported = execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim().replace(/^latchkey /, '');
  const version = await browser.$('[data-testid="version"]');
  await version.waitForExist({ timeout: 20_000 });
  assert.equal(await version.getText(), `Latchkey ${reported}`);
  assert.equal(await browser.getTitle(), 'Latchkey');
});

test('every page opens, says what is not there yet, and is captured', async () => {
  for (const id of pages) {
    const button = await browser.$(`button[data-page="${id}"]`);
    await button.click();
    const title = await button.getText();
    const heading = await browser.$('main h1');
    await browser.waitUntil(async () => (await heading.getText()) === title, { timeout: 5_000 });
    assert.equal(await button.getAttribute('aria-current'), 'page');
    const note = await browser.$('[data-testid="not-yet"]');
    if (notYet.includes(id)) assert.match(await note.getText(), /Not here yet/);
    else assert.equal(await note.isExisting(), false, `${id} claims nothing is missing`);
    await browser.saveScreenshot(join(shots, `${id}.png`));
  }
});

test('the SOFA page shows the counts EXPECTED.json gives for a picked version', async () => {
  const expected = JSON.parse(readFileSync(join(sofaFixtures, 'EXPECTED.json'), 'utf8'))[sofaFeed];
  await (await browser.$('button[data-page="sofa"]')).click();
  await browser.waitUntil(async () => (await browser.$$('[data-testid="sofa-major-card"]')).length > 0, { timeout: 20_000 });
  const majors = [];
  for (const card of await browser.$$('[data-testid="sofa-major-card"]')) majors.push(await card.getAttribute('data-major'));
  assert.deepEqual(majors, Object.keys(expected.latest_product_version_per_major).sort((a, b) => b - a));
  const source = await browser.$('[data-testid="sofa-feed-source"]');
  // textContent: WebKitWebDriver's getText() returns '' for this ellipsised (but visible) line.
  assert.ok(await source.isDisplayed());
  await browser.waitUntil(async () => (await source.getProperty('textContent')) === process.env.LATCHKEY_SOFA_FEED, {
    timeout: 5_000,
    timeoutMsg: `feed source never showed ${process.env.LATCHKEY_SOFA_FEED}`,
  });

  for (const version of ['15.1', '14.4.1']) {
    const input = await browser.$('[data-testid="sofa-version-input"]');
    await input.setValue(version);
    await (await browser.$('[data-testid="sofa-check"]')).click();
    const cves = await browser.$('[data-testid="sofa-cves-count"]');
    const want = expected.fixed_after[version];
    await browser.waitUntil(async () => (await cves.isExisting()) && (await cves.getText()) === String(want.cves), {
      timeout: 10_000,
      timeoutMsg: `CVE count for ${version} never showed ${want.cves}`,
    });
    assert.equal(await (await browser.$('[data-testid="sofa-exploited-count"]')).getText(), String(want.actively_exploited));
    const rows = await browser.$$('[data-testid="sofa-cve-row"]');
    assert.equal(rows.length, want.cves);
    await browser.saveScreenshot(join(shots, `sofa-${version}.png`));
  }

  const input = await browser.$('[data-testid="sofa-version-input"]');
  await input.setValue('fifteen');
  await (await browser.$('[data-testid="sofa-check"]')).click();
  const error = await browser.$('[data-testid="sofa-error"]');
  await error.waitForExist({ timeout: 5_000 });
  assert.match(await error.getText(), /fifteen/);
});

test("the Assistants page names the embedded broker's live socket", async () => {
  await (await browser.$('button[data-page="assistants"]')).click();
  const socket = await browser.$('[data-testid="socket-path"]');
  await socket.waitForExist({ timeout: 5_000 });
  const path = await socket.getText();
  assert.equal(path, join(process.env.LATCHKEY_HOME, 'mcp.sock'));
  assert.ok(await canConnect(path), `the app's broker accepts connections on ${path}`);
});

test('a second launch hands over to the running app and exits', async () => {
  const second = spawn(app, [], { env: process.env, stdio: 'ignore' });
  const code = await new Promise((res, rej) => {
    const timer = setTimeout(() => (second.kill(), rej(new Error('second instance kept running'))), 20_000);
    second.once('exit', (c) => (clearTimeout(timer), res(c)));
  });
  assert.equal(code, 0);
  // The first instance is unharmed: its window answers and its broker still serves.
  assert.match(await (await browser.$('[data-testid="version"]')).getText(), /^Latchkey /);
  assert.ok(await canConnect(join(process.env.LATCHKEY_HOME, 'mcp.sock')));
});
