// The app shell against a mocked Tauri IPC: what the Rust side returns is what the page shows.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import App from '../src/App.svelte';
import { pages } from '../src/pages';
import { overview } from './sofa-data';

let calls: string[] = [];

function mockApp(broker: object, { sofa = false } = {}) {
  mockIPC((cmd) => {
    calls.push(cmd);
    if (cmd === 'app_status') return { version: '9.8.7-test', platform: 'linux', broker };
    // Off macOS there is no "this Mac" version, so the SOFA page asks for nothing else on open.
    if (sofa && cmd === 'sofa_overview') return overview({ this_mac: null });
    throw new Error(`unexpected command ${cmd}`);
  });
}

beforeEach(() => (calls = []));
afterEach(() => {
  cleanup();
  clearMocks();
});

describe('App', () => {
  it('shows the version the backend reports', async () => {
    mockApp({ state: 'running', socket: '/run/user/1000/latchkey/mcp.sock' });
    render(App);
    expect(await screen.findByTestId('version')).toHaveProperty('textContent', 'Latchkey 9.8.7-test');
    expect(calls).toEqual(['app_status']);
  });

  it('walks every page, each but SOFA saying what is not there yet', async () => {
    mockApp({ state: 'running', socket: '/tmp/x/mcp.sock' }, { sofa: true });
    render(App);
    await screen.findByTestId('version');
    for (const page of pages) {
      await fireEvent.click(screen.getByRole('button', { name: page.title }));
      expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(page.title);
      expect(screen.getByRole('button', { name: page.title }).getAttribute('aria-current')).toBe('page');
      if (page.id === 'sofa') {
        expect((await screen.findAllByTestId('sofa-major-card')).map((c) => c.dataset.major)).toEqual([
          '26', '15', '14', '13', '12',
        ]);
        expect(screen.queryByTestId('not-yet')).toBeNull();
      } else {
        expect(screen.getByTestId('not-yet').textContent).toMatch(/Not here yet/);
      }
    }
    expect(calls).toEqual(['app_status', 'sofa_overview']);
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

  it('reports a failing backend instead of showing nothing', async () => {
    mockIPC(() => {
      throw new Error('ipc down');
    });
    render(App);
    expect((await screen.findByRole('alert')).textContent).toContain('ipc down');
  });
});
