// Mock Jamf Pro fleet reports for the UI tests, shaped as the Rust side's jamf_fleet_report returns
// them: a small fleet of five Macs listed (of 2,437 counted), and a generated one of any size.
import type { FleetComputer, FleetSecurityReport, UpdateDeadline } from '../src/lib/backend';

const DAY = 86_400_000;

function daysAgo(days: number): string {
  return new Date(Date.now() - days * DAY).toISOString();
}

/** `generated_at` for a report built `minutes` (and a few seconds) ago. */
export function minutesAgo(minutes: number): string {
  return new Date(Date.now() - minutes * 60_000 - 5_000).toISOString();
}

/** A deadline `days_overdue` days past (negative: still ahead), set by `release` of `released`. */
export function deadline(required_by: string, days_overdue: number, release = '15.6.1', released = '2025-08-20'): UpdateDeadline {
  return {
    required_by,
    release,
    release_date: released,
    sla: 'actively_exploited',
    sla_days: 7,
    days_overdue,
    overdue: days_overdue > 0,
  };
}

function mac(over: Partial<FleetComputer> & Pick<FleetComputer, 'id'>): FleetComputer {
  const days = over.days_since_contact === undefined ? 1 : over.days_since_contact;
  return {
    name: null,
    serial: null,
    user: null,
    model: null,
    os_version: null,
    state: 'current',
    releases_behind: 0,
    missing_cves: 0,
    missing_exploited_cves: 0,
    deadline: null,
    last_contact: days === null ? null : daysAgo(days),
    days_since_contact: days,
    ...over,
  };
}

/** As delivered: most missing actively exploited fixes first. */
export const macs: FleetComputer[] = [
  mac({ id: '101', name: "Ada's MacBook Pro", serial: 'C02ZK1AAMD6R', user: 'ada', model: 'MacBookPro18,3', os_version: '15.6', state: 'behind', releases_behind: 7, missing_cves: 219, missing_exploited_cves: 3, deadline: deadline('2025-08-27', 451), days_since_contact: 2 }),
  mac({ id: '102', name: 'Build runner 7', serial: 'H4TX9PL2Q6', user: null, model: 'Macmini9,1', os_version: '14.8.3', state: 'behind', releases_behind: 2, missing_cves: 40, missing_exploited_cves: 1, deadline: deadline('2026-12-20', -13, '14.8.4', '2026-11-20'), days_since_contact: 40 }),
  mac({ id: '103', name: "Grace's iMac", serial: 'C02AB3CDEF12', user: 'grace', model: 'iMac21,1', os_version: '26.4', state: 'current', days_since_contact: 0 }),
  mac({ id: '104', name: 'Old lab Mac', serial: 'C02OLD000001', user: 'lab', model: 'MacBookPro11,5', os_version: '11.7.10', state: 'end_of_life', releases_behind: null, missing_cves: null, missing_exploited_cves: null, deadline: { ...deadline('2023-12-25', 828, '14.0', '2023-09-26'), sla: 'major_upgrade', sla_days: 90 }, days_since_contact: 200 }),
  mac({ id: '105', state: 'unreadable', releases_behind: null, missing_cves: null, missing_exploited_cves: null, last_contact: null, days_since_contact: null }),
];

export function fleetReport(over: Partial<FleetSecurityReport> = {}): FleetSecurityReport {
  return {
    server: 'https://acme.jamfcloud.com',
    generated_at: minutesAgo(5),
    inventory_api: 'v1/computers-inventory',
    macos_feed: {
      source: 'https://sofafeed.macadmins.io/v2/macos_data_feed.json',
      fetched_at: minutesAgo(30),
      sofa_updated_at: minutesAgo(180),
      stale_reason: null,
      sofa_age_hours: 3,
      max_age_hours: 72,
      outdated: null,
    },
    macos_currency_unavailable: null,
    total: 2437,
    current: 1804,
    behind: 610,
    end_of_life: 20,
    unknown_version: 0,
    unreadable: 3,
    not_judged: 0,
    missing_exploited_fixes: 610,
    limited_by_hardware: 20,
    overdue: 430,
    distribution: [
      { os_version: '26.4', state: 'current', devices: 1204 },
      { os_version: '15.7.5', state: 'current', devices: 600 },
      { os_version: '15.6', state: 'behind', devices: 410 },
      { os_version: '14.8.3', state: 'behind', devices: 200 },
      { os_version: '11.7.10', state: 'end_of_life', devices: 20 },
      { os_version: '', state: 'unreadable', devices: 3 },
    ],
    computers: macs,
    computers_omitted: 2432,
    ...over,
  };
}

/** A report listing `n` Macs, "Mac 001" to "Mac n", the first ones missing the most exploited fixes. */
export function bigFleet(n: number): FleetSecurityReport {
  const computers = Array.from({ length: n }, (_, i) =>
    mac({
      id: String(1000 + i),
      name: `Mac ${String(i + 1).padStart(3, '0')}`,
      serial: `SER${String(i + 1).padStart(5, '0')}`,
      user: `user${i % 7}`,
      os_version: i < n / 2 ? '15.6' : '26.4',
      state: i < n / 2 ? 'behind' : 'current',
      releases_behind: i < n / 2 ? 7 : 0,
      missing_cves: i < n / 2 ? 219 : 0,
      missing_exploited_cves: Math.max(0, 3 - Math.floor((i * 4) / n)),
      deadline: i < n / 2 ? deadline('2025-08-27', 451) : null,
      days_since_contact: i % 30,
    }),
  );
  const behind = Math.ceil(n / 2);
  return fleetReport({
    total: n,
    current: n - behind,
    behind,
    end_of_life: 0,
    unknown_version: 0,
    unreadable: 0,
    missing_exploited_fixes: computers.filter((c) => (c.missing_exploited_cves ?? 0) > 0).length,
    limited_by_hardware: 0,
    overdue: behind,
    distribution: [
      { os_version: '26.4', state: 'current', devices: n - behind },
      { os_version: '15.6', state: 'behind', devices: behind },
    ],
    computers,
    computers_omitted: 0,
  });
}
