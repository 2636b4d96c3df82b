// Mock SOFA backend data for the UI tests, shaped from the real CLI output for the
// 2026-03-31 macOS v2 feed (latest per major, the report for 15.6, 10.15 not in the feed).
import type {
  FixedCve,
  LatestRelease,
  ReleaseSummary,
  SofaOverview,
  SofaVersionReport,
} from '../src/lib/backend';

const HOUR = 3_600_000;

/** `fetched_at` for a feed fetched `hours` (and a bit) ago. */
export function hoursAgo(hours: number): string {
  return new Date(Date.now() - hours * HOUR - 5 * 60_000).toISOString().replace('Z', '191657Z');
}

export const latest: LatestRelease[] = [
  { major: 26, label: 'Tahoe 26', version: '26.4', product_version: '26.4', build: '25E246', release_date: '2026-03-24T00:00:00Z', security_info_url: 'https://support.apple.com/en-us/126794' },
  { major: 15, label: 'Sequoia 15', version: '15.7.5', product_version: '15.7.5', build: '24G624', release_date: '2026-03-24T00:00:00Z', security_info_url: 'https://support.apple.com/en-us/126795' },
  { major: 14, label: 'Sonoma 14', version: '14.8.5', product_version: '14.8.5', build: '23J423', release_date: '2026-03-24T00:00:00Z', security_info_url: 'https://support.apple.com/en-us/126796' },
  { major: 13, label: 'Ventura 13', version: '13.7.8', product_version: '13.7.8', build: '22H730', release_date: '2025-08-20T00:00:00Z', security_info_url: 'https://support.apple.com/en-us/124929' },
  { major: 12, label: 'Monterey 12', version: '12.7.6', product_version: '12.7.6', build: '21H1320', release_date: '2024-07-29T00:00:00Z', security_info_url: 'https://support.apple.com/en-us/120910' },
];

export function overview(over: Partial<SofaOverview> = {}): SofaOverview {
  return {
    feed: {
      source: 'https://sofafeed.macadmins.io/v2/macos_data_feed.json',
      fetched_at: hoursAgo(3),
      sofa_updated_at: hoursAgo(4),
      stale_reason: null,
      sofa_age_hours: 4,
      max_age_hours: 72,
      outdated: null,
    },
    summary: {
      layout: 'v2',
      schema_version: null,
      product: 'macOS',
      last_check: '2026-03-31T06:56:27.548723564+00:00',
      update_hash: '9ef1d79b5dc21d210f46343b5393589159a4439400f1ade7aebab83712555d4e',
      majors: [26, 15, 14, 13, 12],
      patched_majors: [26, 15, 14],
      security_releases: 113,
      distinct_cves: 2379,
      distinct_actively_exploited_cves: 50,
      models: 88,
      warnings: [],
    },
    latest,
    this_mac: null,
    ...over,
  };
}

function release(
  version: string,
  build: string | null,
  date: string,
  notes: string,
  cves: number,
  exploited: number,
): ReleaseSummary {
  return {
    version,
    product_version: version,
    build,
    release_date: `${date}T00:00:00Z`,
    security_info_url: `https://support.apple.com/en-us/${notes}`,
    cve_count: cves,
    actively_exploited_count: exploited,
    security_notes_pending: false,
    required_by: null,
  };
}

/** A missed release's deadline: its date + 7 days with an actively exploited fix, else + 30. */
function missedRelease(...args: Parameters<typeof release>): ReleaseSummary {
  const r = release(...args);
  const due = new Date(r.release_date ?? '');
  due.setUTCDate(due.getUTCDate() + (r.actively_exploited_count > 0 ? 7 : 30));
  return { ...r, required_by: due.toISOString().slice(0, 10) };
}

/** What 15.6 missed, oldest first. */
export const missed156: ReleaseSummary[] = [
  missedRelease('15.6.1', null, '2025-08-20', '124927', 1, 1),
  missedRelease('15.7', null, '2025-09-15', '125111', 38, 0),
  missedRelease('15.7.1', null, '2025-09-29', '125329', 1, 0),
  missedRelease('15.7.2', null, '2025-11-03', '125635', 61, 2),
  missedRelease('15.7.3', '24G419', '2025-12-12', '125887', 26, 0),
  missedRelease('15.7.4', '24G517', '2026-02-11', '126349', 37, 0),
  missedRelease('15.7.5', '24G624', '2026-03-24', '126795', 57, 0),
];

export const exploited156 = ['CVE-2025-43300', 'CVE-2025-43510', 'CVE-2025-43520'];

