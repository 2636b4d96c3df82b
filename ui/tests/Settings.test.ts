// The Settings page against a mocked Tauri IPC: it shows what the broker runs with, checks each
// field as it is typed, and saves through settings_set.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import Settings from '../src/pages/Settings.svelte';
import { draftOf, settingsOf } from '../src/pages/settings/format';
import type { AppStatus, Settings as SettingsType } from '../src/lib/backend';
import { view } from './settings-data';

type Handler = (args: Record<string, unknown>) => unknown;
let calls: { cmd: string; args: Record<string, unknown> }[] = [];

function mock(h: Record<string, Handler> = {}) {
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: a });
    if (h[cmd]) return h[cmd](a);
    if (cmd === 'settings_get') return view();
    if (cmd === 'settings_check') return [];
    if (cmd === 'launch_at_login') return false;
    if (cmd === 'http_status') return { enabled: false, port: 7483, url: null, error: null, tokens: 0 };
    if (cmd === 'http_tokens') return [];
    throw new Error(`unexpected command ${cmd}`);
  });
}

const status: AppStatus = {
  version: '0.1.0',
  platform: 'linux',
  broker: { state: 'running', socket: '/tmp/x/mcp.sock' },
  refused_files: [],
} as unknown as AppStatus;

const input = (key: string) => screen.getByTestId(`settings-field-${key.replace(/\./g, '-')}`) as HTMLInputElement;

async function type(key: string, value: string) {
  await fireEvent.input(input(key), { target: { value } });
}

beforeEach(() => {
  calls = [];
});
afterEach(() => {
  cleanup();
  clearMocks();
});

describe('settings format', () => {
  it('turns the settings into a draft and back', () => {
    const s = view().settings;
    expect(settingsOf(draftOf(s))).toEqual({ settings: s, problems: [] });
    const idle = { ...draftOf(s), idle_minutes: '15' };
    expect(settingsOf(idle).settings?.idle_minutes).toBe(15);
  });

  it('names a field that is not a whole number', () => {
    const bad = { ...draftOf(view().settings), 'approvals.timeout_seconds': '2 min' };
    expect(settingsOf(bad)).toEqual({
      settings: null,
      problems: [{ field: 'approvals.timeout_seconds', message: 'An approval waits must be a whole number.' }],
    });
  });
});

