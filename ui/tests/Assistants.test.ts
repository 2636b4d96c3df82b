// The Assistants page against a mocked Tauri IPC: the assistants the Rust side remembers, what
// Revoke / Allow / Forget send, and the configuration snippets with their Copy buttons.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import Assistants from '../src/pages/Assistants.svelte';
import type { AppStatus, AssistantView, McpConfigSnippet } from '../src/lib/backend';

const MINUTE = 60_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

const CLAUDE = '/Applications/Claude.app';
const PYTHON = '/usr/bin/python3';
const CURSOR = '/usr/share/cursor/cursor';

const claude: AssistantView = {
  path: CLAUDE,
  name: 'Claude',
  bundle_id: 'com.anthropic.claudefordesktop',
  team_id: 'Q6L2SF6YDW',
  verdict: 'allowed',
  first_seen: ago(3 * 24 * 60 * MINUTE),
  last_seen: ago(5 * MINUTE),
  calls_today: 42,
};
const python: AssistantView = {
  path: PYTHON,
  name: 'python3',
  bundle_id: null,
  team_id: null,
  verdict: 'denied',
  first_seen: ago(2 * 60 * MINUTE),
  last_seen: ago(2 * 60 * MINUTE),
  calls_today: 0,
};
const cursor: AssistantView = {
  path: CURSOR,
  name: 'cursor',
  bundle_id: null,
  team_id: null,
  verdict: 'allowed',
  first_seen: ago(10 * 24 * 60 * MINUTE),
  last_seen: ago(26 * 60 * MINUTE),
  calls_today: 1,
};

const snippets: McpConfigSnippet[] = [
  {
    client: 'claude-desktop',
    title: 'Claude Desktop',
    location: '~/Library/Application Support/Claude/claude_desktop_config.json',
    snippet: '{\n  "mcpServers": {\n    "latchkey": { "command": "/usr/local/bin/latchkey", "args": ["mcp"] }\n  }\n}',
  },
  {
    client: 'claude-code',
    title: 'Claude Code',
    location: 'Run in a terminal',
    snippet: 'claude mcp add latchkey -- /usr/local/bin/latchkey mcp',
  },
  {
    client: 'cursor',
    title: 'Cursor',
    location: '~/.cursor/mcp.json',
    snippet: '{ "mcpServers": { "latchkey": { "command": "/usr/local/bin/latchkey", "args": ["mcp"] } } }',
  },
];

type Call = { cmd: string; args: Record<string, unknown> };
let calls: Call[] = [];
type Handler = (args: Record<string, unknown>) => unknown;

let remembered: AssistantView[] = [];

/** Mocks the assistants commands over `remembered`, which set and forget change. */
function mockAssistants(h: Record<string, Handler> = {}) {
  mockIPC(
    (cmd, args) => {
      const a = (args ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args: a });
      if (h[cmd]) return h[cmd](a);
      if (cmd === 'assistants_list') return remembered;
      if (cmd === 'assistants_set') {
        remembered = remembered.map((r) => (r.path === a.path ? { ...r, verdict: a.verdict as AssistantView['verdict'] } : r));
        return remembered;
      }
      if (cmd === 'assistants_forget') return (remembered = remembered.filter((r) => r.path !== a.path));
      if (cmd === 'mcp_config_snippets') return snippets;
      throw new Error(`unexpected command ${cmd}`);
    },
    { shouldMockEvents: true },
  );
}

const running: AppStatus = {
  version: '0.1.0',
  platform: 'macos',
  broker: { state: 'running', socket: '/Users/ada/Library/Application Support/Latchkey/mcp.sock' },
  refused_files: [],
};

function callsTo(cmd: string) {
  return calls.filter((c) => c.cmd === cmd).map((c) => c.args);
}

function row(path: string) {
  return document.querySelector<HTMLElement>(`[data-testid="assistant-row"][data-path="${path}"]`)!;
}

function inRow(path: string, testid: string) {
  return within(row(path)).getByTestId(testid) as HTMLButtonElement;
}

async function shown() {
  await waitFor(() => expect(row(CLAUDE)).not.toBeNull());
}

beforeEach(() => {
  calls = [];
  remembered = [claude, python, cursor];
});
afterEach(() => {
  cleanup();
  clearMocks();
  vi.unstubAllGlobals();
});

