// MCP Inspector's CLI (the reference client from the MCP project) against Latchkey, through
// `latchkey mcp` and straight to the broker's socket (socat as a dumb stdio pipe).
// Run by tests/interop/run.sh with Node 22, which the Inspector requires.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const here = import.meta.dirname;
const latchkey = process.env.LATCHKEY_BIN ?? resolve(here, '../../target/debug/latchkey');
const inspector = join(here, 'node_modules/.bin/mcp-inspector');
const home = join(mkdtempSync(join(tmpdir(), 'latchkey-inspector-')), 'state');
const socket = join(home, 'mcp.sock');
const version = execFileSync(latchkey, ['--version'], { encoding: 'utf8' }).trim().split(' ').pop();
let broker;

before(async () => {
  // A local SOFA feed (../shared, beside the repository) keeps the broker off the network.
  const feed = resolve(here, '../../../shared/fixtures/sofa/v2/macos_data_feed.json');
  broker = spawn(latchkey, ['serve'], {
    // A test build: its scripted presence check lets the Inspector (a new assistant) in.
    // Its own runtime dir (the one-per-user broker lock), apart from any broker the user runs.
    env: { ...process.env, LATCHKEY_HOME: home, XDG_RUNTIME_DIR: home, LATCHKEY_SOFA_FEED: feed, LATCHKEY_SCRIPTED_PRESENCE: 'approve' },
    stdio: 'ignore',
  });
  for (let i = 0; i < 400 && !existsSync(socket); i++) await sleep(25);
  assert.ok(existsSync(socket), 'broker started');
});

after(() => {
  broker?.kill();
  rmSync(resolve(home, '..'), { recursive: true, force: true });
});

function inspect(server, ...args) {
  const out = execFileSync(inspector, ['--cli', ...server, ...args], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out);
}

const servers = {
  'latchkey mcp': [latchkey, 'mcp', '-e', `LATCHKEY_HOME=${home}`],
  'the socket': ['socat', '--', '-', `UNIX-CONNECT:${socket}`],
};

for (const [name, server] of Object.entries(servers)) {
  test(`tools/list over ${name}`, () => {
    const { tools } = inspect(server, '--method', 'tools/list');
    const status = tools.find((t) => t.name === 'latchkey_status');
    assert.ok(status, 'latchkey_status is listed');
    assert.equal(status.annotations.readOnlyHint, true);
    assert.ok(status.outputSchema.required.includes('version'));
  });

  test(`tools/call latchkey_status over ${name}`, () => {
    const result = inspect(server, '--method', 'tools/call', '--tool-name', 'latchkey_status');
    assert.equal(result.isError, false);
    assert.equal(result.structuredContent.version, version);
    assert.deepEqual(result.structuredContent.domains, []);
  });
}
