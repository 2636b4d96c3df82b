// The app shell against a mocked Tauri IPC: what the Rust side returns is what the page shows.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import App from '../src/App.svelte';
import { pages } from '../src/pages';
import { overview } from './sofa-data';
import { overview as credentials } from './credentials-data';
import { request } from './approvals-data';
import { view as settingsView } from './settings-data';
import type { ApprovalRequest, RefusedFile } from '../src/lib/backend';

let calls: string[] = [];
let pending: ApprovalRequest[] = [];

function mockApp(broker: object, { sofa = false, refused_files = [] as RefusedFile[] } = {}) {
  mockIPC(
    (cmd) => {
      calls.push(cmd);
      if (cmd === 'app_status') return { version: '9.8.7-test', platform: 'linux', broker, refused_files };
      // The Credentials page opens first.
      if (cmd === 'credentials_overview') return credentials();
      // Off macOS there is no "this Mac" version, so the SOFA page asks for nothing else on open.
      if (sofa && cmd === 'sofa_overview') return overview({ this_mac: null });
      if (cmd === 'presence_answer') return null;
      if (cmd === 'audit_search') return { entries: [], next: null, total: { exact: 0 } };
      if (cmd === 'audit_verify') return { ok: true, verified_through: 0, first: 0, problem: null, anchor: 'not_configured' };
      if (cmd === 'audit_facets') return { assistants: [], tools: [], domains: [] };
      if (cmd === 'assistants_list') return [];
      if (cmd === 'mcp_config_snippets') return [];
      if (cmd === 'approvals_pending') return pending;
      if (cmd === 'approvals_grants') return [];
      if (cmd === 'settings_get') return settingsView();
      if (cmd === 'launch_at_login') return false;
      if (cmd === 'http_status') return { enabled: false, port: 7483, url: null, error: null, tokens: 0 };
      if (cmd === 'http_tokens') return [];
      throw new Error(`unexpected command ${cmd}`);
    },
    { shouldMockEvents: true },
  );
}

beforeEach(() => {
  calls = [];
  pending = [];
});
afterEach(() => {
  cleanup();
  clearMocks();
});

