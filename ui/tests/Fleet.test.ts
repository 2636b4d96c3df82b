// The SOFA page's Fleet tab against a mocked Tauri IPC: which Jamf Pro domains it offers (from
// credentials_overview), what jamf_fleet_report returns and how the page shows it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import Sofa from '../src/pages/Sofa.svelte';
import type { CredentialView, CredentialsOverview, FleetSecurityReport } from '../src/lib/backend';
import { JAMF, jamfClient, overview as credentials, vault, withLock } from './credentials-data';
import { bigFleet, fleetReport, macs } from './fleet-data';
import { overview } from './sofa-data';

type Call = { cmd: string; args: Record<string, unknown> };
let calls: Call[] = [];

type ReportArgs = { domain: string; refresh: boolean };

interface Handlers {
  credentials?: () => CredentialsOverview;
  report?: (args: ReportArgs) => FleetSecurityReport | Promise<FleetSecurityReport>;
}

function mockFleet(h: Handlers = {}) {
  mockIPC(
    (cmd, args) => {
      const a = (args ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args: a });
      if (cmd === 'sofa_overview') return overview();
      if (cmd === 'credentials_overview') return (h.credentials ?? (() => credentials()))();
      if (cmd === 'jamf_fleet_report') return (h.report ?? (() => fleetReport()))(a as unknown as ReportArgs);
      throw new Error(`unexpected command ${cmd}`);
    },
    { shouldMockEvents: true },
  );
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

function reportCalls() {
  return calls.filter((c) => c.cmd === 'jamf_fleet_report').map((c) => c.args);
}

/** Renders the SOFA page and opens the Fleet tab. */
async function openFleet() {
  render(Sofa);
  await fireEvent.click(await screen.findByTestId('fleet-tab'));
}

async function shownReport() {
  await openFleet();
  return screen.findByTestId('fleet-total');
}

function rowIds() {
  return screen.getAllByTestId('fleet-row').map((r) => r.dataset.id);
}

function rowNames() {
  return screen.getAllByTestId('fleet-row').map((r) => r.querySelector('td.name')!.textContent);
}

const BETA = 'jamf:beta.jamfcloud.com';
const beta: CredentialView = {
  ...jamfClient,
  id: 'e5f6a7',
  label: 'Beta',
  domain: BETA,
  account: { type: 'jamf_client', url: 'https://beta.jamfcloud.com', client_id: 'beta-api' },
};

beforeEach(() => (calls = []));
afterEach(() => {
  cleanup();
  clearMocks();
});

