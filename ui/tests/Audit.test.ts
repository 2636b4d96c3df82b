// The Audit page against a mocked Tauri IPC: what audit_search returns is what the table shows,
// and filters, paging and exports send what the Rust side's commands take.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import Audit from '../src/pages/Audit.svelte';
import type { AuditPage, ChainStatus } from '../src/lib/backend';
import { admin, broken, cursor, facets, hashOf, intent, outcome, pages, timeOf, unanchored, verified } from './audit-data';

// A fixed time zone, so local times and their UTC conversions are known (CET is UTC+1 in November).
const zone = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'Europe/Berlin';
});
afterAll(() => {
  process.env.TZ = zone;
});

type Call = { cmd: string; args: Record<string, unknown> };
let calls: Call[] = [];
type Handler = (args: Record<string, unknown>) => unknown;

/** Mocks the audit commands: a log of 250 entries, verified, unless `h` says otherwise. */
function mockAudit(h: Record<string, Handler> = {}) {
  const log = pages(250);
  mockIPC(
    (cmd, args) => {
      const a = (args ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args: a });
      if (h[cmd]) return h[cmd](a);
      if (cmd === 'audit_search') return log(a.before as number | null);
      if (cmd === 'audit_verify') return verified(250);
      if (cmd === 'audit_facets') return facets;
      throw new Error(`unexpected command ${cmd}`);
    },
    { shouldMockEvents: true },
  );
}

function callsTo(cmd: string) {
  return calls.filter((c) => c.cmd === cmd).map((c) => c.args);
}

function rows() {
  return screen.queryAllByTestId('audit-row');
}

function row(seq: number) {
  return document.querySelector<HTMLElement>(`[data-testid="audit-row"][data-seq="${seq}"]`)!;
}

function seqs() {
  return rows().map((r) => Number(r.dataset.seq));
}

async function shown(seq = 250) {
  await waitFor(() => expect(row(seq)).not.toBeNull());
  return row(seq);
}