describe('Assistants page: the list', () => {
  it('lists allowed and denied assistants with their details', async () => {
    mockAssistants();
    render(Assistants, { status: running });
    await shown();
    expect(screen.getByTestId('socket-path').textContent).toBe(running.broker.state === 'running' ? running.broker.socket : '');
    const list = screen.getByTestId('assistants-list');
    const groups = within(list).getAllByTestId('assistants-group');
    expect(groups.map((g) => g.dataset.verdict)).toEqual(['allowed', 'denied']);
    // Most recently seen first, as listed.
    expect(within(groups[0]).getAllByTestId('assistant-row').map((r) => r.dataset.path)).toEqual([CLAUDE, CURSOR]);
    expect(within(groups[1]).getAllByTestId('assistant-row').map((r) => r.dataset.path)).toEqual([PYTHON]);
    expect(row(CLAUDE).dataset.verdict).toBe('allowed');
    expect(row(PYTHON).dataset.verdict).toBe('denied');

    const c = row(CLAUDE);
    expect(c.textContent).toContain('Claude');
    expect(c.textContent).toContain(CLAUDE);
    expect(c.textContent).toContain('com.anthropic.claudefordesktop');
    expect(inRow(CLAUDE, 'assistant-team-id').textContent).toBe('Team ID Q6L2SF6YDW');
    expect(within(row(PYTHON)).queryByTestId('assistant-team-id')).toBeNull();
    expect(c.textContent).toContain('first seen 3 days ago');
    expect(c.textContent).toContain('last seen 5 min ago');
    const lastSeen = [...c.querySelectorAll<HTMLElement>('[title]')].find((e) => e.textContent?.startsWith('last seen'))!;
    expect(lastSeen.title).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    expect(inRow(CLAUDE, 'assistant-calls-today').textContent).toBe('42 calls today');
    expect(inRow(CURSOR, 'assistant-calls-today').textContent).toBe('1 call today');
    expect(inRow(PYTHON, 'assistant-calls-today').dataset.count).toBe('0');

    // Allowed ones can be revoked, denied ones allowed; both forgotten.
    expect(within(c).queryByTestId('assistant-allow')).toBeNull();
    expect(inRow(CLAUDE, 'assistant-revoke').textContent).toBe('Revoke');
    expect(within(row(PYTHON)).queryByTestId('assistant-revoke')).toBeNull();
    expect(inRow(PYTHON, 'assistant-allow').textContent).toBe('Allow');
    expect(inRow(PYTHON, 'assistant-forget').textContent).toBe('Forget');
    expect(screen.queryByTestId('assistants-empty')).toBeNull();
    expect(screen.queryByTestId('not-yet')).toBeNull();
    expect(callsTo('assistants_list')).toHaveLength(1);
  });

  it('says how to start when no assistant has connected', async () => {
    remembered = [];
    mockAssistants();
    render(Assistants, { status: running });
    const empty = await screen.findByTestId('assistants-empty');
    expect(empty.textContent?.trim()).toBe(
      'No assistant has connected yet — add Latchkey to one with the snippets below.',
    );
    expect(screen.queryByTestId('assistants-list')).toBeNull();
    expect(await screen.findAllByTestId('mcp-snippet')).toHaveLength(3);
  });

  it('lists again when the Rust side says the assistants changed', async () => {
    mockAssistants();
    render(Assistants, { status: running });
    await shown();
    remembered = [{ ...python, verdict: 'allowed', calls_today: 3 }, claude, cursor];
    await emit('assistants-changed');
    await waitFor(() => expect(row(PYTHON).dataset.verdict).toBe('allowed'));
    expect(inRow(PYTHON, 'assistant-calls-today').textContent).toBe('3 calls today');
    expect(callsTo('assistants_list')).toHaveLength(2);
  });

  it('says why the list cannot be read, keeping the socket and snippets', async () => {
    let tries = 0;
    mockAssistants({ assistants_list: () => (tries++ ? remembered : Promise.reject('cannot read assistants.json: permission denied')) });
    render(Assistants, { status: running });
    const error = await screen.findByTestId('assistants-error');
    expect(error.textContent).toContain('Cannot list the assistants: cannot read assistants.json: permission denied');
    expect(screen.getByTestId('socket-path')).not.toBeNull();
    expect(await screen.findAllByTestId('mcp-snippet')).toHaveLength(3);
    await fireEvent.click(screen.getByTestId('assistants-retry'));
    await shown();
    expect(screen.queryByTestId('assistants-error')).toBeNull();
  });
});