describe('SOFA page: the Fleet tab', () => {
  it('has no Fleet tab without Jamf Pro credentials', async () => {
    mockFleet({ credentials: () => credentials({ credentials: [vault] }) });
    render(Sofa);
    await screen.findAllByTestId('sofa-major-card');
    await waitFor(() => expect(calls.some((c) => c.cmd === 'credentials_overview')).toBe(true));
    expect(screen.queryByTestId('fleet-tab')).toBeNull();
    expect(screen.queryByTestId('fleet-locked')).toBeNull();
    expect(reportCalls()).toEqual([]);
  });

  it('asks to unlock a locked Jamf Pro domain, and offers the tab once it is unlocked', async () => {
    let creds = withLock(credentials(), [JAMF], null);
    mockFleet({ credentials: () => creds });
    render(Sofa);
    const hint = await screen.findByTestId('fleet-locked');
    expect(hint.textContent).toBe('Unlock Jamf Pro acme.jamfcloud.com on the Credentials page to see its fleet.');
    expect(screen.queryByTestId('fleet-tab')).toBeNull();

    creds = credentials();
    await emit('credentials-changed');
    const tab = await screen.findByTestId('fleet-tab');
    expect(screen.queryByTestId('fleet-locked')).toBeNull();
    // Nothing is asked of Jamf Pro until the tab is opened.
    expect(reportCalls()).toEqual([]);
    expect(tab.getAttribute('aria-selected')).toBe('false');

    await fireEvent.click(tab);
    await screen.findByTestId('fleet-total');
    expect(tab.getAttribute('aria-selected')).toBe('true');
    expect(reportCalls()).toEqual([{ domain: JAMF, refresh: false }]);
    expect(screen.getByTestId('sofa-tab-versions').getAttribute('aria-selected')).toBe('false');

    // Locked again: the tab goes, the versions come back.
    creds = withLock(credentials(), [JAMF], null);
    await emit('credentials-changed');
    await waitFor(() => expect(screen.queryByTestId('fleet-tab')).toBeNull());
    expect(screen.queryByTestId('fleet')).toBeNull();
    expect(screen.getByTestId('fleet-locked')).toBeTruthy();
    expect(screen.getByTestId('sofa-version-input')).toBeTruthy();
  });

  it('shows the counts, when it was generated, and one bar per macOS version coloured by state', async () => {
    mockFleet();
    const total = await shownReport();
    expect(total.textContent).toBe('2,437');
    expect(total.dataset.value).toBe('2437');
    expect(screen.getByTestId('fleet-current').textContent).toBe('1,804');
    expect(screen.getByTestId('fleet-behind').textContent).toBe('610');
    expect(screen.getByTestId('fleet-end_of_life').textContent).toBe('20');
    expect(screen.getByTestId('fleet-unknown_version').textContent).toBe('0');
    expect(screen.getByTestId('fleet-unreadable').textContent).toBe('3');
    expect(screen.getByTestId('fleet-exploited').textContent).toBe('610');
    expect(screen.getByTestId('fleet-hardware').textContent).toBe('20');
    expect(screen.getByTestId('fleet-generated').textContent).toBe('generated 5 min ago');
    expect(screen.getByTestId('fleet').textContent).toContain('https://acme.jamfcloud.com');
    // Which feed the versions were judged against, and how old it is by SOFA's clock.
    expect(screen.getByTestId('fleet-feed').textContent).toContain('judged against https://sofafeed.macadmins.io/v2/macos_data_feed.json');
    expect(screen.getByTestId('fleet-feed').textContent).toContain('SOFA updated 3 h ago');
    expect(screen.queryByTestId('fleet-unjudged')).toBeNull();

    const chart = screen.getByTestId('fleet-chart');
    const bars = within(chart).getAllByTestId('fleet-bar');
    expect(bars.map((b) => [b.dataset.version, b.dataset.state, b.dataset.devices])).toEqual([
      ['26.4', 'current', '1204'],
      ['15.7.5', 'current', '600'],
      ['15.6', 'behind', '410'],
      ['14.8.3', 'behind', '200'],
      ['11.7.10', 'end_of_life', '20'],
      ['', 'unreadable', '3'],
    ]);
    expect(bars[0].getAttribute('role')).toBe('img');
    expect(bars[0].getAttribute('aria-label')).toBe('macOS 26.4: 1,204 Macs, current');
    expect(bars[4].getAttribute('aria-label')).toBe('macOS 11.7.10: 20 Macs, end of life');
    // A Mac outside the feed has no counts: "n/a", not a reassuring 0.
    expect(screen.getAllByTestId('fleet-row')[3].textContent).toContain('n/a');
    expect(bars[0].textContent).toContain('1,204');
    expect(bars[2].querySelector('.bar')!.classList.contains('behind')).toBe(true);
    // The longest bar is full width, the others in proportion.
    expect((bars[0].querySelector('.bar') as HTMLElement).style.width).toBe('100%');
    expect(parseFloat((bars[1].querySelector('.bar') as HTMLElement).style.width)).toBeCloseTo((600 / 1204) * 100, 5);

    expect(rowIds()).toEqual(['101', '102', '103', '104', '105']);
    const first = screen.getAllByTestId('fleet-row')[0];
    expect(first.textContent).toContain("Ada's MacBook Pro");
    expect(first.textContent).toContain('C02ZK1AAMD6R');
    expect(first.textContent).toContain('15.6');
    expect(first.textContent).toContain('behind');
    expect(first.textContent).toContain('219');
    expect(first.textContent).toContain('2 days ago');
    expect(screen.getByTestId('fleet-omitted').textContent).toContain('2,432 Macs are counted above but not listed below');
  });

  it('without a feed, shows what Jamf Pro knows and says the versions were not judged, never "current"', async () => {
    const why =
      'macOS currency unavailable: the SOFA feed is unavailable: connection refused; check the network, or point LATCHKEY_SOFA_FEED at a reachable mirror or file';
    const unjudged = (m: (typeof macs)[number]) =>
      m.state === 'unreadable' ? m : { ...m, state: 'not_judged' as const, releases_behind: null, missing_cves: null, missing_exploited_cves: null };
    mockFleet({
      report: () =>
        fleetReport({
          macos_feed: null,
          macos_currency_unavailable: why,
          current: 0,
          behind: 0,
          end_of_life: 0,
          missing_exploited_fixes: 0,
          limited_by_hardware: 0,
          not_judged: 2434,
          distribution: [
            { os_version: '26.4', state: 'not_judged', devices: 1204 },
            { os_version: '', state: 'unreadable', devices: 3 },
          ],
          computers: macs.map(unjudged),
        }),
    });
    await shownReport();
    const banner = screen.getByTestId('fleet-unjudged');
    expect(banner.textContent).toContain('macOS versions not judged.');
    expect(banner.textContent).toContain('LATCHKEY_SOFA_FEED');
    expect(screen.getByTestId('fleet-not_judged').textContent).toBe('2,434');
    expect(screen.queryByTestId('fleet-current')).toBeNull();
    expect(screen.queryByTestId('fleet-behind')).toBeNull();
    expect(screen.queryByTestId('fleet-feed')).toBeNull();
    const first = screen.getAllByTestId('fleet-row')[0];
    expect(first.textContent).toContain('not judged');
    expect(first.textContent).toContain('n/a');
    expect(first.textContent).toContain('2 days ago');
  });

  it('sorts by the column whose header is clicked, each way', async () => {
    mockFleet();
    await shownReport();
    // As delivered: most missing exploited fixes first.
    const exploited = screen.getByTestId('fleet-sort-missing_exploited_cves').closest('th')!;
    expect(exploited.getAttribute('aria-sort')).toBe('descending');

    await fireEvent.click(screen.getByTestId('fleet-sort-name'));
    // A Mac without a name comes last, whichever the direction.
    expect(rowNames()).toEqual(["Ada's MacBook Pro", 'Build runner 7', "Grace's iMac", 'Old lab Mac', '—']);
    expect(screen.getByTestId('fleet-sort-name').closest('th')!.getAttribute('aria-sort')).toBe('ascending');
    expect(exploited.getAttribute('aria-sort')).toBeNull();

    await fireEvent.click(screen.getByTestId('fleet-sort-name'));
    expect(rowNames()).toEqual(['Old lab Mac', "Grace's iMac", 'Build runner 7', "Ada's MacBook Pro", '—']);
    expect(screen.getByTestId('fleet-sort-name').closest('th')!.getAttribute('aria-sort')).toBe('descending');

    // macOS versions compare as numbers: 11 before 14 before 15 before 26.
    await fireEvent.click(screen.getByTestId('fleet-sort-os_version'));
    expect(rowIds()).toEqual(['104', '102', '101', '103', '105']);

    // Last contact: the Macs that stopped checking in first.
    await fireEvent.click(screen.getByTestId('fleet-sort-last_contact'));
    expect(rowIds()).toEqual(['104', '102', '101', '103', '105']);
    await fireEvent.click(screen.getByTestId('fleet-sort-last_contact'));
    expect(rowIds()).toEqual(['103', '101', '102', '104', '105']);

    await fireEvent.click(screen.getByTestId('fleet-sort-missing_cves'));
    expect(rowIds().slice(0, 2)).toEqual(['101', '102']);
    await fireEvent.click(screen.getByTestId('fleet-sort-missing_cves'));
    // "n/a" sorts last both ways.
    expect(rowIds()).toEqual(['103', '102', '101', '104', '105']);
  });

  it('filters by name, serial, user, model, version or state', async () => {
    mockFleet();
    await shownReport();
    const filter = screen.getByTestId('fleet-filter');

    await fireEvent.input(filter, { target: { value: 'grace' } });
    expect(rowIds()).toEqual(['103']);
    expect(screen.getByTestId('fleet-shown').textContent?.trim()).toBe('1 of 5 Macs match · showing 1–1');

    await fireEvent.input(filter, { target: { value: ' H4TX9 ' } });
    expect(rowIds()).toEqual(['102']);
    await fireEvent.input(filter, { target: { value: 'macmini' } });
    expect(rowIds()).toEqual(['102']);
    await fireEvent.input(filter, { target: { value: 'behind' } });
    expect(rowIds()).toEqual(['101', '102']);
    await fireEvent.input(filter, { target: { value: '15.6' } });
    expect(rowIds()).toEqual(['101']);

    await fireEvent.input(filter, { target: { value: 'no such mac' } });
    expect(screen.queryAllByTestId('fleet-row')).toHaveLength(0);
    expect(screen.getByTestId('fleet-no-match').textContent?.trim()).toBe('No Mac matches “no such mac”.');

    await fireEvent.input(filter, { target: { value: '' } });
    expect(rowIds()).toHaveLength(5);
    expect(screen.getByTestId('fleet-shown').textContent?.trim()).toBe('5 Macs · showing 1–5');
  });

  it('shows each Mac\'s update deadline, sorts by it, counts and filters the overdue (issue #17)', async () => {
    mockFleet();
    await shownReport();
    const overdue = screen.getByTestId('fleet-overdue');
    expect(overdue.textContent).toBe('430');
    expect(overdue.closest('div')!.classList.contains('hot')).toBe(true);

    const due = screen.getAllByTestId('fleet-required-by');
    expect(due.map((d) => d.textContent)).toEqual(['2025-08-27', '2026-12-20', '—', '2023-12-25', '—']);
    expect(due[0].classList.contains('hot')).toBe(true);
    expect(due[1].classList.contains('hot')).toBe(false);
    expect(due[0].title).toBe(
      'Required by 27 Aug 2025, overdue by 451 days (15.6.1 came out 20 Aug 2025; 7 days for a release fixing actively exploited CVEs)',
    );
    expect(due[1].title).toContain('due in 13 days');
    expect(due[3].title).toContain('90 days to move to a macOS major Apple still patches');

    // Earliest deadline first; Macs without one last, both ways.
    await fireEvent.click(screen.getByTestId('fleet-sort-required_by'));
    expect(rowIds()).toEqual(['104', '101', '102', '103', '105']);
    await fireEvent.click(screen.getByTestId('fleet-sort-required_by'));
    expect(rowIds()).toEqual(['102', '101', '104', '103', '105']);

    const only = screen.getByTestId('fleet-overdue-only') as HTMLInputElement;
    await fireEvent.click(only);
    expect(only.checked).toBe(true);
    expect(rowIds()).toEqual(['101', '104']);
    expect(screen.getByTestId('fleet-shown').textContent?.trim()).toBe('2 of 5 Macs match · showing 1–2');
    // With the text filter, both apply.
    await fireEvent.input(screen.getByTestId('fleet-filter'), { target: { value: 'ada' } });
    expect(rowIds()).toEqual(['101']);
    await fireEvent.input(screen.getByTestId('fleet-filter'), { target: { value: 'grace' } });
    expect(screen.getByTestId('fleet-no-match').textContent?.trim()).toBe('No Mac matches “grace” among those overdue.');
    await fireEvent.input(screen.getByTestId('fleet-filter'), { target: { value: '' } });
    await fireEvent.click(only);
    expect(rowIds()).toHaveLength(5);
  });

  it('shows 250 Macs a page of 100 at a time', async () => {
    mockFleet({ report: () => bigFleet(250) });
    await shownReport();
    expect(screen.getAllByTestId('fleet-row')).toHaveLength(100);
    expect(rowNames()[0]).toBe('Mac 001');
    expect(screen.getByTestId('fleet-page').textContent).toBe('Page 1 of 3');
    expect(screen.getByTestId('fleet-shown').textContent?.trim()).toBe('250 Macs · showing 1–100');
    expect((screen.getByTestId('fleet-prev') as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.click(screen.getByTestId('fleet-next'));
    expect(rowNames()[0]).toBe('Mac 101');
    expect(screen.getByTestId('fleet-page').textContent).toBe('Page 2 of 3');
    await fireEvent.click(screen.getByTestId('fleet-next'));
    expect(screen.getAllByTestId('fleet-row')).toHaveLength(50);
    expect(rowNames().at(-1)).toBe('Mac 250');
    expect(screen.getByTestId('fleet-shown').textContent?.trim()).toBe('250 Macs · showing 201–250');
    expect((screen.getByTestId('fleet-next') as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.click(screen.getByTestId('fleet-prev'));
    expect(screen.getByTestId('fleet-page').textContent).toBe('Page 2 of 3');

    // Sorting and filtering start again from the first page.
    await fireEvent.click(screen.getByTestId('fleet-sort-name'));
    await fireEvent.click(screen.getByTestId('fleet-sort-name'));
    expect(screen.getByTestId('fleet-page').textContent).toBe('Page 1 of 3');
    expect(rowNames()[0]).toBe('Mac 250');
    await fireEvent.click(screen.getByTestId('fleet-next'));
    await fireEvent.input(screen.getByTestId('fleet-filter'), { target: { value: 'user3' } });
    // 250 Macs, user0 … user6 in turn: 36 are user3's, one page.
    expect(screen.getAllByTestId('fleet-row')).toHaveLength(36);
    expect(screen.queryByTestId('fleet-page')).toBeNull();
  });

  it('shows the progress while the broker pages through the inventory', async () => {
    const pending = deferred<FleetSecurityReport>();
    mockFleet({ report: () => pending.promise });
    await openFleet();
    const progress = await screen.findByTestId('fleet-progress');
    expect(progress.textContent).toContain('Asking Jamf Pro acme.jamfcloud.com for its computers');
    expect((screen.getByTestId('fleet-refresh') as HTMLButtonElement).disabled).toBe(true);

    await emit('jamf-fleet-progress', { domain: JAMF, loaded: 4000, total: 20000 });
    await waitFor(() => expect(screen.getByTestId('fleet-progress-text').textContent).toBe('Loaded 4,000 of 20,000 computers'));
    const bar = progress.querySelector('progress')!;
    expect(bar.value).toBe(4000);
    expect(bar.max).toBe(20000);

    // Another server's progress is not this one's.
    await emit('jamf-fleet-progress', { domain: 'jamf:beta.jamfcloud.com', loaded: 9000, total: 9000 });
    await emit('jamf-fleet-progress', { domain: 'acme.jamfcloud.com', loaded: 8000, total: 20000 });
    await waitFor(() => expect(screen.getByTestId('fleet-progress-text').textContent).toBe('Loaded 8,000 of 20,000 computers'));

    pending.resolve(fleetReport());
    await screen.findByTestId('fleet-total');
    expect(screen.queryByTestId('fleet-progress')).toBeNull();
    expect((screen.getByTestId('fleet-refresh') as HTMLButtonElement).disabled).toBe(false);
  });

  it('refreshes with refresh: true, and keeps the last report when that fails', async () => {
    let next: () => FleetSecurityReport | Promise<FleetSecurityReport> = () => fleetReport();
    mockFleet({ report: () => next() });
    await shownReport();
    expect(reportCalls()).toEqual([{ domain: JAMF, refresh: false }]);

    const pending = deferred<FleetSecurityReport>();
    next = () => pending.promise;
    const refresh = screen.getByTestId('fleet-refresh');
    await fireEvent.click(refresh);
    expect(reportCalls()).toEqual([
      { domain: JAMF, refresh: false },
      { domain: JAMF, refresh: true },
    ]);
    await waitFor(() => expect(refresh.textContent).toBe('Refreshing…'));
    expect(refresh.getAttribute('aria-busy')).toBe('true');
    // The old report stays while the new one is built.
    expect(screen.getByTestId('fleet-total').textContent).toBe('2,437');

    pending.reject('Jamf Pro answered 401 Unauthorized: the API client was disabled');
    const error = await screen.findByTestId('fleet-error');
    expect(error.textContent).toContain('Refresh failed, still showing the report below:');
    expect(error.textContent).toContain('Jamf Pro answered 401 Unauthorized: the API client was disabled');
    expect(error.getAttribute('role')).toBe('alert');
    expect(screen.getByTestId('fleet-total').textContent).toBe('2,437');
    expect(screen.getAllByTestId('fleet-row')).toHaveLength(5);
    expect(refresh.textContent).toBe('Refresh');

    // A refresh that works replaces the report and the error.
    next = () => fleetReport({ total: 2440, generated_at: new Date().toISOString() });
    await fireEvent.click(refresh);
    await waitFor(() => expect(screen.getByTestId('fleet-total').textContent).toBe('2,440'));
    expect(screen.queryByTestId('fleet-error')).toBeNull();
    expect(screen.getByTestId('fleet-generated').textContent).toBe('generated just now');
  });

  it('says why there is no report at all, and can try again', async () => {
    let fail = true;
    mockFleet({
      report: () => (fail ? Promise.reject('cannot reach acme.jamfcloud.com: connection refused') : fleetReport()),
    });
    await openFleet();
    const error = await screen.findByTestId('fleet-error');
    expect(error.textContent).toContain('No fleet report for Jamf Pro acme.jamfcloud.com:');
    expect(error.textContent).toContain('connection refused');
    expect(screen.queryByTestId('fleet-total')).toBeNull();

    fail = false;
    await fireEvent.click(within(error).getByRole('button', { name: 'Try again' }));
    await screen.findByTestId('fleet-total');
    expect(screen.queryByTestId('fleet-error')).toBeNull();
    expect(reportCalls()).toEqual([
      { domain: JAMF, refresh: false },
      { domain: JAMF, refresh: false },
    ]);
  });

  it('offers a choice of server when several Jamf Pro domains are unlocked', async () => {
    mockFleet({
      credentials: () => credentials({ credentials: [jamfClient, beta, vault] }),
      report: ({ domain }) => (domain === BETA ? fleetReport({ total: 12, computers: macs.slice(2), computers_omitted: 9 }) : fleetReport()),
    });
    await shownReport();
    const select = screen.getByTestId('fleet-domain') as HTMLSelectElement;
    expect([...select.options].map((o) => [o.value, o.textContent])).toEqual([
      [JAMF, 'Jamf Pro acme.jamfcloud.com'],
      [BETA, 'Jamf Pro beta.jamfcloud.com'],
    ]);
    expect(select.value).toBe(JAMF);

    await fireEvent.change(select, { target: { value: BETA } });
    await waitFor(() => expect(screen.getByTestId('fleet-total').textContent).toBe('12'));
    expect(screen.getByTestId('fleet').dataset.domain).toBe(BETA);
    expect(rowIds()).toEqual(['103', '104', '105']);
    expect(reportCalls()).toEqual([
      { domain: JAMF, refresh: false },
      { domain: BETA, refresh: false },
    ]);

    // Back to the first: its report is still here, not asked for again.
    await fireEvent.change(select, { target: { value: JAMF } });
    await waitFor(() => expect(screen.getByTestId('fleet-total').textContent).toBe('2,437'));
    expect(reportCalls()).toHaveLength(2);
  });

  it('keeps the report when going back and forth between the tabs', async () => {
    mockFleet();
    await shownReport();
    await fireEvent.click(screen.getByTestId('sofa-tab-versions'));
    expect((screen.getByTestId('sofa-version-input') as HTMLElement).closest('[role="tabpanel"]')!.hasAttribute('hidden')).toBe(
      false,
    );
    expect(screen.getByTestId('fleet').closest('[role="tabpanel"]')!.hasAttribute('hidden')).toBe(true);
    await fireEvent.click(screen.getByTestId('fleet-tab'));
    expect(screen.getByTestId('fleet-total').textContent).toBe('2,437');
    expect(reportCalls()).toHaveLength(1);
  });
});