describe('Settings page', () => {
  it('shows what the broker runs with, and what overrides it', async () => {
    mock({
      settings_get: () => view({ overrides: [{ field: 'sofa.feed', by: 'LATCHKEY_SOFA_FEED=/tmp/feed.json' }] }),
    });
    render(Settings, { status });
    await screen.findByTestId('settings-form');
    expect(input('approvals.timeout_seconds').value).toBe('120');
    expect(input('deadlines.exploited_days').value).toBe('7');
    expect((screen.getByTestId('settings-feed-choice') as HTMLSelectElement).value).toBe('v2');
    expect(screen.getByTestId('settings-override-sofa-feed').textContent).toContain('LATCHKEY_SOFA_FEED=/tmp/feed.json');
    expect(screen.getByTestId('settings-file').textContent).toBe('/home/admin/.config/latchkey/settings.json');
    expect((screen.getByTestId('settings-save') as HTMLButtonElement).disabled).toBe(true);
  });

  it("shows the backend's reason next to the field as it is typed, and does not save", async () => {
    mock({
      settings_check: (a) =>
        (a.settings as SettingsType).audit.retention_days < 30
          ? [{ field: 'audit.retention_days', message: 'audit.retention_days must be 30 to 3650 days (it is 7)' }]
          : [],
    });
    render(Settings, { status });
    await screen.findByTestId('settings-form');
    await type('audit.retention_days', '7');
    expect((await screen.findByTestId('settings-field-error-audit-retention_days')).textContent).toBe(
      'audit.retention_days must be 30 to 3650 days (it is 7)',
    );
    await fireEvent.submit(screen.getByTestId('settings-form'));
    await waitFor(() => expect(calls.filter((c) => c.cmd === 'settings_check').length).toBeGreaterThan(1));
    expect(calls.some((c) => c.cmd === 'settings_set')).toBe(false);
  });

  it('saves every field, says a guard is changed, and shows what is then in force', async () => {
    let sent: SettingsType | null = null;
    mock({
      settings_set: (a) => {
        sent = a.settings as SettingsType;
        return view({ settings: sent });
      },
    });
    render(Settings, { status });
    await screen.findByTestId('settings-form');
    await type('approvals.timeout_seconds', '300');
    await type('idle_minutes', '20');
    expect(screen.getByText(/Saving asks you to confirm/)).not.toBeNull();
    await fireEvent.change(screen.getByTestId('settings-feed-choice'), { target: { value: 'custom' } });
    await type('sofa.feed', 'https://sofa.example.com/v2/macos_data_feed.json');
    await fireEvent.change(input('notifications.enabled'), { target: { value: 'off' } });
    await fireEvent.submit(screen.getByTestId('settings-form'));
    expect((await screen.findByTestId('settings-saved')).textContent).toMatch(/Saved/);
    expect(sent).toEqual({
      ...view().settings,
      idle_minutes: 20,
      approvals: { timeout_seconds: 300 },
      sofa: { feed: 'https://sofa.example.com/v2/macos_data_feed.json', refresh_hours: 6 },
      notifications: { enabled: false },
    });
    expect(input('approvals.timeout_seconds').value).toBe('300');
    expect((screen.getByTestId('settings-save') as HTMLButtonElement).disabled).toBe(true);
  });

  it('warns that longer deadlines, rarer refreshes and notifications off ask to confirm, and stricter ones do not', async () => {
    mock();
    render(Settings, { status });
    await screen.findByTestId('settings-form');
    const note = () => screen.queryByTestId('settings-confirm-note');
    await type('deadlines.exploited_days', '3');
    await type('sofa.refresh_hours', '2');
    expect(note()).toBeNull();
    await type('deadlines.exploited_days', '30');
    expect(note()?.textContent).toMatch(/longer deadlines, rarer refreshes or notifications\s+turned off could hide overdue Macs/);
    await type('deadlines.exploited_days', '7');
    expect(note()).toBeNull();
    await type('sofa.refresh_hours', '24');
    expect(note()).not.toBeNull();
    await type('sofa.refresh_hours', '6');
    await fireEvent.change(input('notifications.enabled'), { target: { value: 'off' } });
    expect(note()).not.toBeNull();
  });

  it('switches launch at login on its own, without touching the broker settings', async () => {
    mock({ set_launch_at_login: (a) => a.enabled });
    render(Settings, { status });
    const field = (await screen.findByTestId('settings-launch-at_login')) as HTMLSelectElement;
    expect(field.value).toBe('off');
    await fireEvent.change(field, { target: { value: 'on' } });
    await fireEvent.submit(screen.getByTestId('settings-form'));
    expect((await screen.findByTestId('settings-saved')).textContent).toMatch(/Saved/);
    expect(calls.filter((c) => c.cmd === 'set_launch_at_login').map((c) => c.args)).toEqual([{ enabled: true }]);
    expect(calls.some((c) => c.cmd === 'settings_set')).toBe(false);
  });

  it('turns MCP over HTTP on, shows a new token once, and revokes it', async () => {
    let enabled = false;
    let tokens: { name: string; created: string }[] = [];
    mock({
      http_status: () => ({
        enabled,
        port: 7483,
        url: enabled ? 'http://127.0.0.1:7483/mcp' : null,
        error: null,
        tokens: tokens.length,
      }),
      http_tokens: () => tokens,
      http_enable: (a) => {
        expect(a.port).toBe(7483);
        enabled = true;
        return null;
      },
      http_token_create: (a) => {
        tokens = [{ name: a.name as string, created: '2026-12-07T12:00:00Z' }];
        return { name: a.name, token: 'lk_made-once' };
      },
      http_token_revoke: () => {
        tokens = [];
        return true;
      },
    });
    render(Settings, { status });
    expect((await screen.findByTestId('http-state')).textContent).toMatch(/Off/);
    await fireEvent.click(screen.getByTestId('http-enable'));
    expect((await screen.findByTestId('http-url')).textContent).toBe('http://127.0.0.1:7483/mcp');
    const tokenForm = screen.getByTestId('http-token-name').closest('form')!;
    await fireEvent.submit(tokenForm);
    expect((await screen.findByTestId('http-error')).textContent).toMatch(/name is required/);
    await fireEvent.input(screen.getByTestId('http-token-name'), { target: { value: 'cursor' } });
    await fireEvent.submit(tokenForm);
    expect((await screen.findByTestId('http-new-token')).textContent).toBe('lk_made-once');
    expect(await screen.findByTestId('http-token-cursor')).not.toBeNull();
    await fireEvent.click(screen.getByTestId('http-new-token-done'));
    expect(document.body.innerHTML).not.toContain('lk_made-once');
    await fireEvent.click(screen.getByTestId('http-revoke-cursor'));
    await waitFor(() => expect(screen.queryByTestId('http-token-cursor')).toBeNull());
  });

  it('puts a refused save (declined presence) above the buttons, keeping what was typed', async () => {
    mock({ settings_set: () => Promise.reject({ message: 'the confirmation was declined', field: null }) });
    render(Settings, { status });
    await screen.findByTestId('settings-form');
    await type('unlock_minutes', '480');
    await fireEvent.submit(screen.getByTestId('settings-form'));
    expect((await screen.findByTestId('settings-error')).textContent).toBe('the confirmation was declined');
    expect(input('unlock_minutes').value).toBe('480');
  });
});
