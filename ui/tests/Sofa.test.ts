// The SOFA page against a mocked Tauri IPC: what the Rust side returns is what the page shows.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import Sofa from '../src/pages/Sofa.svelte';
import type { CredentialsOverview, SofaOverview, SofaVersionReport } from '../src/lib/backend';
import { overview as credentialsOverview } from './credentials-data';
import {
  cves156,
  invalidFifteen,
  overview,
  report1015,
  report156,
  report264,
} from './sofa-data';

type Call = { cmd: string; args: unknown };
let calls: Call[] = [];

interface Handlers {
  overview?: () => SofaOverview | Promise<SofaOverview>;
  status?: (version: string) => SofaVersionReport | Promise<SofaVersionReport>;
  refresh?: () => SofaOverview | Promise<SofaOverview>;
  /** For the Fleet tab; by default no credentials at all, so no tab. */
  credentials?: () => CredentialsOverview | Promise<CredentialsOverview>;
}

const reports: Record<string, SofaVersionReport> = { '15.6': report156, '26.4': report264, '10.15': report1015 };

function defaultStatus(version: string): SofaVersionReport | Promise<SofaVersionReport> {
  return reports[version] ?? Promise.reject(`invalid version "${version}": expected numbers like 15.1 or 13.4.1 (a)`);
}