/** The 219 distinct CVEs fixed after 15.6 (ids partly real, partly generated), sorted by id. */
export const cves156: FixedCve[] = (() => {
  const notes = new Map(missed156.map((r) => [r.version, r.security_info_url]));
  const cve = (id: string, fixedIn: string, exploited = false): FixedCve => ({
    id,
    fixed_in: fixedIn,
    actively_exploited: exploited,
    in_kev: exploited ? true : null,
    severity: exploited ? 'critical' : null,
    nist_url: `https://nvd.nist.gov/vuln/detail/${id}`,
    apple_notes_url: notes.get(fixedIn) ?? null,
  });
  const list: FixedCve[] = [
    cve('CVE-2025-43300', '15.6.1', true),
    cve('CVE-2025-43510', '15.7.2', true),
    cve('CVE-2025-43520', '15.7.2', true),
    cve('CVE-2024-27280', '15.7'),
    cve('CVE-2024-43398', '15.7.2'),
    cve('CVE-2024-49761', '15.7.2'),
    cve('CVE-2024-7264', '15.7.3'),
    cve('CVE-2025-14524', '15.7.5'),
  ];
  // Distinct CVEs first listed in each release (two of 15.7.5's 57 were already fixed earlier).
  const fresh: [string, number][] = [['15.7', 37], ['15.7.1', 1], ['15.7.2', 58], ['15.7.3', 25], ['15.7.4', 37], ['15.7.5', 53]];
  let n = 0;
  for (const [fixedIn, count] of fresh) {
    for (let i = 0; i < count; i++) list.push(cve(`CVE-2025-${46000 + 7 * n++}`, fixedIn));
  }
  return list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
})();

export const report156: SofaVersionReport = {
  status: {
    result: 'in_feed',
    version: '15.6',
    message: 'macOS 15.6 is 7 releases behind 15.7.5: 219 CVEs fixed since, 3 actively exploited',
    os_label: 'Sequoia 15',
    known_release: true,
    did_you_mean: [],
    end_of_life: null,
    newer_than_feed: false,
    latest: missed156[missed156.length - 1],
    counts: {
      major: 15,
      state: 'behind',
      releases_behind: 7,
      cves_fixed_later: 219,
      actively_exploited_fixed_later: 3,
      kev_fixed_later: 3,
      severity_fixed_later: { critical: 3, high: 0, medium: 0, low: 0, other: 0, unrated: 216 },
    },
    missed: missed156,
    days_since_first_missed: 458,
    // 15.6.1 (2025-08-20) fixes an actively exploited CVE: + 7 days.
    deadline: {
      required_by: '2025-08-27',
      release: '15.6.1',
      release_date: '2025-08-20',
      sla: 'actively_exploited',
      sla_days: 7,
      days_overdue: 451,
      overdue: true,
    },
    actively_exploited_cve_ids: exploited156,
    hardware: null,
  },
  cves: cves156,
};

export const report264: SofaVersionReport = {
  status: {
    result: 'in_feed',
    version: '26.4',
    message: 'macOS 26.4 is up to date',
    os_label: 'Tahoe 26',
    known_release: true,
    did_you_mean: [],
    end_of_life: null,
    newer_than_feed: false,
    latest: { ...release('26.4', '25E246', '2026-03-24', '126794', 77, 0) },
    counts: {
      major: 26,
      state: 'current',
      releases_behind: 0,
      cves_fixed_later: 0,
      actively_exploited_fixed_later: 0,
      kev_fixed_later: 0,
      severity_fixed_later: { critical: 0, high: 0, medium: 0, low: 0, other: 0, unrated: 0 },
    },
    missed: [],
    days_since_first_missed: null,
    deadline: null,
    actively_exploited_cve_ids: [],
    hardware: null,
  },
  cves: [],
};

export const report1015: SofaVersionReport = {
  status: {
    result: 'not_in_feed',
    version: '10.15',
    major: 10,
    state: 'end_of_life',
    feed_majors: [26, 15, 14, 13, 12],
    message: 'macOS 10.15 is end of life: Apple no longer ships security updates for it; upgrade to macOS 14, 15 or 26',
    end_of_life: {
      major: 10,
      last_release: null,
      last_release_date: null,
      days_without_updates: null,
      upgrade_to: [26, 15, 14],
      limited_by_hardware: false,
      message: 'macOS 10.15 is end of life: Apple no longer ships security updates for it; upgrade to macOS 14, 15 or 26',
    },
    deadline: {
      required_by: '2023-12-25',
      release: '14.0',
      release_date: '2023-09-26',
      sla: 'major_upgrade',
      sla_days: 90,
      days_overdue: 828,
      overdue: true,
    },
    hardware: null,
  },
  cves: [],
};

export const invalidFifteen = 'invalid version "fifteen": expected numbers like 15.1 or 13.4.1 (a)';