describe('App', () => {
  it('shows the version the backend reports', async () => {
    mockApp({ state: 'running', socket: '/run/user/1000/latchkey/mcp.sock' });
    render(App);
    expect(await screen.findByTestId('version')).toHaveProperty('textContent', 'Latchkey 9.8.7-test');
    expect(calls).toEqual(['app_status', 'credentials_overview', 'approvals_pending']);
  });

  it('walks every page, none saying something is not there yet', async () => {
    mockApp({ state: 'running', socket: '/tmp/x/mcp.sock' }, { sofa: true });
    render(App);
    await screen.findByTestId('version');
    for (const page of pages) {
      await fireEvent.click(screen.getByRole('button', { name: page.title }));
      expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(page.title);
      expect(screen.getByRole('button', { name: page.title }).getAttribute('aria-current')).toBe('page');
      if (page.id === 'credentials') {
        expect(await screen.findAllByTestId(/^creds-row-/)).toHaveLength(3);
        expect(screen.queryByTestId('not-yet')).toBeNull();
      } else if (page.id === 'sofa') {
        expect((await screen.findAllByTestId('sofa-major-card')).map((c) => c.dataset.major)).toEqual([
          '26', '15', '14', '13', '12',
        ]);
        expect(screen.queryByTestId('not-yet')).toBeNull();
      } else if (page.id === 'audit') {
        expect(await screen.findByTestId('audit-empty')).not.toBeNull();
        expect(screen.getByTestId('audit-chain')).not.toBeNull();
        expect(screen.queryByTestId('not-yet')).toBeNull();
      } else if (page.id === 'approvals') {
        expect(await screen.findByTestId('pending-empty')).not.toBeNull();
        expect(screen.getByTestId('grants-empty')).not.toBeNull();
        expect(screen.queryByTestId('not-yet')).toBeNull();
      } else if (page.id === 'vcenter') {
        // The sample vCenter credential is locked: the page says to unlock it, and reads nothing.
        expect((await screen.findByTestId('vcenter-locked')).textContent).toMatch(/is locked/);
        expect(screen.queryByTestId('not-yet')).toBeNull();
      } else if (page.id === 'assistants') {
        expect(await screen.findByTestId('assistants-empty')).not.toBeNull();
        expect(screen.getByTestId('socket-path').textContent).toBe('/tmp/x/mcp.sock');
        expect(screen.queryByTestId('not-yet')).toBeNull();
      } else {
        expect(page.id).toBe('settings');
        expect(await screen.findByTestId('settings-form')).not.toBeNull();
        expect(screen.getByTestId('settings-version').textContent).toBe('9.8.7-test');
      }
      expect(screen.queryByTestId('not-yet')).toBeNull();
    }
    expect(calls).toEqual([
      'app_status',
      'credentials_overview',
      'approvals_pending',
      'approvals_pending',
      'approvals_grants',
      'audit_search',
      'audit_verify',
      'audit_facets',
      'sofa_overview',
      // For the Fleet tab (shown, as a Jamf Pro domain is unlocked, but not opened).
      'credentials_overview',
      // The vCenter page: its vCenter is locked, so nothing is read from it.
      'credentials_overview',
      'assistants_list',
      'mcp_config_snippets',
      // Settings: its MCP over HTTP part mounts first.
      'http_status',
      'http_tokens',
      'settings_get',
      'launch_at_login',
    ]);
  });

  it('shows the socket on the Assistants page when the broker runs', async () => {
    mockApp({ state: 'running', socket: '/tmp/x/mcp.sock' });
    render(App);
    await screen.findByTestId('version');
    await fireEvent.click(screen.getByRole('button', { name: 'Assistants' }));
    expect(screen.getByTestId('socket-path').textContent).toBe('/tmp/x/mcp.sock');
  });

  it('says why the broker is stopped', async () => {
    mockApp({ state: 'stopped', reason: 'another Latchkey broker is already running (pid 42)' });
    render(App);
    expect((await screen.findByTestId('broker-state')).dataset.state).toBe('stopped');
    await fireEvent.click(screen.getByRole('button', { name: 'Assistants' }));
    expect(screen.getByRole('alert').textContent).toContain('pid 42');
  });

  it('says which settings file the broker refused, why, and what to do', async () => {
    mockApp(
      { state: 'running', socket: '/tmp/x/mcp.sock' },
      {
        refused_files: [
          {
            file: '/home/me/.config/latchkey/assistants.json',
            reason: 'its seal does not match its content: it was changed outside Latchkey',
            effect: 'Every assistant is asked about again: allow yours on the Assistants page',
          },
        ],
      },
    );
    render(App);
    const [refused] = await screen.findAllByTestId('refused-file');
    expect(refused.getAttribute('role')).toBe('alert');
    expect(refused.textContent).toContain('/home/me/.config/latchkey/assistants.json');
    expect(refused.textContent).toContain('changed outside Latchkey');
    expect(refused.textContent).toContain('allow yours on the Assistants page');
  });

  it('shows no warning when every settings file verified', async () => {
    mockApp({ state: 'running', socket: '/tmp/x/mcp.sock' });
    render(App);
    await screen.findByTestId('version');
    expect(screen.queryByTestId('refused-file')).toBeNull();
  });

  it('reports a failing backend instead of showing nothing', async () => {
    mockIPC(
      () => {
        throw new Error('ipc down');
      },
      { shouldMockEvents: true },
    );
    render(App);
    const alerts = await screen.findAllByRole('alert');
    expect(alerts.map((a) => a.textContent).join('\n')).toContain('Cannot reach the app: Error: ipc down');
    expect((await screen.findByTestId('creds-error')).textContent).toContain('Cannot list the credentials: ipc down');
  });

  it('asks for a presence confirmation over any page', async () => {
    mockApp({ state: 'running', socket: '/tmp/x/mcp.sock' });
    render(App);
    await screen.findByTestId('version');
    await fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    await emit('presence-request', {
      id: 3,
      action: 'unlock HashiCorp Vault vault.example.com:8200',
      reason: 'unlock HashiCorp Vault vault.example.com:8200 (asked by Cursor)',
      requester: { kind: 'assistant', name: 'Cursor' },
      purpose: 'confirm',
    });
    const dialog = await screen.findByRole('dialog', { name: 'Confirm: unlock HashiCorp Vault vault.example.com:8200' });
    expect(dialog.textContent).toContain('assistant Cursor');
    await fireEvent.click(screen.getByTestId('presence-cancel'));
    expect(calls.at(-1)).toBe('presence_answer');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Settings');
  });

  it('shows a waiting change over any page, with a count on the Approvals button', async () => {
    mockApp({ state: 'running', socket: '/tmp/x/mcp.sock' });
    render(App);
    await screen.findByTestId('version');
    await fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    expect(screen.queryByTestId('approvals-badge')).toBeNull();
    pending = [request(), request({ id: 'b0b0b0b0' })];
    await emit('approvals-changed', 1);
    const card = await screen.findByTestId('approval-card');
    expect(card.dataset.id).toBe('3f9a1c07');
    expect((await screen.findByTestId('approvals-badge')).textContent).toBe('2');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Settings');
  });
});
