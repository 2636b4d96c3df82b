// Small pure helpers for the SOFA page's Fleet tab: which Jamf Pro domains to offer, and the
// fleet table's sorting, filtering and paging.
import type { DomainView, FleetComputer, FleetState } from '../../lib/backend';
import { domainHost, domainName } from '../credentials/format';
import { formatNumber, parseTime } from './format';
import { type Column, type Sort as GenericSort, nextSortOf, pageCount as pages, sortRows } from '../../lib/sorting';

/** Macs per page of the fleet table: a fleet of 20,000 is never rendered at once. */
export const FLEET_PAGE_SIZE = 100;

/** How each state is named in the chart's legend, the table and tooltips. */
export const FLEET_STATES: Record<FleetState, { label: string; help: string }> = {
  current: { label: 'current', help: 'On the latest release of its macOS major' },
  behind: { label: 'behind', help: 'Missing at least one security release of its macOS major' },
  end_of_life: { label: 'end of life', help: 'A macOS major Apple no longer patches: it gets no security fixes' },
  unknown_version: { label: 'unknown version', help: 'A macOS version the SOFA feed does not list: neither current nor behind can be said' },
  unreadable: { label: 'unreadable', help: 'Jamf Pro reports no macOS version, or one that cannot be read' },
  not_judged: { label: 'not judged', help: 'No SOFA feed could be loaded to judge this version against' },
};

export function stateLabel(state: FleetState | string): string {
  return FLEET_STATES[state as FleetState]?.label ?? state.replace(/_/g, ' ');
}

/** The Jamf Pro domains of a credentials overview: those unlocked, and those that exist but are locked. */
export function jamfDomains(domains: readonly DomainView[]): { unlocked: string[]; locked: string[] } {
  const jamf = domains.filter((d) => d.kind === 'jamf');
  return {
    unlocked: jamf.filter((d) => d.unlocked).map((d) => d.domain),
    locked: jamf.filter((d) => !d.unlocked).map((d) => d.domain),
  };
}

/** "Unlock Jamf Pro acme.jamfcloud.com on the Credentials page to see its fleet." */
export function unlockHint(locked: readonly string[]): string {
  if (locked.length === 1) return `Unlock ${domainName('jamf', locked[0])} on the Credentials page to see its fleet.`;
  return `Unlock one of your Jamf Pro servers (${locked.map(domainHost).join(', ')}) on the Credentials page to see its fleet.`;
}

/** Whether a progress event's domain (as the broker names it, with or without "jamf:") is `domain`. */
export function sameDomain(domain: string, reported: string): boolean {
  return reported === domain || reported === domainHost(domain);
}

/** "Loaded 4,000 of 20,000 computers", "Loaded 4,000 computers" while the total is unknown. */
export function progressText(loaded: number, total: number): string {
  if (total > 0) return `Loaded ${formatNumber(loaded)} of ${formatNumber(total)} computers`;
  return `Loaded ${formatNumber(loaded)} ${loaded === 1 ? 'computer' : 'computers'}`;
}

export type SortKey =
  | 'name'
  | 'serial'
  | 'user'
  | 'os_version'
  | 'state'
  | 'releases_behind'
  | 'missing_cves'
  | 'missing_exploited_cves'
  | 'required_by'
  | 'last_contact';

export type { SortDir } from '../../lib/sorting';
export type Sort = GenericSort<SortKey>;

/** The table's columns, in order, and the direction each sorts in first. */
export const FLEET_COLUMNS: Column<SortKey>[] = [
  { key: 'name', label: 'Name', first: 'asc' },
  { key: 'serial', label: 'Serial', first: 'asc' },
  { key: 'user', label: 'User', first: 'asc' },
  { key: 'os_version', label: 'macOS', first: 'asc' },
  { key: 'state', label: 'State', first: 'asc' },
  { key: 'releases_behind', label: 'Behind', first: 'desc', numeric: true, title: 'Security releases behind' },
  { key: 'missing_cves', label: 'CVEs', first: 'desc', numeric: true, title: 'CVEs fixed in releases it is missing' },
  {
    key: 'missing_exploited_cves',
    label: 'Exploited',
    first: 'desc',
    numeric: true,
    title: 'Actively exploited CVEs fixed in releases it is missing',
  },
  // Earliest deadline first: the Macs most overdue.
  {
    key: 'required_by',
    label: 'Required by',
    first: 'asc',
    title: 'When its missed updates are due: a missed release\'s date plus 7 days (actively exploited fix) or 30',
  },
  // Oldest contact first: the Macs that stopped checking in.
  { key: 'last_contact', label: 'Last contact', first: 'asc', title: 'When the Mac last checked in with Jamf Pro' },
];

/** The order the broker delivers: most missing actively exploited fixes first. */
export const DEFAULT_SORT: Sort = { key: 'missing_exploited_cves', dir: 'desc' };

/** The sort after clicking `key`'s header: the other direction for the same column, else its first. */
export function nextSort(current: Sort, key: SortKey): Sort {
  return nextSortOf(current, key, FLEET_COLUMNS);
}

const STATE_ORDER: Record<FleetState, number> = { current: 0, behind: 1, end_of_life: 2, unknown_version: 3, unreadable: 4, not_judged: 5 };

/** A computer's value for a column: null sorts last whichever the direction. */
function sortValue(c: FleetComputer, key: SortKey): string | number | null {
  switch (key) {
    case 'state':
      return STATE_ORDER[c.state] ?? 5;
    case 'last_contact':
      return parseTime(c.last_contact)?.getTime() ?? null;
    case 'required_by':
      return c.deadline?.required_by ?? null;
    case 'name':
    case 'serial':
    case 'user':
    case 'os_version':
      return c[key] || null;
    default:
      // "n/a" (a version the feed does not list) sorts with the missing values, last.
      return c[key] ?? null;
  }
}

/**
 * `computers` in `sort` order. Stable, so ties keep the order delivered; the default sort is the
 * order delivered, returned as it is.
 */
export function sortComputers(computers: readonly FleetComputer[], sort: Sort): readonly FleetComputer[] {
  if (sort.key === DEFAULT_SORT.key && sort.dir === DEFAULT_SORT.dir) return computers;
  return sortRows(computers, sort, sortValue);
}

/** Whether a computer is past its update deadline. */
export function isOverdue(c: FleetComputer): boolean {
  return c.deadline?.overdue ?? false;
}

/**
 * Computers whose name, serial, user, model, macOS version or state contains `query` (any case),
 * and with `overdueOnly`, only those past their update deadline.
 */
export function filterComputers(computers: readonly FleetComputer[], query: string, overdueOnly = false): readonly FleetComputer[] {
  const q = query.trim().toLowerCase();
  if (!q && !overdueOnly) return computers;
  return computers.filter(
    (c) =>
      (!overdueOnly || isOverdue(c)) &&
      (!q || [c.name, c.serial, c.user, c.model, c.os_version, stateLabel(c.state)].some((v) => v?.toLowerCase().includes(q))),
  );
}

/** How many pages of `size` (a Fleet page by default) `count` rows make; at least one. */
export function pageCount(count: number, size = FLEET_PAGE_SIZE): number {
  return pages(count, size);
}

/** A bar's length, in percent of the longest: at least a sliver for a version any Mac runs. */
export function barPercent(devices: number, max: number): number {
  if (max <= 0 || devices <= 0) return 0;
  return Math.max(0.5, (devices / max) * 100);
}