function mockSofa(h: Handlers = {}) {
  mockIPC(
    (cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === 'sofa_overview') return (h.overview ?? (() => overview()))();
      if (cmd === 'sofa_status') return (h.status ?? defaultStatus)((args as { version: string }).version);
      if (cmd === 'sofa_refresh') return (h.refresh ?? (() => overview()))();
      if (cmd === 'credentials_overview') return (h.credentials ?? (() => credentialsOverview({ credentials: [] })))();
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

async function cards() {
  return screen.findAllByTestId('sofa-major-card');
}

async function checkVersion(version: string) {
  const input = screen.getByTestId('sofa-version-input') as HTMLInputElement;
  await fireEvent.input(input, { target: { value: version } });
  await fireEvent.click(screen.getByTestId('sofa-check'));
}

async function result(kind: string) {
  return waitFor(() => {
    const el = screen.getByTestId('sofa-result');
    expect(el.dataset.result).toBe(kind);
    return el;
  });
}

beforeEach(() => (calls = []));
afterEach(() => {
  cleanup();
  clearMocks();
});

describe('SOFA page', () => {
  it('shows the feed and one card per major, newest first', async () => {
    mockSofa();
    render(Sofa);
    const shown = await cards();
    expect(shown.map((c) => c.dataset.major)).toEqual(['26', '15', '14', '13', '12']);

    const tahoe = shown[0];
    expect(tahoe.textContent).toContain('Tahoe 26');
    expect(tahoe.textContent).toContain('26.4');
    expect(tahoe.textContent).toContain('25E246');
    expect(tahoe.textContent).toContain('24 Mar 2026');
    expect(tahoe.textContent).toMatch(/\d+ days ago/);
    const notes = within(tahoe).getByRole('link', { name: 'Security notes' });
    expect(notes.getAttribute('href')).toBe('https://support.apple.com/en-us/126794');
    expect(notes.getAttribute('target')).toBe('_blank');
    expect(notes.getAttribute('rel')).toBe('noreferrer');
    expect(shown[4].textContent).toContain('21H1320');

    expect(screen.getByTestId('sofa-feed-source').textContent).toBe(
      'https://sofafeed.macadmins.io/v2/macos_data_feed.json',
    );
    expect(screen.getByTestId('sofa-feed-age').textContent).toBe('fetched 3 h ago');
    expect(screen.queryByTestId('sofa-stale')).toBeNull();
    expect(screen.queryByTestId('sofa-result')).toBeNull();
    expect(screen.queryByTestId('not-yet')).toBeNull();
    // The Jamf Pro domains, for the Fleet tab: there are none, so there is no tab.
    expect(calls.map((c) => c.cmd)).toEqual(['sofa_overview', 'credentials_overview']);
    expect(screen.queryByTestId('fleet-tab')).toBeNull();
    expect(screen.queryByTestId('fleet-locked')).toBeNull();
  });

  it('checks 15.6: seven releases behind, 219 CVEs fixed since, 3 actively exploited', async () => {
    mockSofa();
    render(Sofa);
    await cards();
    await checkVersion('15.6');
    const res = await result('in_feed');

    expect(calls.filter((c) => c.cmd === 'sofa_status')).toEqual([{ cmd: 'sofa_status', args: { version: '15.6' } }]);
    expect(screen.getByTestId('sofa-statement').textContent?.trim()).toBe('macOS 15.6 is 7 releases behind 15.7.5');
    expect(screen.getByTestId('sofa-releases-behind').textContent).toBe('7');
    expect(screen.getByTestId('sofa-cves-count').textContent).toBe('219');
    expect(screen.getByTestId('sofa-exploited-count').textContent).toBe('3');
    expect(screen.getByTestId('sofa-kev-count').textContent).toBe('3');
    expect(screen.getByTestId('sofa-days-since-missed').textContent).toBe('458');
    // Issue #17: when the update was required by, and how late.
    const deadline = screen.getByTestId('sofa-deadline');
    expect(deadline.textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'Update required by 27 Aug 2025, overdue by 451 days (15.6.1 came out 20 Aug 2025; 7 days for a release fixing actively exploited CVEs)',
    );
    expect(deadline.classList.contains('overdue')).toBe(true);
    expect(screen.getByTestId('sofa-severity').textContent).toContain('3 critical');
    expect(res.textContent).toContain('CVE-2025-43300');

    const timeline = screen.getAllByTestId('sofa-missed-release');
    expect(timeline).toHaveLength(report156.status.result === 'in_feed' ? report156.status.missed.length : -1);
    expect(timeline.map((t) => t.dataset.version)).toEqual(['15.6.1', '15.7', '15.7.1', '15.7.2', '15.7.3', '15.7.4', '15.7.5']);
    expect(timeline[3].textContent).toContain('61 CVEs');
    expect(timeline[3].textContent).toContain('2 actively exploited');
    expect(timeline[4].textContent).toContain('24G419');
    // Each missed release's own deadline: 15.6.1 (exploited) + 7 days, 15.7 + 30.
    const due = screen.getAllByTestId('sofa-missed-required-by').map((d) => d.dataset.requiredBy);
    expect(due.slice(0, 2)).toEqual(['2025-08-27', '2025-10-15']);
    expect(timeline[0].textContent).toContain('required by 27 Aug 2025');
    expect(within(timeline[0]).getByRole('link', { name: 'Security notes' }).getAttribute('href')).toBe(
      'https://support.apple.com/en-us/124927',
    );

    expect(screen.getAllByTestId('sofa-cve-row')).toHaveLength(219);
    expect(screen.getByTestId('sofa-cve-shown').textContent).toBe('219 of 219');
    // The Sequoia card is the analysed major.
    expect((await cards())[1].classList.contains('selected')).toBe(true);
  });

  it('checks on Enter as well', async () => {
    mockSofa();
    render(Sofa);
    await cards();
    const input = screen.getByTestId('sofa-version-input') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: ' 15.6 ' } });
    await fireEvent.submit(input.form!);
    await result('in_feed');
    expect(calls.find((c) => c.cmd === 'sofa_status')?.args).toEqual({ version: '15.6' });
  });

  it('filters the CVE list by id and by actively exploited, counting what is shown', async () => {
    mockSofa();
    render(Sofa);
    await cards();
    await checkVersion('15.6');
    await result('in_feed');

    const search = screen.getByTestId('sofa-cve-search');
    await fireEvent.input(search, { target: { value: 'cve-2025-433' } });
    let rows = screen.getAllByTestId('sofa-cve-row');
    expect(rows.map((r) => r.dataset.cve)).toEqual(['CVE-2025-43300']);
    expect(screen.getByTestId('sofa-cve-shown').textContent).toBe('1 of 219');

    await fireEvent.input(search, { target: { value: '2024' } });
    const expected = cves156.filter((c) => c.id.includes('2024')).length;
    expect(expected).toBe(4);
    expect(screen.getAllByTestId('sofa-cve-row')).toHaveLength(expected);
    expect(screen.getByTestId('sofa-cve-shown').textContent).toBe(`${expected} of 219`);

    await fireEvent.input(search, { target: { value: '' } });
    await fireEvent.click(screen.getByTestId('sofa-exploited-only'));
    rows = screen.getAllByTestId('sofa-cve-row');
    expect(rows.map((r) => r.dataset.cve)).toEqual(['CVE-2025-43300', 'CVE-2025-43510', 'CVE-2025-43520']);
    expect(screen.getByTestId('sofa-cve-shown').textContent).toBe('3 of 219');
    for (const row of rows) {
      expect(row.textContent).toContain('EXPLOITED');
      expect(row.textContent).toContain('KEV');
      expect(row.textContent).toContain('critical');
    }
    const nvd = within(rows[0]).getByRole('link', { name: 'NVD' });
    expect(nvd.getAttribute('href')).toBe('https://nvd.nist.gov/vuln/detail/CVE-2025-43300');
    expect(nvd.getAttribute('target')).toBe('_blank');
    expect(within(rows[0]).getByRole('link', { name: 'Apple' }).getAttribute('href')).toBe(
      'https://support.apple.com/en-us/124927',
    );

    await fireEvent.input(search, { target: { value: '4351' } });
    expect(screen.getAllByTestId('sofa-cve-row').map((r) => r.dataset.cve)).toEqual(['CVE-2025-43510']);
    await fireEvent.input(search, { target: { value: 'CVE-1999' } });
    expect(screen.queryAllByTestId('sofa-cve-row')).toHaveLength(0);
    expect(screen.getByTestId('sofa-cve-shown').textContent).toBe('0 of 219');

    await fireEvent.input(search, { target: { value: '' } });
    await fireEvent.click(screen.getByTestId('sofa-exploited-only'));
    expect(screen.getAllByTestId('sofa-cve-row')).toHaveLength(219);
  });

  it('shows the backend error for a malformed version and stays usable', async () => {
    mockSofa();
    render(Sofa);
    await cards();
    await checkVersion('fifteen');
    const error = await screen.findByTestId('sofa-error');
    expect(error.textContent).toBe(invalidFifteen);
    expect(calls.find((c) => c.cmd === 'sofa_status')?.args).toEqual({ version: 'fifteen' });
    expect(screen.queryByTestId('sofa-result')).toBeNull();
    expect(await cards()).toHaveLength(5);

    await checkVersion('15.6');
    await result('in_feed');
    expect(screen.queryByTestId('sofa-error')).toBeNull();
    expect(screen.getByTestId('sofa-cves-count').textContent).toBe('219');
  });

  it('reports an error thrown as an Error, too', async () => {
    mockSofa({
      status: () => {
        throw new Error('feed unavailable');
      },
    });
    render(Sofa);
    await cards();
    await checkVersion('15.6');
    expect((await screen.findByTestId('sofa-error')).textContent).toBe('feed unavailable');
  });

  it('asks for a version instead of sending an empty one', async () => {
    mockSofa();
    render(Sofa);
    await cards();
    await checkVersion('   ');
    expect((await screen.findByTestId('sofa-error')).textContent).toMatch(/Type a macOS version/);
    expect(calls.some((c) => c.cmd === 'sofa_status')).toBe(false);
  });

  it('says when a version is not in the feed and which majors it covers', async () => {
    mockSofa();
    render(Sofa);
    await cards();
    await checkVersion('10.15');
    const res = await result('not_in_feed');
    expect(screen.getByTestId('sofa-not-in-feed').textContent).toBe(
      'macOS 10.15 is end of life: Apple no longer ships security updates for it; upgrade to macOS 14, 15 or 26',
    );
    expect(screen.getByTestId('sofa-not-in-feed').dataset.state).toBe('end_of_life');
    const majors = within(screen.getByTestId('sofa-feed-majors')).getAllByText(/^macOS \d+$/);
    expect(majors.map((m) => m.textContent)).toEqual(['macOS 26', 'macOS 15', 'macOS 14', 'macOS 13', 'macOS 12']);
    expect(res.textContent).toContain('older than every major');
    expect(screen.getByTestId('sofa-deadline').dataset.requiredBy).toBe('2023-12-25');
    expect(screen.getByTestId('sofa-deadline').textContent).toContain('90 days to move to a macOS major Apple still patches');
    expect(screen.queryAllByTestId('sofa-cve-row')).toHaveLength(0);
    expect(screen.queryByTestId('sofa-cves-count')).toBeNull();
  });

  it('says a current version is up to date', async () => {
    mockSofa();
    render(Sofa);
    await cards();
    await checkVersion('26.4');
    await result('in_feed');
    expect(screen.getByTestId('sofa-statement').textContent?.trim()).toBe('macOS 26.4 is up to date');
    expect(screen.getByTestId('sofa-releases-behind').textContent).toBe('0');
    expect(screen.getByTestId('sofa-cves-count').textContent).toBe('0');
    expect(screen.queryAllByTestId('sofa-missed-release')).toHaveLength(0);
    expect(screen.queryByTestId('sofa-deadline')).toBeNull();
  });

  it('says a version the feed does not list is unknown, never up to date', async () => {
    const base = report264.status as Extract<SofaVersionReport['status'], { result: 'in_feed' }>;
    const message = 'macOS 26.5 is not a release this feed lists (newest 26.4), so it is neither current nor behind';
    const newer: SofaVersionReport = {
      ...report264,
      status: { ...base, version: '26.5', message, known_release: false, newer_than_feed: true, counts: { ...base.counts, state: 'unknown' } },
    };
    mockSofa({ status: () => newer });
    render(Sofa);
    await cards();
    await checkVersion('26.5');
    await result('in_feed');
    const statement = screen.getByTestId('sofa-statement');
    expect(statement.textContent?.trim()).toBe(message);
    expect(statement.dataset.state).toBe('unknown');
    expect(screen.getByTestId('sofa-result').textContent).toContain('the feed may not have caught up');
    // Counts by number would only guess.
    expect(screen.queryByTestId('sofa-cves-count')).toBeNull();
  });

  it('says a major Apple no longer patches is end of life', async () => {
    const base = report264.status as Extract<SofaVersionReport['status'], { result: 'in_feed' }>;
    const message = 'macOS 12.7.6 is end of life: no security updates since 2024-07-29 (611 days); upgrade to macOS 14, 15 or 26';
    const eol: SofaVersionReport = {
      ...report264,
      status: {
        ...base,
        version: '12.7.6',
        message,
        os_label: 'Monterey 12',
        counts: { ...base.counts, major: 12, state: 'end_of_life' },
        end_of_life: { major: 12, last_release: '12.7.6', last_release_date: '2024-07-29T00:00:00Z', days_without_updates: 611, upgrade_to: [26, 15, 14], limited_by_hardware: false, message },
      },
    };
    mockSofa({ status: () => eol });
    render(Sofa);
    await cards();
    await checkVersion('12.7.6');
    await result('in_feed');
    expect(screen.getByTestId('sofa-statement').textContent?.trim()).toBe(message);
    expect(screen.getByTestId('sofa-statement').textContent).not.toContain('up to date');
    expect(screen.getByTestId('sofa-eol-days').dataset.value).toBe('611');
  });

  it("shows SOFA's own update time, and warns when it is old", async () => {
    const updated = new Date(Date.now() - 20 * 86_400_000).toISOString();
    mockSofa({
      overview: () =>
        overview({
          feed: { ...overview().feed, sofa_updated_at: updated, sofa_age_hours: 480, outdated: 'SOFA last updated this feed on 2026-09-10 (20 days), more than 3 days ago: its source may no longer be updated' },
        }),
    });
    render(Sofa);
    await cards();
    expect(screen.getByTestId('sofa-feed-updated').textContent).toContain('(20 days ago)');
    expect(screen.getByTestId('sofa-feed-age').textContent).toBe('fetched 3 h ago');
    expect(screen.getByTestId('sofa-outdated').textContent).toContain('SOFA last updated this feed on 2026-09-10');
  });

  it("analyses a card's version when it is clicked, and a quick pick", async () => {
    mockSofa({
      status: (v) => ({ ...report264, status: { ...report264.status, version: v } }),
    });
    render(Sofa);
    const shown = await cards();
    await fireEvent.click(within(shown[0]).getByRole('button', { name: /26\.4/ }));
    await result('in_feed');
    expect((screen.getByTestId('sofa-version-input') as HTMLInputElement).value).toBe('26.4');
    expect(calls.at(-1)).toEqual({ cmd: 'sofa_status', args: { version: '26.4' } });

    await fireEvent.click(screen.getByRole('button', { name: '15.0' }));
    await waitFor(() => expect(calls.at(-1)).toEqual({ cmd: 'sofa_status', args: { version: '15.0' } }));
    expect((screen.getByTestId('sofa-version-input') as HTMLInputElement).value).toBe('15.0');
  });

  it('warns when the feed is a stale copy', async () => {
    mockSofa({
      overview: () =>
        overview({
          feed: {
            source: '/Users/admin/Library/Caches/Latchkey/sofa/macos_data_feed.json',
            fetched_at: new Date(Date.now() - 3 * 86_400_000).toISOString(),
            sofa_updated_at: new Date(Date.now() - 3 * 86_400_000).toISOString(),
            stale_reason: 'offline: could not reach sofafeed.macadmins.io (dns error); showing the cached copy',
            sofa_age_hours: 72,
            max_age_hours: 72,
            outdated: null,
          },
        }),
    });
    render(Sofa);
    const stale = await screen.findByTestId('sofa-stale');
    expect(stale.textContent).toContain('offline: could not reach sofafeed.macadmins.io');
    expect(screen.getByTestId('sofa-feed-age').textContent).toBe('fetched 3 days ago');
  });

  it('refreshes, showing progress, and keeps the old data when a refresh fails', async () => {
    const pending = deferred<SofaOverview>();
    mockSofa({ refresh: () => pending.promise });
    render(Sofa);
    expect(await cards()).toHaveLength(5);

    const button = screen.getByTestId('sofa-refresh');
    await fireEvent.click(button);
    await waitFor(() => expect(button.textContent).toContain('Refreshing'));
    expect(button.getAttribute('aria-busy')).toBe('true');
    pending.reject('no SOFA feed: https://sofafeed.macadmins.io unreachable and no cached copy');

    const error = await screen.findByTestId('sofa-feed-error');
    expect(error.textContent).toContain('unreachable and no cached copy');
    expect(button.textContent?.trim()).toBe('Refresh');
    expect(await cards()).toHaveLength(5);
    expect(screen.getByTestId('sofa-feed-source').textContent).toContain('sofafeed.macadmins.io');
  });

  it('replaces the data after a successful refresh and analyses the same version again', async () => {
    const fresh = overview({
      feed: { ...overview().feed, fetched_at: new Date().toISOString() },
      latest: [{ ...overview().latest[0], version: '26.4.1', product_version: '26.4.1', build: '25E253' }, ...overview().latest.slice(1)],
    });
    mockSofa({ refresh: () => fresh });
    render(Sofa);
    await cards();
    await checkVersion('15.6');
    await result('in_feed');

    await fireEvent.click(screen.getByTestId('sofa-refresh'));
    await waitFor(() => expect(screen.getByTestId('sofa-feed-age').textContent).toBe('fetched just now'));
    expect((await cards())[0].textContent).toContain('25E253');
    await waitFor(() => expect(calls.filter((c) => c.cmd === 'sofa_status')).toHaveLength(2));
    expect(calls.filter((c) => c.cmd === 'sofa_status').map((c) => c.args)).toEqual([{ version: '15.6' }, { version: '15.6' }]);
    expect(screen.queryByTestId('sofa-feed-error')).toBeNull();
  });

  it("analyses this Mac's version on load, without a click", async () => {
    mockSofa({ overview: () => overview({ this_mac: '15.6' }) });
    render(Sofa);
    await result('in_feed');
    expect((screen.getByTestId('sofa-version-input') as HTMLInputElement).value).toBe('15.6');
    expect(calls).toEqual([
      { cmd: 'sofa_overview', args: {} },
      { cmd: 'credentials_overview', args: {} },
      { cmd: 'sofa_status', args: { version: '15.6' } },
    ]);
    expect(screen.getByTestId('sofa-cves-count').textContent).toBe('219');
    expect(screen.getByRole('button', { name: 'This Mac (15.6)' })).toBeTruthy();
  });

  it("notes when this Mac's hardware cannot run the newest macOS", async () => {
    const limited: SofaVersionReport = {
      ...report156,
      status: {
        ...(report156.status as Extract<SofaVersionReport['status'], { result: 'in_feed' }>),
        hardware: {
          model: 'MacBookPro14,1',
          known_model: true,
          marketing_name: 'MacBook Pro (13-inch, 2017, Two Thunderbolt 3 ports)',
          supported_majors: [13, 12],
          hardware_max_major: 13,
          newest_feed_major: 26,
          upgrade_available_by_hardware: false,
          limited_by_hardware: true,
        },
      },
    };
    mockSofa({ status: () => limited });
    render(Sofa);
    await cards();
    await checkVersion('15.6');
    const note = await screen.findByTestId('sofa-hardware');
    expect(note.dataset.limited).toBe('true');
    expect(note.textContent).toContain('cannot run macOS 26');
    expect(note.textContent).toContain('the newest macOS it supports is 13');
  });

  it('says so when no feed can be loaded at all', async () => {
    mockSofa({ overview: () => Promise.reject('no SOFA feed: offline and no cached copy') });
    render(Sofa);
    const error = await screen.findByTestId('sofa-feed-error');
    expect(error.textContent).toContain('offline and no cached copy');
    expect(screen.queryAllByTestId('sofa-major-card')).toHaveLength(0);
    expect(screen.getByTestId('sofa-refresh')).toBeTruthy();
  });
});