describe('Assistants page: revoke, allow, forget', () => {
  it('revokes after a confirmation in the row', async () => {
    mockAssistants();
    render(Assistants, { status: running });
    await shown();
    await fireEvent.click(inRow(CLAUDE, 'assistant-revoke'));
    expect(callsTo('assistants_set')).toEqual([]);
    const confirm = inRow(CLAUDE, 'assistant-confirm');
    expect(confirm.textContent).toBe('Revoke');
    expect(row(CLAUDE).textContent).toContain('Revoke Claude? Latchkey will refuse it until you allow it again.');
    // Only this row asks, and its buttons wait.
    expect(within(row(CURSOR)).queryByTestId('assistant-confirm')).toBeNull();
    expect(inRow(CLAUDE, 'assistant-forget').disabled).toBe(true);

    await fireEvent.click(confirm);
    expect(callsTo('assistants_set')).toEqual([{ path: CLAUDE, verdict: 'denied' }]);
    await waitFor(() => expect(row(CLAUDE).dataset.verdict).toBe('denied'));
    expect(within(row(CLAUDE)).queryByTestId('assistant-confirm')).toBeNull();
    expect(row(CLAUDE).closest('[data-testid="assistants-group"]')!.getAttribute('data-verdict')).toBe('denied');
    expect(screen.getByTestId('assistants-notice').textContent).toContain('Revoked Claude');
  });

  it('cancels a revoke', async () => {
    mockAssistants();
    render(Assistants, { status: running });
    await shown();
    await fireEvent.click(inRow(CURSOR, 'assistant-revoke'));
    await fireEvent.click(inRow(CURSOR, 'assistant-confirm-cancel'));
    expect(within(row(CURSOR)).queryByTestId('assistant-confirm')).toBeNull();
    expect(calls.map((c) => c.cmd)).not.toContain('assistants_set');
    expect(row(CURSOR).dataset.verdict).toBe('allowed');
  });

  it('allows a denied assistant at once', async () => {
    mockAssistants();
    render(Assistants, { status: running });
    await shown();
    await fireEvent.click(inRow(PYTHON, 'assistant-allow'));
    expect(callsTo('assistants_set')).toEqual([{ path: PYTHON, verdict: 'allowed' }]);
    await waitFor(() => expect(row(PYTHON).dataset.verdict).toBe('allowed'));
    expect(screen.queryAllByTestId('assistants-group').map((g) => g.dataset.verdict)).toEqual(['allowed']);
  });

  it('forgets after a confirmation', async () => {
    mockAssistants();
    render(Assistants, { status: running });
    await shown();
    await fireEvent.click(inRow(PYTHON, 'assistant-forget'));
    expect(row(PYTHON).textContent).toContain('asked about again the next time it connects');
    await fireEvent.click(inRow(PYTHON, 'assistant-confirm'));
    expect(callsTo('assistants_forget')).toEqual([{ path: PYTHON }]);
    await waitFor(() => expect(row(PYTHON)).toBeNull());
    expect(screen.getByTestId('assistants-notice').textContent).toContain('Forgot python3');
  });

  it('says why an action failed', async () => {
    mockAssistants({ assistants_set: () => Promise.reject({ message: 'cannot save assistants.json: disk full', field: null }) });
    render(Assistants, { status: running });
    await shown();
    await fireEvent.click(inRow(CLAUDE, 'assistant-revoke'));
    await fireEvent.click(inRow(CLAUDE, 'assistant-confirm'));
    const error = await screen.findByTestId('assistants-action-error');
    expect(error.textContent).toBe('Could not revoke Claude: cannot save assistants.json: disk full');
    expect(row(CLAUDE).dataset.verdict).toBe('allowed');
    // The confirmation stays, to try again or cancel.
    expect(inRow(CLAUDE, 'assistant-confirm').disabled).toBe(false);
  });
});

describe('Assistants page: configuration snippets', () => {
  function snippet(client: string) {
    return document.querySelector<HTMLElement>(`[data-testid="mcp-snippet"][data-client="${client}"]`)!;
  }

  it('shows each client with where it goes, and copies it', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    mockAssistants();
    render(Assistants, { status: running });
    const all = await screen.findAllByTestId('mcp-snippet');
    expect(all.map((s) => s.dataset.client)).toEqual(['claude-desktop', 'claude-code', 'cursor']);
    const desktop = snippet('claude-desktop');
    expect(within(desktop).getByRole('heading').textContent).toBe('Claude Desktop');
    expect(within(desktop).getByTestId('mcp-snippet-location').textContent).toBe(snippets[0].location);
    expect(desktop.querySelector('pre')!.textContent).toBe(snippets[0].snippet);

    const copy = within(snippet('claude-code')).getByTestId('mcp-snippet-copy');
    expect(copy.dataset.client).toBe('claude-code');
    expect(copy.textContent).toBe('Copy');
    await fireEvent.click(copy);
    expect(writeText).toHaveBeenCalledWith('claude mcp add latchkey -- /usr/local/bin/latchkey mcp');
    await waitFor(() => expect(copy.textContent).toBe('Copied'));
    expect(copy.dataset.state).toBe('copied');
    expect(within(snippet('cursor')).getByTestId('mcp-snippet-copy').textContent).toBe('Copy');
  });

  it('selects the text when the clipboard refuses', async () => {
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText: () => Promise.reject(new Error('not allowed')) } });
    mockAssistants();
    render(Assistants, { status: running });
    await screen.findAllByTestId('mcp-snippet');
    const copy = within(snippet('cursor')).getByTestId('mcp-snippet-copy');
    await fireEvent.click(copy);
    await waitFor(() => expect(copy.dataset.state).toBe('failed'));
    expect(snippet('cursor').textContent).toContain('Cannot copy here');
    expect(window.getSelection()?.toString()).toBe(snippets[2].snippet);
  });

  it('falls back to the print-config commands when there are no snippets', async () => {
    mockAssistants({ mcp_config_snippets: () => Promise.reject('cannot find the latchkey command') });
    render(Assistants, { status: running });
    expect((await screen.findByTestId('mcp-snippets-error')).textContent).toContain('cannot find the latchkey command');
    expect(document.body.textContent).toContain('latchkey mcp --print-config claude-desktop');
  });
});
