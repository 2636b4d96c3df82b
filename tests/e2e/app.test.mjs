// End to end on the real app: the built latchkey-app under Xvfb, driven through tauri-driver
// and WebKitWebDriver. Run by tests/e2e/run.sh (which provides the display and D-Bus).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { remote } from 'webdriverio';

const root = resolve(import.meta.dirname, '../..');
const app = join(root, 'target/debug/latchkey-app');
const cli = join(root, 'target/debug/latchkey');
const driverBin = process.env.TAURI_DRIVER ?? join(root, '.tools/bin/tauri-driver');
const shots = join(root, 'test-output/e2e');
const home = mkdtempSync(join(tmpdir(), 'latchkey-e2e-'));
const pages = ['credentials', 'approvals', 'audit', 'sofa', 'vcenter', 'assistants', 'settings'];
// Pages that say plainly what they cannot do yet.
// A secret that must never show up outside the secret store and the broker's memory.
const canary = `e2e-canary-${process.pid}-7c1f`;
// Everything the app (and its broker) writes to stderr, with logging turned up.
let appLog = '';
// A real published SOFA feed beside the repository, and the numbers it must produce.
const sofaFixtures = resolve(root, '../shared/fixtures/sofa');
const sofaFeed = 'v2-2026-09-10/macos_data_feed.json';

// How long (seconds) a change waits for the person's approval in this suite.
const approvalTimeout = 12;

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
  process.env.LATCHKEY_LOG = 'info';
  // Changes wait this long for the person (the timeout test waits it out).
  process.env.LATCHKEY_APPROVAL_TIMEOUT_SECS = String(approvalTimeout);
  // The app is started by WebKitWebDriver under tauri-driver and inherits its stderr.
  driver = spawn(driverBin, ['--port', '4444', '--native-port', '4445'], { stdio: ['ignore', 'inherit', 'pipe'] });
  driver.stderr.on('data', (chunk) => {
    appLog += chunk;
    process.stderr.write(chunk);
  });
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

