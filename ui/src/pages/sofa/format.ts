// Small pure helpers for the SOFA page: dates, ages, plurals, CVE filtering.
import type { FixedCve, SofaOverview, UpdateDeadline } from '../../lib/backend';

const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The text of a rejected backend call: Tauri commands reject with a plain string. */
export function errorText(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'message' in e && typeof e.message === 'string') return e.message;
  return String(e);
}

/**
 * Parses an ISO 8601 timestamp, tolerating what feeds really contain: more than three fractional
 * digits (WebKit is strict about those) and SOFA's `2026-03-31T06:56:27+00:00Z`.
 */
export function parseTime(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  let s = iso.trim();
  s = s.replace(/([+-]\d\d:\d\d)Z$/i, '$1');
  s = s.replace(/(\.\d{3})\d+/, '$1');
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "24 Mar 2026" (UTC calendar date), or null when there is no usable date. */
export function formatDate(iso: string | null | undefined): string | null {
  const d = parseTime(iso);
  if (!d) return null;
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** "2026-11-21 20:33 UTC", for tooltips. */
export function formatTimestamp(iso: string | null | undefined): string | null {
  const d = parseTime(iso);
  if (!d) return null;
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

/** Whole calendar days (UTC) from `iso` to `now`; negative when `iso` is in the future. */
export function daysSince(iso: string | null | undefined, now: Date): number | null {
  const d = parseTime(iso);
  if (!d) return null;
  const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const to = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.round((to - from) / DAY_MS);
}

/** "today", "yesterday", "12 days ago", "in 2 days". */
export function formatDaysAgo(days: number | null): string | null {
  if (days === null) return null;
  if (days === 0) return 'today';
  if (days === 1) return 'yesterday';
  if (days === -1) return 'tomorrow';
  if (days < 0) return `in ${-days} days`;
  return `${days} days ago`;
}

/** How long ago a timestamp was, coarsely: "just now", "5 min ago", "3 h ago", "2 days ago". */
export function formatAge(iso: string | null | undefined, now: Date): string | null {
  const d = parseTime(iso);
  if (!d) return null;
  const seconds = Math.floor((now.getTime() - d.getTime()) / 1000);
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return days === 1 ? '1 day ago' : `${days} days ago`;
}

/** "overdue by 658 days", "overdue by 1 day", "due today", "due in 2 days". */
export function overdueText(d: Pick<UpdateDeadline, 'days_overdue'>): string {
  const n = d.days_overdue;
  if (n > 0) return `overdue by ${plural(n, 'day')}`;
  if (n === 0) return 'due today';
  return `due in ${plural(-n, 'day')}`;
}

/** Why a deadline falls when it does: "14.5 came out 13 May 2024; 30 days for a release without actively exploited fixes". */
export function deadlineWhy(d: UpdateDeadline): string {
  const sla = {
    actively_exploited: 'for a release fixing actively exploited CVEs',
    standard: 'for a release without actively exploited fixes',
    major_upgrade: 'to move to a macOS major Apple still patches',
  }[d.sla];
  return `${d.release} came out ${formatDate(d.release_date) ?? d.release_date}; ${plural(d.sla_days, 'day')} ${sla}`;
}

/** "1 release", "7 releases". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

/** "20,000": whole numbers with thousands separators, the same on every machine. */
export function formatNumber(n: number): string {
  return n.toLocaleString('en-US');
}

/** A count, or "n/a" where the feed cannot give one (a version it does not list): never a false 0. */
export function countOrNa(n: number | null): string {
  return n === null ? 'n/a' : formatNumber(n);
}

/** "1 computer", "1,234 computers": `plural` with thousands separators. */
export function countText(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatNumber(n)} ${n === 1 ? singular : pluralForm}`;
}

/** CVEs whose id contains `query` (case-insensitive, trimmed), optionally only actively exploited ones. */
export function filterCves(cves: readonly FixedCve[], query: string, exploitedOnly: boolean): FixedCve[] {
  const q = query.trim().toUpperCase();
  return cves.filter((c) => (!exploitedOnly || c.actively_exploited) && (q === '' || c.id.toUpperCase().includes(q)));
}

export interface QuickPick {
  label: string;
  version: string;
}

/** One-click versions to analyse: this Mac's, then the first release (N.0) of each major in the feed. */
export function quickPicks(overview: Pick<SofaOverview, 'this_mac' | 'latest'>): QuickPick[] {
  const picks: QuickPick[] = [];
  if (overview.this_mac) picks.push({ label: `This Mac (${overview.this_mac})`, version: overview.this_mac });
  for (const r of overview.latest) {
    const version = `${r.major}.0`;
    if (!picks.some((p) => p.version === version)) picks.push({ label: version, version });
  }
  return picks;
}