function button(testid: string) {
  return screen.getByTestId(testid) as HTMLButtonElement;
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

beforeEach(() => (calls = []));
afterEach(() => {
  cleanup();
  clearMocks();
  vi.restoreAllMocks();
});

describe('Audit page: the table', () => {
  it('shows the newest page of entries, an outcome pointing at its intent', async () => {
    mockAudit();
    render(Audit);
    await shown();
    expect(callsTo('audit_search')).toEqual([{ filter: {}, before: null, limit: 100 }]);
    expect(rows()).toHaveLength(100);
    expect(seqs().slice(0, 3)).toEqual([250, 249, 248]);
    expect(screen.getByTestId('audit-table').contains(row(250))).toBe(true);
    expect(screen.getByTestId('audit-total').textContent).toBe('250 entries');

    // 250 is the outcome of call 249.
    const out = row(250);
    expect(out.dataset.kind).toBe('outcome');
    expect(within(out).getByTestId('audit-intent-ref').textContent).toBe('→ #249');
    expect(within(out).getByTestId('audit-result').textContent?.trim()).toBe('ok');
    expect(out.textContent).toContain('12 ms');

    const call = row(249);
    expect(call.dataset.kind).toBe('intent');
    expect(within(call).queryByTestId('audit-intent-ref')).toBeNull();
    // The allow-list's name, then what the client called itself.
    expect(within(call).getByTestId('audit-assistant').textContent?.trim()).toBe('Claude as claude-ai 0.9.2');
    expect(within(call).getByTestId('audit-assistant').title).toContain('pid 4242');
    expect(within(call).getByTestId('audit-tool').textContent).toBe('jamf_list_computers');
    expect(call.textContent).toContain('jamf:acme.jamfcloud.com');
    expect(within(call).getByTestId('audit-decision').textContent?.trim()).toBe('allowed');
    expect(within(call).getByTestId('audit-decision').dataset.decision).toBe('allowed');

    // Local time (Berlin, UTC+1) with the UTC time in the title.
    const time = call.querySelector('td.time') as HTMLElement;
    expect(time.textContent).toBe('2026-11-21 11:04:09');
    expect(time.title).toBe('2026-11-21 10:04:09.000 UTC');
    expect(timeOf(249)).toBe('2026-11-21T10:04:09.000Z');

    expect(screen.queryByTestId('audit-empty')).toBeNull();
    expect(screen.queryByTestId('audit-error')).toBeNull();
    expect(screen.queryByTestId('not-yet')).toBeNull();
  });

  it('shows decisions as badges and failed calls by their error kind', async () => {
    const entries = [
      outcome(6, 5, { assistant: cursor, tool: 'vcenter_list_vms', domain: 'vcenter:vc01.example.com', result: { error: 'http_403' }, duration_us: 2_400_000 }),
      intent(5, { assistant: cursor, tool: 'vcenter_list_vms', domain: 'vcenter:vc01.example.com', decision: 'approved' }),
      intent(4, { decision: 'refused_locked' }),
      intent(3, { decision: 'denied' }),
      intent(2, { decision: 'refused_unknown_client', domain: null }),
      { ...intent(1), kind: 'checkpoint', assistant: null, tool: null, arguments: null, domain: null, decision: null, pruned_through: 1000, pruned_hash: hashOf(1000) },
    ] as AuditPage['entries'];
    mockAudit({ audit_search: () => ({ entries, next: null, total: { exact: 6 } }) });
    render(Audit);
    await shown(6);
    const decision = (seq: number) => within(row(seq)).getByTestId('audit-decision').textContent?.trim();
    expect(decision(5)).toBe('approved');
    expect(decision(4)).toBe('refused: locked');
    expect(decision(3)).toBe('denied');
    expect(decision(2)).toBe('refused: unknown assistant');
    expect(within(row(6)).getByTestId('audit-result').textContent?.trim()).toBe('error: http_403');
    expect(row(6).textContent).toContain('2.40 s');
    expect(within(row(6)).getByTestId('audit-assistant').textContent?.trim()).toBe('cursor 1.4.0');
    // The columns are narrow in the default window: what a cell may cut short is in its tooltip.
    expect(within(row(6)).getByTestId('audit-assistant').title).toBe('cursor 1.4.0\nExecutable: /usr/bin/cursor · pid 77');
    expect(within(row(6)).getByTestId('audit-tool').title).toBe('vcenter_list_vms');
    expect(row(6).querySelector('td[title="vcenter:vc01.example.com"]')).not.toBeNull();
    expect(within(row(6)).getByTestId('audit-result').title).toBe('error: http_403');
    expect(row(6).querySelector('td.num')?.getAttribute('title')).toBe('2.40 s');
    expect(within(row(2)).getByTestId('audit-decision').querySelector('.decision')?.getAttribute('title')).toBe(
      'Refused because the assistant was not allowed',
    );
    expect(row(1).dataset.kind).toBe('checkpoint');
    expect(row(1).textContent).toContain('entries through #1000 were pruned');
    expect(screen.getByTestId('audit-total').textContent).toBe('6 entries');
  });

  it('shows admin events readably: action, who acted, domain and details', async () => {
    const entries = [
      admin(4, 'approval.timeout', { decision: 'timed_out', arguments: { request: '7f3a' } }),
      intent(3, { decision: 'approved', approval: 'grant g-1234 (until 14:05)', tool: 'jamf_set_policy' }),
      admin(2, 'unlock'),
      admin(1, 'some.future_action', { domain: null, arguments: {} }),
    ];
    mockAudit({ audit_search: () => ({ entries, next: null, total: { exact: 4 } }) });
    render(Audit);
    await shown(4);
    expect(row(2).dataset.kind).toBe('admin');
    expect(within(row(2)).getByTestId('audit-tool').textContent?.trim()).toBe('Unlocked');
    expect(within(row(2)).getByTestId('audit-tool').title).toBe('unlock');
    expect(within(row(2)).getByTestId('audit-assistant').textContent?.trim()).toBe('latchkey-cli 0.9.0');
    expect(row(2).textContent).toContain('jamf:acme.jamfcloud.com');
    expect(within(row(2)).getByTestId('audit-admin-details').textContent).toBe('label: Acme prod · minutes: 15');
    expect(within(row(2)).getByTestId('audit-result').title).toBe('label: Acme prod · minutes: 15');
    expect(within(row(4)).getByTestId('audit-decision').textContent?.trim()).toBe('timed out');
    expect(within(row(4)).getByTestId('audit-tool').textContent?.trim()).toBe('Approval timed out');
    expect(within(row(1)).getByTestId('audit-tool').textContent?.trim()).toBe('some future action');
    expect(within(row(3)).getByTestId('audit-approval').textContent).toContain('grant g-1234 (until 14:05)');
    expect(within(row(3)).getByTestId('audit-tool').title).toBe('jamf_set_policy · grant g-1234 (until 14:05)');

    await fireEvent.click(row(2));
    const details = await screen.findByTestId('audit-details');
    expect(within(details).getByTestId('audit-details-action').textContent).toContain('Unlocked');
    expect(details.textContent).toContain('Actor');
    expect(within(details).getByTestId('audit-details-arguments').textContent).toContain('"minutes": 15');
    await fireEvent.click(screen.getByTestId('audit-details-close'));
    await fireEvent.click(row(3));
    const call = await screen.findByTestId('audit-details');
    expect(within(call).getByTestId('audit-details-approval').textContent).toBe('grant g-1234 (until 14:05)');
  });

  it('says when nothing is recorded yet', async () => {
    mockAudit({
      audit_search: () => ({ entries: [], next: null, total: { exact: 0 } }),
      audit_verify: () => verified(0, { first: 0, anchor: 'nothing_saved' }),
    });
    render(Audit);
    const empty = await screen.findByTestId('audit-empty');
    expect(empty.textContent).toContain('Nothing recorded yet.');
    expect(screen.queryByTestId('audit-table')).toBeNull();
    expect(screen.queryByTestId('audit-older')).toBeNull();
    await waitFor(() => expect(screen.getByTestId('audit-chain').textContent).toContain('Chain verified: no entries yet'));
  });

  it('says why the log cannot be read, and can try again', async () => {
    let tries = 0;
    const log = pages(250);
    mockAudit({
      audit_search: (a) =>
        tries++ ? log(a.before as number | null) : Promise.reject('the audit log cannot be opened: database disk image is malformed'),
    });
    render(Audit);
    const error = await screen.findByTestId('audit-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain('the audit log cannot be opened: database disk image is malformed');
    expect(screen.queryByTestId('audit-table')).toBeNull();
    expect(screen.queryByTestId('audit-empty')).toBeNull();
    await fireEvent.click(screen.getByTestId('audit-retry'));
    await shown();
    expect(screen.queryByTestId('audit-error')).toBeNull();
  });
});

describe('Audit page: paging', () => {
  it('goes to older pages with the cursor and back with the ones it kept', async () => {
    mockAudit();
    render(Audit);
    await shown();
    expect(button('audit-newer').disabled).toBe(true);
    expect(button('audit-older').disabled).toBe(false);
    expect(screen.getByTestId('audit-page').textContent).toBe('Page 1');

    await fireEvent.click(button('audit-older'));
    await shown(150);
    expect(seqs()[0]).toBe(150);
    expect(seqs().at(-1)).toBe(51);
    expect(screen.getByTestId('audit-page').textContent).toBe('Page 2');
    expect(document.body.textContent).toContain('showing 101–200');

    await fireEvent.click(button('audit-older'));
    await shown(50);
    expect(rows()).toHaveLength(50);
    expect(button('audit-older').disabled).toBe(true);
    expect(button('audit-newer').disabled).toBe(false);

    await fireEvent.click(button('audit-newer'));
    await shown(150);
    await fireEvent.click(button('audit-newer'));
    await shown(250);
    expect(button('audit-newer').disabled).toBe(true);

    expect(callsTo('audit_search').map((a) => a.before)).toEqual([null, 151, 51, 151, null]);
    expect(callsTo('audit_search').every((a) => a.limit === 100)).toBe(true);
  });

  it('starts from the newest page again when a filter changes', async () => {
    mockAudit();
    render(Audit);
    await shown();
    await fireEvent.click(button('audit-older'));
    await shown(150);
    await fireEvent.change(screen.getByTestId('audit-filter-decision'), { target: { value: 'denied' } });
    await waitFor(() => expect(callsTo('audit_search')).toHaveLength(3));
    expect(callsTo('audit_search').at(-1)).toEqual({ filter: { decision: 'denied' }, before: null, limit: 100 });
    await waitFor(() => expect(screen.getByTestId('audit-page').textContent).toBe('Page 1'));
  });
});

describe('Audit page: filters', () => {
  it('searches by decision at once', async () => {
    mockAudit();
    render(Audit);
    await shown();
    const decision = screen.getByTestId('audit-filter-decision') as HTMLSelectElement;
    expect([...decision.options].map((o) => o.value)).toEqual([
      '', 'allowed', 'approved', 'denied', 'refused_locked', 'refused_unknown_client', 'timed_out', 'refused_invalid',
      'refused_rate_limited',
    ]);
    await fireEvent.change(decision, { target: { value: 'refused_locked' } });
    expect(callsTo('audit_search').at(-1)).toEqual({ filter: { decision: 'refused_locked' }, before: null, limit: 100 });

    await fireEvent.change(decision, { target: { value: '' } });
    expect(callsTo('audit_search').at(-1)).toEqual({ filter: {}, before: null, limit: 100 });
  });

  it('searches by kind at once: all, assistant calls or admin events', async () => {
    mockAudit();
    render(Audit);
    await shown();
    const kind = screen.getByTestId('audit-filter-kind') as HTMLSelectElement;
    expect([...kind.options].map((o) => [o.value, o.textContent])).toEqual([
      ['', 'All'],
      ['tool', 'Assistant calls'],
      ['admin', 'Admin events'],
    ]);
    await fireEvent.change(kind, { target: { value: 'admin' } });
    expect(callsTo('audit_search').at(-1)).toEqual({ filter: { kind: 'admin' }, before: null, limit: 100 });
    await fireEvent.change(kind, { target: { value: 'tool' } });
    expect(callsTo('audit_search').at(-1)).toEqual({ filter: { kind: 'tool' }, before: null, limit: 100 });
    await fireEvent.click(screen.getByTestId('audit-filter-clear'));
    expect(callsTo('audit_search').at(-1)).toEqual({ filter: {}, before: null, limit: 100 });
  });

  it('waits for a pause in typing before searching the text', async () => {
    mockAudit();
    render(Audit);
    await shown();
    const text = screen.getByTestId('audit-filter-text');
    await fireEvent.input(text, { target: { value: 'ac' } });
    await fireEvent.input(text, { target: { value: 'acme' } });
    await fireEvent.input(text, { target: { value: 'acme C02XL ' } });
    expect(callsTo('audit_search')).toHaveLength(1);
    await waitFor(() => expect(callsTo('audit_search')).toHaveLength(2));
    expect(callsTo('audit_search')[1]).toEqual({ filter: { text: 'acme C02XL' }, before: null, limit: 100 });
    // Nothing more comes once typing stopped.
    await new Promise((r) => setTimeout(r, 400));
    expect(callsTo('audit_search')).toHaveLength(2);
  });

  it('sends a time range as UTC', async () => {
    mockAudit();
    render(Audit);
    await shown();
    await fireEvent.change(screen.getByTestId('audit-filter-since'), { target: { value: '2026-11-21T10:30' } });
    expect(callsTo('audit_search').at(-1)).toEqual({
      filter: { since: '2026-11-21T09:30:00.000Z' },
      before: null,
      limit: 100,
    });
    await fireEvent.change(screen.getByTestId('audit-filter-until'), { target: { value: '2026-07-01T00:00' } });
    // Summer time: UTC+2. And "from" after "to" is said.
    expect(callsTo('audit_search').at(-1)).toEqual({
      filter: { since: '2026-11-21T09:30:00.000Z', until: '2026-06-30T22:00:00.000Z' },
      before: null,
      limit: 100,
    });
    expect(document.body.textContent).toContain('“From” is after “To”');
  });

  it('filters by assistant, tool and domain, suggesting what the log holds', async () => {
    mockAudit();
    render(Audit);
    await shown();
    const assistant = screen.getByTestId('audit-filter-assistant') as HTMLInputElement;
    await waitFor(() =>
      expect([...assistant.list!.querySelectorAll('option')].map((o) => o.value)).toEqual(['claude-ai', 'cursor']),
    );
    const domains = (screen.getByTestId('audit-filter-domain') as HTMLInputElement).list!;
    expect([...domains.querySelectorAll('option')].map((o) => o.value)).toEqual(facets.domains);

    // Picking (a change) searches at once.
    await fireEvent.input(assistant, { target: { value: 'cursor' } });
    await fireEvent.change(assistant, { target: { value: 'cursor' } });
    expect(callsTo('audit_search').at(-1)).toEqual({ filter: { assistant: 'cursor' }, before: null, limit: 100 });
    // Any other text is allowed too.
    await fireEvent.change(screen.getByTestId('audit-filter-tool'), { target: { value: ' jamf_get_computer ' } });
    await fireEvent.change(screen.getByTestId('audit-filter-domain'), { target: { value: 'jamf:acme.jamfcloud.com' } });
    expect(callsTo('audit_search').at(-1)).toEqual({
      filter: { assistant: 'cursor', tool: 'jamf_get_computer', domain: 'jamf:acme.jamfcloud.com' },
      before: null,
      limit: 100,
    });
    const searches = callsTo('audit_search').length;

    await fireEvent.click(screen.getByTestId('audit-filter-clear'));
    expect(callsTo('audit_search')).toHaveLength(searches + 1);
    expect(callsTo('audit_search').at(-1)).toEqual({ filter: {}, before: null, limit: 100 });
    expect(assistant.value).toBe('');
  });

  it('says when nothing matches', async () => {
    const log = pages(250);
    mockAudit({
      audit_search: (a) =>
        Object.keys(a.filter as object).length ? { entries: [], next: null, total: { exact: 0 } } : log(null),
    });
    render(Audit);
    await shown();
    await fireEvent.change(screen.getByTestId('audit-filter-decision'), { target: { value: 'denied' } });
    const empty = await screen.findByTestId('audit-empty');
    expect(empty.textContent).toContain('No entries match these filters.');
    expect(screen.getByTestId('audit-total').textContent).toBe('0 entries');
  });

  it('says when the count stopped', async () => {
    mockAudit({ audit_search: () => ({ ...pages(250)(null), total: { at_least: 10_000 } }) });
    render(Audit);
    await shown();
    expect(screen.getByTestId('audit-total').textContent).toBe('at least 10,000 entries');
  });
});

describe('Audit page: the chain', () => {
  it('shows a verified chain, with the anchor in its title', async () => {
    mockAudit();
    render(Audit);
    const chain = screen.getByTestId('audit-chain');
    await waitFor(() => expect(chain.dataset.state).toBe('ok'));
    expect(chain.textContent?.trim()).toContain('Chain verified through #250');
    expect(chain.title).toContain('Entries #1 to #250 hash and link correctly.');
    expect(chain.title).toContain('Anchor: confirmed');
    expect(screen.getByTestId('audit-anchor').dataset.anchor).toBe('confirmed');
  });

  it('shows a broken chain, and verifies again', async () => {
    let answers: ChainStatus[] = [broken, verified(250, { anchor: 'not_configured' })];
    const second = deferred<ChainStatus>();
    mockAudit({ audit_verify: () => (answers.length > 1 ? answers.shift() : second.promise) });
    render(Audit);
    const chain = screen.getByTestId('audit-chain');
    await waitFor(() => expect(chain.dataset.state).toBe('broken'));
    expect(chain.textContent?.trim()).toContain('Chain broken at #42: entry 42 was changed after it was written');
    expect(chain.getAttribute('role')).toBe('alert');
    expect(chain.title).toContain('Anchor: contradicted');

    await fireEvent.click(button('audit-verify'));
    expect(callsTo('audit_verify')).toHaveLength(2);
    await waitFor(() => expect(button('audit-verify').textContent).toBe('Verifying…'));
    expect(button('audit-verify').disabled).toBe(true);
    second.resolve(answers[0]);
    answers = [];
    await waitFor(() => expect(chain.dataset.state).toBe('ok'));
    expect(chain.title).toContain('Anchor: not configured');
    expect(button('audit-verify').textContent).toBe('Verify again');
  });

  it('offers to acknowledge a recorded break, then verifies again', async () => {
    const recorded: ChainStatus = {
      ...broken,
      problem: { seq: 9, message: 'the chain was found broken at #9', kind: 'broken' },
    };
    let answers: ChainStatus[] = [recorded, verified(12)];
    mockAudit({ audit_verify: () => answers.shift(), audit_acknowledge: () => true });
    render(Audit);
    const chain = screen.getByTestId('audit-chain');
    await waitFor(() => expect(chain.dataset.state).toBe('broken'));
    await fireEvent.click(button('audit-acknowledge'));
    await waitFor(() => expect(chain.dataset.state).toBe('ok'));
    expect(callsTo('audit_acknowledge')).toHaveLength(1);
    expect(screen.queryByTestId('audit-acknowledge')).toBeNull();
    answers = [];
  });

  it('offers no acknowledgement for an edited entry', async () => {
    mockAudit({ audit_verify: () => broken });
    render(Audit);
    await waitFor(() => expect(screen.getByTestId('audit-chain').dataset.state).toBe('broken'));
    expect(screen.queryByTestId('audit-acknowledge')).toBeNull();
  });

  it('shows an unanchored log in amber, not as broken', async () => {
    mockAudit({ audit_verify: () => unanchored });
    render(Audit);
    const chain = screen.getByTestId('audit-chain');
    await waitFor(() => expect(chain.dataset.state).toBe('unanchored'));
    expect(chain.textContent).toContain('Chain not anchored: #1 to #6 link correctly');
    expect(chain.getAttribute('role')).toBe('status');
    expect(screen.getByTestId('audit-anchor').dataset.anchor).toBe('nothing_saved');
  });

  it('says when the chain cannot be verified', async () => {
    mockAudit({ audit_verify: () => Promise.reject('the audit log cannot be opened: permission denied') });
    render(Audit);
    const chain = screen.getByTestId('audit-chain');
    await waitFor(() => expect(chain.dataset.state).toBe('error'));
    expect(chain.textContent).toContain('Cannot verify the chain: the audit log cannot be opened: permission denied');
  });
});

describe('Audit page: export', () => {
  it('exports the current filter and shows where the file went', async () => {
    mockAudit({
      audit_export: (a) => `/home/ada/Downloads/latchkey-audit-2026-11-21.${a.format as string}`,
    });
    render(Audit);
    await shown();
    await fireEvent.click(button('audit-export-jsonl'));
    expect(callsTo('audit_export')).toEqual([{ filter: {}, format: 'jsonl' }]);
    expect((await screen.findByTestId('audit-export-path')).textContent).toBe(
      '/home/ada/Downloads/latchkey-audit-2026-11-21.jsonl',
    );

    // Text still being typed is part of the export.
    await fireEvent.change(screen.getByTestId('audit-filter-decision'), { target: { value: 'denied' } });
    await fireEvent.input(screen.getByTestId('audit-filter-text'), { target: { value: 'acme' } });
    await fireEvent.click(button('audit-export-csv'));
    expect(callsTo('audit_export').at(-1)).toEqual({ filter: { decision: 'denied', text: 'acme' }, format: 'csv' });
    await waitFor(() =>
      expect(screen.getByTestId('audit-export-path').textContent).toBe('/home/ada/Downloads/latchkey-audit-2026-11-21.csv'),
    );
  });

  it('says why an export failed', async () => {
    mockAudit({ audit_export: () => Promise.reject('cannot write ~/Downloads: read-only file system') });
    render(Audit);
    await shown();
    await fireEvent.click(button('audit-export-csv'));
    expect((await screen.findByTestId('audit-export-error')).textContent).toContain('read-only file system');
    expect(screen.queryByTestId('audit-export-path')).toBeNull();
  });
});

describe('Audit page: details', () => {
  it('opens an entry with its arguments as indented JSON and its hashes', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    mockAudit();
    render(Audit);
    await shown();
    await fireEvent.click(row(249));
    const details = await screen.findByTestId('audit-details');
    expect(details.getAttribute('role')).toBe('dialog');
    expect(within(details).getByRole('heading', { level: 2 }).textContent).toBe('Entry #249: call (intent)');
    expect(screen.getByTestId('audit-details-assistant').textContent?.trim()).toBe('Claude as claude-ai 0.9.2');
    expect(details.textContent).toContain('/Applications/Claude.app/Contents/MacOS/Claude');
    expect(details.textContent).toContain('com.anthropic.claudefordesktop');
    expect(screen.getByTestId('audit-details-arguments').textContent).toBe(
      JSON.stringify(intent(249).arguments, null, 2),
    );
    expect(screen.getByTestId('audit-details-arguments').textContent).toContain('\n  "filter": {\n    "serial": "C02XL0GHJGH5"\n  }');
    expect(screen.getByTestId('audit-details-hash').textContent).toBe(hashOf(249));
    expect(screen.getByTestId('audit-details-prev-hash').textContent).toBe(hashOf(248));
    expect(row(249).classList.contains('selected')).toBe(true);

    await fireEvent.click(screen.getByTestId('audit-copy-hash'));
    expect(writeText).toHaveBeenCalledWith(hashOf(249));
    await waitFor(() => expect(screen.getByTestId('audit-copy-hash').textContent).toBe('Copied'));

    // From the call to its outcome and back.
    await fireEvent.click(screen.getByTestId('audit-details-outcome'));
    await waitFor(() => expect(within(details).getByRole('heading', { level: 2 }).textContent).toBe('Entry #250: outcome'));
    expect(screen.getByTestId('audit-details-result').textContent?.trim()).toBe('ok');
    expect(screen.queryByTestId('audit-details-arguments')).toBeNull();
    await fireEvent.click(screen.getByTestId('audit-details-intent'));
    await waitFor(() => expect(within(details).getByRole('heading', { level: 2 }).textContent).toBe('Entry #249: call (intent)'));

    await fireEvent.click(screen.getByTestId('audit-details-close'));
    await waitFor(() => expect(screen.queryByTestId('audit-details')).toBeNull());
    vi.unstubAllGlobals();
  });

  it('closes on Escape', async () => {
    mockAudit();
    render(Audit);
    await shown();
    await fireEvent.click(within(row(250)).getByRole('button', { name: 'Details of entry 250' }));
    await screen.findByTestId('audit-details');
    await fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('audit-details')).toBeNull());
  });
});