test('every page opens, none claiming something is not there yet, and is captured', async () => {
  for (const id of pages) {
    const button = await browser.$(`button[data-page="${id}"]`);
    await button.click();
    const title = await button.getText();
    const heading = await browser.$('main h1');
    await browser.waitUntil(async () => (await heading.getText()) === title, { timeout: 5_000 });
    assert.equal(await button.getAttribute('aria-current'), 'page');
    const note = await browser.$('[data-testid="not-yet"]');
    assert.equal(await note.isExisting(), false, `${id} says something is not there yet`);
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

/** `secret-tool search` for one domain: attributes and secrets, as any Secret Service client sees them. */
function keyringItems(domain) {
  try {
    return execFileSync('secret-tool', ['search', '--all', '--unlock', 'application', 'latchkey', 'latchkey-domain', domain], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    return `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
}

/** Every MCP answer to the calls given, over the broker's socket (raw JSON-RPC lines). */
function mcpAnswers(socketPath, calls) {
  return new Promise((res, rej) => {
    const sock = connect(socketPath);
    const requests = [
      { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      ...calls.map((name, i) => ({ jsonrpc: '2.0', id: i + 1, method: 'tools/call', params: { name, arguments: {} } })),
    ];
    let buffer = '';
    const answers = {};
    const timer = setTimeout(() => (sock.destroy(), rej(new Error(`MCP answers missing: ${buffer}`))), 30_000);
    sock.on('data', (chunk) => {
      buffer += chunk;
      for (const line of buffer.split('\n').slice(0, -1)) {
        const message = JSON.parse(line);
        if (message.id > 0) answers[calls[message.id - 1]] = line;
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
      if (Object.keys(answers).length === calls.length) (clearTimeout(timer), sock.destroy(), res(answers));
    });
    sock.once('error', rej);
    sock.once('connect', () => sock.write(requests.map((r) => JSON.stringify(r)).join('\n') + '\n'));
  });
}

/**
 * Answers the app's own confirmation dialog (on Linux without a polkit agent it decides every
 * presence check): checks it names `what`, confirms, and waits for it to go.
 */
async function confirmPresence(what) {
  const dialog = await browser.$('[data-testid="presence-dialog"]');
  await dialog.waitForExist({ timeout: 10_000, timeoutMsg: `no confirmation asked for ${what}` });
  assert.equal(await dialog.getAttribute('data-purpose'), 'confirm');
  assert.match(await dialog.getText(), what);
  await (await browser.$('[data-testid="presence-confirm"]')).click();
  await dialog.waitForExist({ timeout: 5_000, reverse: true });
}

/** The whole DOM, including what form fields hold. */
async function domText() {
  return browser.execute(
    () => document.documentElement.outerHTML + [...document.querySelectorAll('input, textarea')].map((i) => i.value).join('\n'),
  );
}

test('a credential is added, unlocked with a confirmation, counted down, locked, edited and removed', async () => {
  const domain = 'jamf:e2e.example.com';
  const onDomain = (testid) => browser.$(`[data-testid="${testid}"][data-domain="${domain}"]`);
  await (await browser.$('button[data-page="credentials"]')).click();
  await (await browser.$('[data-testid="creds-empty"]')).waitForExist({ timeout: 10_000 });
  assert.match(await (await browser.$('[data-testid="creds-presence"]')).getText(), /confirmation/i);

  await (await browser.$('[data-testid="creds-add"]')).click();
  await (await browser.$('[data-testid="creds-kind"]')).selectByAttribute('value', 'jamf_client');
  await (await browser.$('[data-testid="creds-field-label"]')).setValue('E2E Jamf');
  await (await browser.$('[data-testid="creds-field-url"]')).setValue('http://e2e.example.com');
  await (await browser.$('[data-testid="creds-field-client_id"]')).setValue('e2e-client');
  await (await browser.$('[data-testid="creds-field-client_secret"]')).setValue(canary);
  await (await browser.$('[data-testid="creds-save"]')).click();
  // Plain http to a remote host is refused next to its field; nothing is stored.
  const urlError = await browser.$('[data-testid="creds-field-error-url"]');
  await urlError.waitForExist({ timeout: 5_000 });
  assert.match(await urlError.getText(), /https/);
  assert.doesNotMatch(keyringItems(domain), /latchkey-id/);
  await (await browser.$('[data-testid="creds-field-url"]')).setValue('https://e2e.example.com');
  await browser.waitUntil(async () => !(await urlError.isExisting()), { timeout: 5_000, timeoutMsg: 'the url error stayed' });
  await (await browser.$('[data-testid="creds-save"]')).click();
  // Adding asks for presence, from the app too (a click in the webview can be automated).
  await confirmPresence(/add the Jamf Pro credential "E2E Jamf"/);

  const row = await browser.$('[data-testid^="creds-row-"]');
  await row.waitForExist({ timeout: 10_000 });
  const id = await row.getAttribute('data-id');
  assert.match(await (await browser.$(`[data-testid="creds-state-${id}"]`)).getText(), /locked/i);
  assert.ok(!(await domText()).includes(canary), 'the secret is not in the page after saving');
  const stored = keyringItems(domain);
  assert.ok(stored.includes(`{"client_secret":"${canary}"}`), `the keyring holds the secret: ${stored}`);
  assert.ok(stored.includes('label = Latchkey: Jamf Pro e2e.example.com (client e2e-client)'), stored);

  // Unlock: the confirmation dialog names the action; Cancel leaves the domain locked.
  await (await onDomain('creds-domain-unlock')).click();
  const dialog = await browser.$('[data-testid="presence-dialog"]');
  await dialog.waitForExist({ timeout: 10_000 });
  assert.match(await dialog.getText(), /unlock Jamf Pro e2e\.example\.com/);
  assert.match(await dialog.getText(), /not biometrics/);
  await browser.saveScreenshot(join(shots, 'credentials-confirm.png'));
  await (await browser.$('[data-testid="presence-cancel"]')).click();
  await dialog.waitForExist({ timeout: 5_000, reverse: true });
  assert.equal(await (await onDomain('creds-domain')).getAttribute('data-state'), 'locked');

  await (await onDomain('creds-domain-unlock')).click();
  await dialog.waitForExist({ timeout: 10_000 });
  await (await browser.$('[data-testid="presence-confirm"]')).click();
  const state = await onDomain('creds-domain-state');
  await browser.waitUntil(async () => /\dh \d{2}m|\d+m/.test(await state.getText()), {
    timeout: 10_000,
    timeoutMsg: 'no countdown after unlocking',
  });
  assert.equal(await (await onDomain('creds-domain')).getAttribute('data-state'), 'unlocked');
  await browser.saveScreenshot(join(shots, 'credentials-unlocked.png'));

  // The same state through the CLI (control socket) and an assistant (MCP), without the secret.
  const status = execFileSync(cli, ['creds', 'status'], { encoding: 'utf8' });
  assert.match(status, new RegExp(`${domain}\\s+Jamf Pro\\s+1\\s+unlocked, \\dh \\d{2}m left`));
  // This client is an assistant the app has not seen: it is held until the person allows it.
  const asking = mcpAnswers(join(process.env.LATCHKEY_HOME, 'mcp.sock'), ['credentials_status', 'latchkey_status']);
  await dialog.waitForExist({ timeout: 10_000 });
  assert.match(await dialog.getText(), /allow node .* to use Latchkey/);
  await browser.saveScreenshot(join(shots, 'assistant-allow.png'));
  await (await browser.$('[data-testid="presence-confirm"]')).click();
  const answers = await asking;
  assert.match(answers.credentials_status, /"domain":"jamf:e2e\.example\.com".*"unlocked":true/);
  for (const answer of Object.values(answers)) assert.ok(!answer.includes(canary), 'no secret in MCP answers');

  await (await onDomain('creds-domain-lock')).click();
  await browser.waitUntil(async () => (await (await onDomain('creds-domain')).getAttribute('data-state')) === 'locked', {
    timeout: 5_000,
    timeoutMsg: 'the domain did not lock',
  });

  // Edit: another API client on the same server; the item is re-labelled, the secret kept.
  await (await browser.$(`[data-testid="creds-edit-${id}"]`)).click();
  const editing = await browser.$('[data-testid="creds-edit-dialog"]');
  await editing.waitForExist({ timeout: 5_000 });
  const clientId = await editing.$('[data-testid="creds-field-client_id"]');
  assert.equal(await clientId.getValue(), 'e2e-client');
  await clientId.setValue('e2e-client-2');
  await (await browser.$('[data-testid="creds-edit-save"]')).click();
  // Another account decides where the secret is sent: that asks for presence.
  await confirmPresence(/change "E2E Jamf"/);
  await editing.waitForExist({ timeout: 10_000, reverse: true });
  const edited = keyringItems(domain);
  assert.ok(edited.includes('label = Latchkey: Jamf Pro e2e.example.com (client e2e-client-2)'), edited);
  assert.ok(edited.includes(`{"client_secret":"${canary}"}`), `the secret is kept: ${edited}`);
  assert.ok(!(await domText()).includes(canary), 'the secret is not in the page after editing');

  await (await browser.$(`[data-testid="creds-remove-${id}"]`)).click();
  await (await browser.$('[data-testid="creds-remove-confirm"]')).click();
  await confirmPresence(/remove the credential "E2E Jamf"/);
  await row.waitForExist({ timeout: 10_000, reverse: true });
  assert.doesNotMatch(keyringItems(domain), /latchkey-id/, 'the keyring item is gone');
  assert.ok(!(await domText()).includes(canary));
  assert.match(appLog, /credential removed/, 'the app log was captured');
  assert.ok(!appLog.includes(canary), 'the secret never reached the log');
});

test('a new assistant is allowed in the dialog, its call is audited, and an edited entry breaks the chain', async () => {
  // The Python SDK launches `latchkey mcp`; the app identifies the SDK's process behind it.
  const python = join(root, '.tools/venv/bin/python');
  const assistant = spawn(python, [join(root, 'tests/e2e/assistant_call.py'), cli], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
  let printed = '';
  assistant.stdout.on('data', (chunk) => (printed += chunk));
  const exited = new Promise((res) => assistant.once('exit', res));

  const dialog = await browser.$('[data-testid="presence-dialog"]');
  await dialog.waitForExist({ timeout: 20_000 });
  assert.equal(await dialog.getAttribute('data-purpose'), 'allow_assistant');
  // An interpreter is named by the script it runs (issue #12).
  assert.match(await dialog.getText(), /allow python[\d.]* running \S*\/tests\/e2e\/assistant_call\.py \(.*python.*, pid \d+\) to use Latchkey/);
  await (await browser.$('[data-testid="presence-confirm"]')).click();
  assert.equal(await exited, 0, 'the assistant finished');
  const answer = JSON.parse(printed);
  assert.equal(answer.is_error, false);
  assert.ok(answer.structured.releases.length > 0);

  // The Assistants page lists it as allowed, with its call today.
  await (await browser.$('button[data-page="assistants"]')).click();
  const row = await browser.$('[data-testid="assistant-row"][data-verdict="allowed"]');
  await row.waitForExist({ timeout: 10_000 });
  await browser.saveScreenshot(join(shots, 'assistants.png'));

  // The Audit page shows the call under the Assistants page's name and the one the client
  // gave itself, and the chain verifies.
  await (await browser.$('button[data-page="audit"]')).click();
  const chain = await browser.$('[data-testid="audit-chain"]');
  await browser.waitUntil(async () => (await chain.getAttribute('data-state')) === 'ok', { timeout: 10_000, timeoutMsg: 'the chain never verified' });
  let seq;
  await browser.waitUntil(
    async () => {
      for (const r of await browser.$$('[data-testid="audit-row"][data-kind="intent"]')) {
        // textContent: WebKitWebDriver's getText() returns '' for ellipsised cells.
        const who = await (await r.$('[data-testid="audit-assistant"]')).getProperty('textContent');
        const tool = await (await r.$('[data-testid="audit-tool"]')).getProperty('textContent');
        if (/running assistant_call\.py\s+as e2e-python/.test(who) && tool.includes('sofa_latest_releases')) seq = await r.getAttribute('data-seq');
      }
      return seq !== undefined;
    },
    { timeout: 10_000, timeoutMsg: 'the e2e-python call never showed on the Audit page' },
  ).catch(async (e) => {
    await browser.saveScreenshot(join(shots, 'audit-missing.png'));
    throw e;
  });
  await browser.saveScreenshot(join(shots, 'audit.png'));

  // Someone edits that entry in the database file: the badge names it.
  const db = join(process.env.LATCHKEY_HOME, 'config/audit.sqlite');
  execFileSync('python3', ['-c', 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE entries SET tool=? WHERE seq=?", ("latchkey_status", int(sys.argv[2]))); c.commit()', db, seq]);
  await (await browser.$('[data-testid="audit-verify"]')).click();
  await browser.waitUntil(async () => (await chain.getAttribute('data-state')) === 'broken', { timeout: 10_000, timeoutMsg: 'the edit was not reported' });
  assert.match(await chain.getProperty('textContent'), new RegExp(`#${seq}\\b`));
  await browser.saveScreenshot(join(shots, 'audit-broken.png'));
});

/** Adds a Jamf Pro API client credential on the Credentials page, confirming presence. */
async function addJamfCredential(label, url, secret) {
  const domain = `jamf:${new URL(url).host}`;
  await (await browser.$('button[data-page="credentials"]')).click();
  await (await browser.$('[data-testid="creds-add"]')).click();
  await (await browser.$('[data-testid="creds-kind"]')).selectByAttribute('value', 'jamf_client');
  await (await browser.$('[data-testid="creds-field-label"]')).setValue(label);
  await (await browser.$('[data-testid="creds-field-url"]')).setValue(url);
  await (await browser.$('[data-testid="creds-field-client_id"]')).setValue('latchkey-test');
  await (await browser.$('[data-testid="creds-field-client_secret"]')).setValue(secret);
  await (await browser.$('[data-testid="creds-save"]')).click();
  await confirmPresence(new RegExp(`add the Jamf Pro credential "${label}"`));
  await (await browser.$(`[data-testid="creds-domain-unlock"][data-domain="${domain}"]`)).waitForExist({ timeout: 10_000 });
  return domain;
}

/** Starts one of the test servers in target/debug; resolves once it has printed `lines` lines. */
function startServer(binary, args, env, lines) {
  const server = spawn(join(root, 'target/debug', binary), args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((res, rej) => {
    let out = '';
    server.once('error', rej);
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const printed = out.split('\n');
      if (printed.length > lines) res({ server, printed });
    });
  });
}

/** Starts the mock Jamf Pro server; resolves to its URL and how many Macs report each version. */
async function startJamfMock(secret, computers) {
  const { server, printed } = await startServer('jamf-mock', ['--computers', String(computers)], { JAMF_MOCK_SECRET: secret }, 2);
  return { mock: server, url: printed[0].replace('listening on ', ''), versions: JSON.parse(printed[1]).os_versions };
}

test('a Jamf credential on the mock server: tested, unlocked, and its fleet counted alike by the Fleet tab, MCP and the CLI', async () => {
  const secret = `${canary}-jamf`;
  const { mock, url, versions } = await startJamfMock(secret, 60);
  try {
    // What the fleet must look like, worked out here from the SOFA fixture's expectations.
    const expected = JSON.parse(readFileSync(join(sofaFixtures, 'EXPECTED.json'), 'utf8'))[sofaFeed];
    const latest = expected.latest_product_version_per_major;
    // Apple patches the newest major and the two before it; the mock hands out real releases.
    const patched = Object.keys(latest).map(Number).sort((x, y) => y - x).slice(0, 3).map(String);
    const want = { total: 0, current: 0, behind: 0, end_of_life: 0, unreadable: 0 };
    for (const [version, n] of Object.entries(versions)) {
      want.total += n;
      const major = /^(\d+)\.\d/.exec(version)?.[1];
      if (!major) want.unreadable += n;
      else if (!patched.includes(major)) want.end_of_life += n;
      else if (latest[major] === version) want.current += n;
      else want.behind += n;
    }
    assert.ok(want.current > 0 && want.behind > 0 && want.end_of_life > 0 && want.unreadable > 0, JSON.stringify(want));

    const domain = `jamf:${new URL(url).host}`;
    await addJamfCredential('Mock Jamf', url, secret);
    const unlock = await browser.$(`[data-testid="creds-domain-unlock"][data-domain="${domain}"]`);

    // Test connection while locked: the person confirms, the server answers.
    const dialog = await browser.$('[data-testid="presence-dialog"]');
    await (await browser.$('[data-testid="test-connection"]')).click();
    await dialog.waitForExist({ timeout: 10_000 });
    assert.match(await dialog.getText(), /test the connection of "Mock Jamf"/);
    await (await browser.$('[data-testid="presence-confirm"]')).click();
    const result = await browser.$('[data-testid="test-connection-result"]');
    await result.waitForExist({ timeout: 15_000 });
    assert.equal(await result.getAttribute('data-state'), 'ok', await result.getText());
    assert.match(await result.getText(), /60 computers/);
    // The mock's API client is a full administrator: the check says so, and the credential
    // is marked (issue #15).
    const privileges = await browser.$('[data-testid="test-connection-privileges"]');
    assert.match(await privileges.getText(), /this account is a full Jamf Pro administrator/);
    const badge = await browser.$('[data-testid^="creds-over-privileged-"]');
    assert.equal(await badge.getText(), 'Over-privileged');

    await unlock.click();
    await dialog.waitForExist({ timeout: 10_000 });
    await (await browser.$('[data-testid="presence-confirm"]')).click();
    await dialog.waitForExist({ timeout: 5_000, reverse: true });

    // The Fleet tab on the SOFA page.
    await (await browser.$('button[data-page="sofa"]')).click();
    const tab = await browser.$('[data-testid="fleet-tab"]');
    await tab.waitForExist({ timeout: 10_000 });
    await tab.click();
    const total = await browser.$('[data-testid="fleet-total"]');
    await total.waitForExist({ timeout: 30_000 });
    const shown = {};
    for (const key of Object.keys(want)) {
      shown[key] = Number(await (await browser.$(`[data-testid="fleet-${key}"]`)).getAttribute('data-value'));
    }
    assert.deepEqual(shown, want);
    assert.ok((await browser.$$('[data-testid="fleet-row"]')).length > 0);
    assert.ok((await browser.$$('[data-testid="fleet-bar"]')).length > 0);
    await browser.saveScreenshot(join(shots, 'sofa-fleet.png'));

    // An assistant asks for the same report over MCP (allowed by now; if not, allow it).
    const asking = mcpAnswers(join(process.env.LATCHKEY_HOME, 'mcp.sock'), ['jamf_fleet_security_report']);
    const allowIfAsked = dialog.waitForExist({ timeout: 5_000 }).then(
      async () => (await browser.$('[data-testid="presence-confirm"]')).click(),
      () => {},
    );
    const answer = JSON.parse((await asking).jamf_fleet_security_report);
    await allowIfAsked;
    const report = answer.result.structuredContent;
    for (const key of Object.keys(want)) assert.equal(report[key], want[key], key);

    // And the CLI, through the app's control socket.
    const cliReport = JSON.parse(execFileSync(cli, ['jamf', 'fleet', '--json'], { encoding: 'utf8' }));
    for (const key of Object.keys(want)) assert.equal(cliReport[key], want[key], key);

    const everywhere = (await domText()) + JSON.stringify(answer) + JSON.stringify(cliReport) + appLog;
    assert.ok(!everywhere.includes(secret), 'the Jamf secret stayed in the broker');
  } finally {
    mock.kill();
  }
});

/** Runs the Python assistant (tests/e2e/assistant_call.py) calling `tool`; resolves with its answer. */
function assistantCall(tool, args) {
  const python = join(root, '.tools/venv/bin/python');
  const assistant = spawn(python, [join(root, 'tests/e2e/assistant_call.py'), cli, tool, JSON.stringify(args)], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let printed = '';
  assistant.stdout.on('data', (chunk) => (printed += chunk));
  return new Promise((res, rej) => {
    assistant.once('error', rej);
    assistant.once('exit', (code) => (code === 0 ? res(JSON.parse(printed)) : rej(new Error(`the assistant exited ${code}: ${printed}`))));
  });
}

/** The changes the mock Jamf Pro server accepted. */
async function received(url) {
  const answer = await fetch(`${url}/__mock/received`);
  assert.equal(answer.status, 200);
  return (await answer.json()).changes;
}

test('a change an assistant asks for waits for the person: approved, denied, or not answered in time', async () => {
  const secret = `${canary}-plan`;
  const { mock, url } = await startJamfMock(secret, 40);
  try {
    const domain = await addJamfCredential('Plan Jamf', url, secret);
    await (await browser.$(`[data-testid="creds-domain-unlock"][data-domain="${domain}"]`)).click();
    await confirmPresence(/unlock Jamf Pro/);

    // Two Macs behind on the same major, brought to its newest release by a date a month away.
    const fleet = JSON.parse(execFileSync(cli, ['jamf', 'fleet', '--json', '--all', '--domain', domain], { encoding: 'utf8' }));
    const latest = JSON.parse(readFileSync(join(sofaFixtures, 'EXPECTED.json'), 'utf8'))[sofaFeed].latest_product_version_per_major;
    const behind = fleet.computers.filter((c) => c.state === 'behind' && c.os_version && latest[c.os_version.split('.')[0]]);
    const major = behind[0].os_version.split('.')[0];
    const macs = behind.filter((c) => c.os_version.split('.')[0] === major).slice(0, 2);
    assert.equal(macs.length, 2, `two Macs behind on macOS ${major}: ${JSON.stringify(behind.slice(0, 5))}`);
    const version = latest[major];
    const deadline = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const args = { domain, computer_ids: macs.map((m) => m.id), version, deadline };

    // Approved: the card names the client, the tool, the Macs, the version and the deadline.
    await (await browser.$('button[data-page="credentials"]')).click();
    const asking = assistantCall('jamf_plan_os_update', args);
    const card = await browser.$('[data-testid="approval-card"]');
    await card.waitForExist({ timeout: 20_000, timeoutMsg: 'no approval card' });
    // Named as the Assistants page names it, with the name the client gave itself beside.
    assert.match(await (await browser.$('[data-testid="approval-assistant"]')).getText(), /^python[\d.]* running assistant_call\.py$/);
    assert.equal(await (await browser.$('[data-testid="approval-client"]')).getText(), 'e2e-python');
    assert.equal(await (await browser.$('[data-testid="approval-tool"]')).getText(), 'jamf_plan_os_update');
    assert.equal(await (await browser.$('[data-testid="approval-domain"]')).getAttribute('data-domain'), domain);
    const targets = [];
    for (const t of await browser.$$('[data-testid="approval-target"]')) targets.push(await t.getAttribute('data-id'));
    assert.deepEqual(targets.sort(), args.computer_ids.slice().sort());
    const summary = await (await browser.$('[data-testid="approval-summary"]')).getText();
    const day = new Date(`${deadline}T12:00:00Z`);
    const words = `${day.getUTCDate()} ${day.toLocaleString('en', { month: 'short', timeZone: 'UTC' })} ${day.getUTCFullYear()}`;
    assert.ok(summary.startsWith(`schedule macOS ${version} on 2 Macs with a deadline of ${words}`), summary);
    assert.ok(Number(await (await browser.$('[data-testid="approval-countdown"]')).getAttribute('data-seconds')) > 0);
    await browser.saveScreenshot(join(shots, 'approval-card.png'));
    assert.deepEqual(await received(url), [], 'nothing is sent before the approval');

    await (await browser.$('[data-testid="approval-approve-once"]')).click();
    await confirmPresence(/approve: schedule macOS/);
    await card.waitForExist({ timeout: 10_000, reverse: true });
    const approved = await asking;
    assert.equal(approved.is_error, false, approved.text);
    const changes = await received(url);
    assert.equal(changes.length, 1, JSON.stringify(changes));
    assert.equal(changes[0].kind, 'software_update_plan');
    assert.deepEqual(changes[0].devices.slice().sort(), args.computer_ids.slice().sort());
    assert.equal(changes[0].specific_version, version);
    assert.equal(changes[0].force_install_local_date_time, `${deadline}T17:00:00`);

    // The Audit page: the approval, then the call marked approved, then its outcome.
    await (await browser.$('button[data-page="audit"]')).click();
    let rows = {};
    await browser.waitUntil(
      async () => {
        rows = {};
        for (const r of await browser.$$('[data-testid="audit-row"]')) {
          const tool = await (await r.$('[data-testid="audit-tool"]')).getProperty('textContent');
          const kind = await r.getAttribute('data-kind');
          const seq = Number(await r.getAttribute('data-seq'));
          const decision = await (await r.$('[data-testid="audit-decision"]')).getAttribute('data-decision');
          if (kind === 'intent' && tool.includes('jamf_plan_os_update') && decision === 'approved') rows.intent ??= seq;
          if (kind === 'outcome') rows.outcomes = [...(rows.outcomes ?? []), [seq, (await (await r.$('[data-testid="audit-intent-ref"]')).getProperty('textContent')).trim()]];
          if (kind === 'admin' && decision === 'approved') rows.approval ??= seq;
        }
        return rows.intent !== undefined && rows.approval !== undefined;
      },
      { timeout: 10_000, timeoutMsg: `the approved call never showed on the Audit page: ${JSON.stringify(rows)}` },
    );
    const outcome = rows.outcomes?.find(([, ref]) => ref === `→ #${rows.intent}`);
    assert.ok(outcome, `an outcome of #${rows.intent}: ${JSON.stringify(rows)}`);
    assert.ok(rows.approval < rows.intent && rows.intent < outcome[0], JSON.stringify(rows));
    await browser.saveScreenshot(join(shots, 'audit-approved.png'));

    // Denied: the assistant is told so, and nothing reaches Jamf Pro.
    const denying = assistantCall('jamf_plan_os_update', args);
    await card.waitForExist({ timeout: 20_000, timeoutMsg: 'no approval card to deny' });
    await (await browser.$('[data-testid="approval-deny"]')).click();
    await card.waitForExist({ timeout: 10_000, reverse: true });
    const denied = await denying;
    assert.equal(denied.is_error, true);
    assert.match(denied.text, /denied by the person/);
    assert.equal((await received(url)).length, 1, 'a denied change sent nothing');

    // Not answered in time: denied too, and the card goes by itself.
    const started = Date.now();
    const waiting = assistantCall('jamf_plan_os_update', args);
    await card.waitForExist({ timeout: 20_000, timeoutMsg: 'no approval card to leave' });
    const timedOut = await waiting;
    assert.equal(timedOut.is_error, true);
    assert.match(timedOut.text, new RegExp(`not approved within ${approvalTimeout} s`));
    assert.ok(Date.now() - started >= (approvalTimeout - 1) * 1000, 'it waited for the person');
    await card.waitForExist({ timeout: 5_000, reverse: true });
    assert.equal((await received(url)).length, 1, 'a change nobody approved sent nothing');
  } finally {
    mock.kill();
  }
});

/** The Python assistant is allowed by an earlier test; run alone, a test allows it here. */
async function allowIfAsked() {
  const dialog = await browser.$('[data-testid="presence-dialog"]');
  await dialog.waitForExist({ timeout: 5_000 }).then(
    async () => (await browser.$('[data-testid="presence-confirm"]')).click(),
    () => {},
  );
}

/** Starts the fake vCenter (TLS, self-signed); resolves to its host:port. */
async function startVsphereMock(password, vms) {
  const args = ['--vms', String(vms), '--hosts', '3'];
  const { server, printed } = await startServer('vsphere-mock', args, { VSPHERE_MOCK_PASSWORD: password }, 1);
  return { mock: server, host: printed[0].replace('listening on ', '') };
}

/** The power requests the fake vCenter received, and each VM's state now. */
async function vcenterPower(host) {
  // The fake's certificate is self-signed: Node is told to accept it for this one inspection.
  const out = execFileSync('node', ['-e', `fetch('https://${host}/__mock/power').then(r => r.text()).then(t => process.stdout.write(t))`], {
    encoding: 'utf8',
    env: { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: '0' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return JSON.parse(out);
}

test('a vCenter: its self-signed certificate pinned on first use, tested, its VMs listed, and a power stop waits for the person', async () => {
  const password = `${canary}-vcenter`;
  const { mock, host } = await startVsphereMock(password, 30);
  try {
    const domain = `vcenter:${host}`;
    await (await browser.$('button[data-page="credentials"]')).click();
    await (await browser.$('[data-testid="creds-add"]')).click();
    await (await browser.$('[data-testid="creds-kind"]')).selectByAttribute('value', 'vcenter');
    await (await browser.$('[data-testid="creds-field-label"]')).setValue('Lab vCenter');
    await (await browser.$('[data-testid="creds-field-host"]')).setValue(host);
    await (await browser.$('[data-testid="creds-field-username"]')).setValue('administrator@vsphere.local');
    await (await browser.$('[data-testid="creds-field-password"]')).setValue(password);

    // Saving to be verified stops: the system does not trust the certificate, so its fingerprint
    // is shown to compare and pin.
    await (await browser.$('[data-testid="creds-save"]')).click();
    const certificate = await browser.$('[data-testid="creds-certificate"]');
    await certificate.waitForExist({ timeout: 15_000 });
    assert.equal(await certificate.getAttribute('data-state'), 'untrusted', await certificate.getText());
    const sha256 = await (await browser.$('[data-testid="creds-certificate-sha256"]')).getText();
    assert.match(sha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    await browser.saveScreenshot(join(shots, 'vcenter-certificate.png'));
    await (await browser.$('[data-testid="creds-certificate-pin"]')).click();
    await (await browser.$('[data-testid="creds-save"]')).click();
    // The presence check names the very fingerprint the person confirms.
    await confirmPresence(new RegExp(`add the vCenter credential "Lab vCenter", trusting only the certificate with SHA-256 ${sha256}`));
    const unlock = await browser.$(`[data-testid="creds-domain-unlock"][data-domain="${domain}"]`);
    await unlock.waitForExist({ timeout: 10_000 });
    const id = JSON.parse(execFileSync(cli, ['creds', 'list', '--json'], { encoding: 'utf8' })).find((c) => c.domain === domain).id;

    // Test connection while locked: the person confirms, the fake answers through the pinned certificate.
    await (await browser.$(`[data-testid="test-connection"][data-id="${id}"]`)).click();
    await confirmPresence(/test the connection of "Lab vCenter"/);
    const result = await browser.$(`[data-testid="test-connection-result"][data-id="${id}"]`);
    await result.waitForExist({ timeout: 15_000 });
    assert.equal(await result.getAttribute('data-state'), 'ok', await result.getText());
    assert.match(await result.getText(), /30 VMs on 3 hosts .*certificate pinned/);

    await unlock.click();
    await confirmPresence(/unlock vCenter/);

    // The vCenter page: every VM, host by host, searchable; datastores with their bars.
    await (await browser.$('button[data-page="vcenter"]')).click();
    const shown = await browser.$('[data-testid="vcenter-vms-shown"]');
    await browser.waitUntil(async () => /^30 VMs/.test(await shown.getText()), { timeout: 20_000 }).catch(async () => {
      await browser.saveScreenshot(join(shots, 'vcenter-vms-failed.png'));
      const error = await browser.$('[data-testid="vcenter-vms-error"]');
      const why = (await error.isExisting()) ? await error.getText() : 'no error shown';
      throw new Error(`the VMs never loaded: "${await shown.getText()}", ${why}`);
    });
    const vms = (await vcenterPower(host)).vms;
    const running = vms.filter((v) => v.power_state === 'POWERED_ON').sort((a, b) => a.name.localeCompare(b.name))[0];
    assert.ok(running, JSON.stringify(vms.slice(0, 3)));
    await (await browser.$('[data-testid="vcenter-filter"]')).setValue(running.name);
    const row = await browser.$(`[data-testid="vcenter-vm-row"][data-id="${running.id}"]`);
    await row.waitForExist({ timeout: 5_000 });
    assert.equal(await row.getAttribute('data-state'), 'POWERED_ON');
    await (await row.$('[data-testid="vcenter-vm-name"]')).click();
    const details = await browser.$('[data-testid="vcenter-vm-details"]');
    await browser.waitUntil(async () => (await details.getText()).includes('Guest OS'), { timeout: 10_000, timeoutMsg: 'no VM details' });
    assert.ok((await details.getText()).includes(running.id), await details.getText());
    await browser.saveScreenshot(join(shots, 'vcenter-vms.png'));
    await (await browser.$('[data-testid="vcenter-tab-datastores"]')).click();
    await (await browser.$('[data-testid="vcenter-datastore-row"]')).waitForExist({ timeout: 10_000 });
    await (await browser.$('[data-testid="vcenter-tab-vms"]')).click();

    // An assistant asks to stop it: the card names the VM, its host, the action and its state.
    const args = { vm: running.name, action: 'stop' };
    const asking = assistantCall('vsphere_vm_power', args);
    await allowIfAsked();
    const card = await browser.$('[data-testid="approval-card"]');
    await card.waitForExist({ timeout: 20_000, timeoutMsg: 'no approval card' });
    assert.equal(await (await browser.$('[data-testid="approval-tool"]')).getText(), 'vsphere_vm_power');
    assert.equal(await (await browser.$('[data-testid="approval-target"]')).getAttribute('data-id'), running.id);
    const summary = await (await browser.$('[data-testid="approval-summary"]')).getText();
    assert.ok(summary.startsWith(`stop (power off at once, like pulling the plug) VM ${running.name} (${running.id}) on host `), summary);
    assert.match(summary, /it is powered on now/);
    assert.deepEqual((await vcenterPower(host)).requests, [], 'nothing is sent before the approval');
    await browser.saveScreenshot(join(shots, 'vcenter-approval.png'));

    await (await browser.$('[data-testid="approval-approve-once"]')).click();
    await confirmPresence(/approve: stop/);
    await card.waitForExist({ timeout: 10_000, reverse: true });
    const approved = await asking;
    assert.equal(approved.is_error, false, approved.text);
    const after = await vcenterPower(host);
    assert.equal(after.requests.length, 1, JSON.stringify(after.requests));
    assert.equal(after.vms.find((v) => v.id === running.id).power_state, 'POWERED_OFF');

    // The audit: the approval, then the call marked approved, then its outcome.
    const tail = execFileSync(cli, ['audit', 'tail', '-n', '40', '--json'], { encoding: 'utf8' });
    const list = tail.trim().split('\n').map((line) => JSON.parse(line));
    const intent = list.find((e) => e.kind === 'intent' && e.tool === 'vsphere_vm_power' && e.decision === 'approved');
    assert.ok(intent, tail);
    const outcome = list.find((e) => e.kind === 'outcome' && e.intent === intent.seq);
    assert.ok(outcome, `an outcome of #${intent.seq}: ${tail}`);
    const approval = list.filter((e) => e.kind === 'admin' && e.decision === 'approved' && e.seq < intent.seq).pop();
    assert.ok(approval, `the approval is on the chain before the call: ${tail}`);

    // Denied, and not answered in time: the fake receives nothing more.
    const started = { vm: running.name, action: 'start' };
    const denying = assistantCall('vsphere_vm_power', started);
    await card.waitForExist({ timeout: 20_000, timeoutMsg: 'no approval card to deny' });
    await (await browser.$('[data-testid="approval-deny"]')).click();
    const denied = await denying;
    assert.equal(denied.is_error, true);
    assert.match(denied.text, /denied by the person/);
    const waiting = assistantCall('vsphere_vm_power', started);
    await card.waitForExist({ timeout: 20_000, timeoutMsg: 'no approval card to leave' });
    const timedOut = await waiting;
    assert.equal(timedOut.is_error, true);
    assert.match(timedOut.text, new RegExp(`not approved within ${approvalTimeout} s`));
    assert.equal((await vcenterPower(host)).requests.length, 1, 'a denied or unanswered change sent nothing');

    assert.ok(keyringItems(domain).includes(password), 'the password is in the secret store');
    const everywhere = (await domText()) + JSON.stringify(approved) + JSON.stringify(timedOut) + appLog;
    assert.ok(!everywhere.includes(password), 'the vCenter password stayed in the secret store and the broker');
  } finally {
    mock.kill();
  }
});

/** Starts OpenBao's dev server (Vault's API) on a free port with `rootToken` as its root token; resolves to its address. */
async function startOpenBao(rootToken) {
  const port = await new Promise((res) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => res(free));
    });
  });
  const address = `127.0.0.1:${port}`;
  const bao = spawn(join(root, '.tools/openbao/bin/bao'), ['server', '-dev', `-dev-listen-address=${address}`, `-dev-root-token-id=${rootToken}`], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  await waitForPort(port, 20_000);
  return { bao, url: `http://${address}`, address };
}

/** A call to Vault's HTTP API as its root. */
async function vaultApi(url, token, method, path, body) {
  const answer = await fetch(`${url}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  assert.ok(answer.ok, `${method} ${path}: ${answer.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

test('a Jamf credential whose secret stays in OpenBao is unlocked in the app, used by an assistant and moved back here, the secret shown nowhere', async () => {
  const secret = `${canary}-from-vault`;
  const rootToken = `${canary}-bao-root`;
  const { mock, url: jamfUrl } = await startJamfMock(secret, 25);
  const { bao, url: vaultUrl, address } = await startOpenBao(rootToken);
  try {
    // The secret lives in Vault's KV v2 (the dev server mounts it at secret/), read by a token
    // whose policy allows only that path.
    await vaultApi(vaultUrl, rootToken, 'POST', 'secret/data/e2e/jamf', { data: { client_secret: secret } });
    await vaultApi(vaultUrl, rootToken, 'PUT', 'sys/policies/acl/e2e-jamf', { policy: 'path "secret/data/e2e/jamf" { capabilities = ["read"] }' });
    const token = (await vaultApi(vaultUrl, rootToken, 'POST', 'auth/token/create', { policies: ['e2e-jamf'], ttl: '1h' })).auth.client_token;

    await (await browser.$('button[data-page="credentials"]')).click();
    await (await browser.$('[data-testid="creds-add"]')).click();
    await (await browser.$('[data-testid="creds-kind"]')).selectByAttribute('value', 'vault');
    await (await browser.$('[data-testid="creds-field-label"]')).setValue('E2E OpenBao');
    await (await browser.$('[data-testid="creds-field-address"]')).setValue(vaultUrl);
    await (await browser.$('[data-testid="creds-field-token"]')).setValue(token);
    await (await browser.$('[data-testid="creds-save"]')).click();
    await confirmPresence(/add the HashiCorp Vault credential "E2E OpenBao"/);
    await (await browser.$(`[data-testid="creds-domain-unlock"][data-domain="vault:${address}"]`)).waitForExist({ timeout: 10_000 });

    // The Jamf credential names where its secret is, and holds none.
    const domain = `jamf:${new URL(jamfUrl).host}`;
    const reference = `vault://${address}/secret/e2e/jamf#client_secret`;
    await (await browser.$('[data-testid="creds-add"]')).click();
    await (await browser.$('[data-testid="creds-kind"]')).selectByAttribute('value', 'jamf_client');
    await (await browser.$('[data-testid="creds-field-label"]')).setValue('Jamf via OpenBao');
    await (await browser.$('[data-testid="creds-field-url"]')).setValue(jamfUrl);
    await (await browser.$('[data-testid="creds-field-client_id"]')).setValue('latchkey-test');
    await (await browser.$('[data-testid="creds-field-secret_kept"]')).selectByAttribute('value', 'vault');
    await (await browser.$('[data-testid="creds-field-secret_from"]')).setValue(reference);
    await (await browser.$('[data-testid="creds-save"]')).click();
    await confirmPresence(/add the Jamf Pro credential "Jamf via OpenBao" whose secret is kept at vault:\/\//);
    const unlock = await browser.$(`[data-testid="creds-domain-unlock"][data-domain="${domain}"]`);
    await unlock.waitForExist({ timeout: 10_000 });
    assert.ok(!keyringItems(domain).includes(secret), 'the keyring holds no copy of the secret');

    // One confirmation unlocks the Jamf domain and the Vault it reads from; the secret is fetched then.
    const id = JSON.parse(execFileSync(cli, ['creds', 'list', '--json'], { encoding: 'utf8' })).find((c) => c.domain === domain).id;
    await unlock.click();
    await confirmPresence(/unlock Jamf Pro/);
    // Unlocking fetches the secret from Vault after the confirmation.
    const state = await browser.$(`[data-testid="creds-state-${id}"]`);
    await browser.waitUntil(async () => (await state.getAttribute('data-state')) === 'unlocked', {
      timeout: 15_000,
      timeoutMsg: 'the Jamf domain did not unlock',
    });
    const listed = JSON.parse(execFileSync(cli, ['creds', 'list', '--json'], { encoding: 'utf8' }));
    const jamf = listed.find((c) => c.domain === domain);
    assert.equal(jamf.source.reference, reference);
    assert.equal(jamf.source.version, '1');
    assert.equal(listed.find((c) => c.domain === `vault:${address}`).unlocked, true);
    const source = await browser.$(`[data-testid="creds-source-${jamf.id}"]`);
    await browser.waitUntil(async () => (await source.getText()).includes('version 1'), { timeout: 10_000, timeoutMsg: 'the source is not shown' });

    // An assistant uses it: the mock Jamf Pro accepted the secret from Vault.
    const asking = assistantCall('jamf_fleet_security_report', { domain });
    await allowIfAsked();
    const answer = await asking;
    assert.equal(answer.is_error, false, answer.text);
    assert.equal(answer.structured.total, 25);

    // The Edit dialog moves the secret out of OpenBao: typed once, confirmed, kept in the
    // keyring from then on, and the row no longer names the secret manager.
    await (await browser.$(`[data-testid="creds-edit-${jamf.id}"]`)).click();
    await (await browser.$('[data-testid="creds-field-secret_kept"]')).selectByAttribute('value', 'here');
    await (await browser.$('[data-testid="creds-field-client_secret"]')).setValue(secret);
    await (await browser.$('[data-testid="creds-edit-save"]')).click();
    await confirmPresence(/keep the secret of "Jamf via OpenBao" here instead of at vault:\/\//);
    await (await browser.$('[data-testid="creds-edit-dialog"]')).waitForExist({ timeout: 10_000, reverse: true });
    await browser.waitUntil(async () => !(await source.isExisting()), { timeout: 10_000, timeoutMsg: 'the row still names OpenBao' });
    assert.ok(keyringItems(domain).includes(secret), 'the secret is kept in the keyring now');
    assert.equal(JSON.parse(execFileSync(cli, ['creds', 'list', '--json'], { encoding: 'utf8' })).find((c) => c.domain === domain).source, null);

    const audit = execFileSync(cli, ['audit', 'tail', '-n', '60', '--json'], { encoding: 'utf8' });
    const everywhere = (await domText()) + JSON.stringify(answer) + appLog + audit + JSON.stringify(listed);
    assert.ok(!everywhere.includes(secret), 'the secret from Vault stayed in the broker');
    assert.ok(!everywhere.includes(token), 'the Vault token stayed in the secret store and the broker');
  } finally {
    mock.kill();
    bao.kill();
  }
});

test('Settings shows what the broker runs with, saves a deadline at once and a guard after a confirmation', async () => {
  const settings = () => JSON.parse(execFileSync(cli, ['settings', 'show', '--json'], { encoding: 'utf8' }));
  const field = (key) => browser.$(`[data-testid="settings-field-${key.replace(/\./g, '-')}"]`);
  await (await browser.$('button[data-page="settings"]')).click();
  await (await browser.$('[data-testid="settings-form"]')).waitForExist({ timeout: 10_000 });
  // What this broker runs with: the feed and the approval wait come from the test's environment.
  assert.match(await (await browser.$('[data-testid="settings-override-sofa-feed"]')).getText(), /LATCHKEY_SOFA_FEED=/);
  assert.equal(await (await field('approvals.timeout_seconds')).getValue(), '120');
  assert.match(
    await (await browser.$('[data-testid="settings-override-approvals-timeout_seconds"]')).getText(),
    new RegExp(`LATCHKEY_APPROVAL_TIMEOUT_SECS=${approvalTimeout}`),
  );
  assert.equal(await (await field('deadlines.exploited_days')).getValue(), '7');

  // A shorter deadline is stricter: saved without asking.
  await (await field('deadlines.exploited_days')).setValue('3');
  await (await browser.$('[data-testid="settings-save"]')).click();
  await (await browser.$('[data-testid="settings-saved"]')).waitForExist({ timeout: 10_000 });
  assert.equal(settings().settings.deadlines.exploited_days, 3);

  // A range the broker refuses is named next to the field, and nothing is saved.
  await (await field('audit.retention_days')).setValue('7');
  const error = await browser.$('[data-testid="settings-field-error-audit-retention_days"]');
  await error.waitForExist({ timeout: 5_000 });
  assert.match(await error.getText(), /30 to 3650 days/);

  // A longer audit retention is still a change to a guard: confirmed first, then in force.
  await (await field('audit.retention_days')).setValue('730');
  await browser.waitUntil(async () => !(await error.isExisting()), { timeout: 5_000 });
  await (await browser.$('[data-testid="settings-save"]')).click();
  await confirmPresence(/audit log keeps 730 days/);
  await (await browser.$('[data-testid="settings-saved"]')).waitForExist({ timeout: 10_000 });
  assert.equal(settings().settings.audit.retention_days, 730);
  const admin = JSON.parse(execFileSync(cli, ['audit', 'search', '--kind', 'admin', '--json'], { encoding: 'utf8' }));
  const changes = admin.filter((e) => e.tool === 'settings.set').map((e) => e.arguments);
  assert.deepEqual(changes[0]['audit.retention_days'], { from: 365, to: 730 });
  assert.deepEqual(changes[1]['deadlines.exploited_days'], { from: 7, to: 3 });
  await browser.saveScreenshot(join(shots, 'settings-saved.png'));
  // Back to 7 days: a longer deadline could hide overdue Macs, so it is confirmed first.
  await (await field('deadlines.exploited_days')).setValue('7');
  await (await browser.$('[data-testid="settings-confirm-note"]')).waitForExist({ timeout: 5_000 });
  await (await browser.$('[data-testid="settings-save"]')).click();
  await confirmPresence(/actively exploited CVE are due after 7 days/);
  await browser.waitUntil(() => settings().settings.deadlines.exploited_days === 7, { timeout: 10_000 });

  // Launch at login is the OS's record: an XDG autostart entry starting this app (in the
  // throwaway HOME scripts/with-keyring.sh gives the test).
  const entry = join(process.env.HOME, '.config', 'autostart', 'Latchkey.desktop');
  const launch = await browser.$('[data-testid="settings-launch-at_login"]');
  assert.equal(await launch.getValue(), 'off');
  await launch.selectByAttribute('value', 'on');
  await (await browser.$('[data-testid="settings-save"]')).click();
  await browser.waitUntil(
    async () => (await browser.$('[data-testid="settings-saved"]').isExisting()) || browser.$('[data-testid="settings-error"]').isExisting(),
    { timeout: 10_000, timeoutMsg: 'launch at login neither saved nor refused' },
  );
  const refused = await browser.$('[data-testid="settings-error"]');
  assert.equal(await refused.isExisting(), false, await refused.getText().catch(() => ''));
  await browser.waitUntil(async () => existsSync(entry), { timeout: 10_000, timeoutMsg: `no ${entry}` });
  assert.match(readFileSync(entry, 'utf8'), /^Exec=.*latchkey/m);
  await launch.selectByAttribute('value', 'off');
  await (await browser.$('[data-testid="settings-save"]')).click();
  await browser.waitUntil(async () => !existsSync(entry), { timeout: 10_000, timeoutMsg: `${entry} stays` });

  // MCP over HTTP: turned on with a confirmation, a token shown once, used, revoked.
  await (await browser.$('[data-testid="http-port"]')).setValue('0');
  await (await browser.$('[data-testid="http-enable"]')).click();
  await confirmPresence(/over HTTP on 127\.0\.0\.1/);
  const urlShown = await browser.$('[data-testid="http-url"]');
  await urlShown.waitForExist({ timeout: 10_000 });
  const url = await urlShown.getText();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  await (await browser.$('[data-testid="http-token-name"]')).setValue('e2e-http');
  await (await browser.$('[data-testid="http-token-create"]')).click();
  await confirmPresence(/e2e-http/);
  const shownToken = await browser.$('[data-testid="http-new-token"]');
  await shownToken.waitForExist({ timeout: 10_000 });
  const token = await shownToken.getText();
  const initialize = (bearer) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } },
      }),
    });
  assert.equal((await initialize(token)).status, 200);
  assert.equal((await initialize(null)).status, 401);
  await (await browser.$('[data-testid="http-new-token-done"]')).click();
  assert.ok(!(await domText()).includes(token), 'the token stays on the page');
  await (await browser.$('[data-testid="http-revoke-e2e-http"]')).click();
  await (await browser.$('[data-testid="http-revoke-e2e-http"]')).waitForExist({ timeout: 10_000, reverse: true });
  assert.equal((await initialize(token)).status, 401);
  await (await browser.$('[data-testid="http-disable"]')).click();
  await (await browser.$('[data-testid="http-enable"]')).waitForExist({ timeout: 10_000 });
  assert.ok(!appLog.includes(token), 'the token is in the log');
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