describe('Audit page: new entries', () => {
  it('refreshes the newest page when entries are written', async () => {
    let count = 250;
    mockAudit({ audit_search: (a) => pages(count)(a.before as number | null) });
    render(Audit);
    await shown();
    count = 252;
    await emit('audit-changed');
    await emit('audit-changed');
    await shown(252);
    expect(seqs().slice(0, 3)).toEqual([252, 251, 250]);
    expect(screen.getByTestId('audit-total').textContent).toBe('252 entries');
    // A burst is one search.
    expect(callsTo('audit_search')).toEqual([
      { filter: {}, before: null, limit: 100 },
      { filter: {}, before: null, limit: 100 },
    ]);
  });

  it('leaves a later page where it is, offering the newest', async () => {
    let count = 250;
    mockAudit({ audit_search: (a) => pages(count)(a.before as number | null) });
    render(Audit);
    await shown();
    await fireEvent.click(button('audit-older'));
    await shown(150);
    count = 260;
    await emit('audit-changed');
    const fresh = await screen.findByTestId('audit-new-entries');
    await new Promise((r) => setTimeout(r, 300));
    expect(callsTo('audit_search')).toHaveLength(2);
    expect(seqs()[0]).toBe(150);

    await fireEvent.click(fresh);
    await shown(260);
    expect(callsTo('audit_search').at(-1)).toEqual({ filter: {}, before: null, limit: 100 });
    expect(screen.queryByTestId('audit-new-entries')).toBeNull();
    expect(screen.getByTestId('audit-page').textContent).toBe('Page 1');
  });
});
