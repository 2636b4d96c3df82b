// The SOFA page's pure helpers.
import { describe, expect, it } from 'vitest';
import {
  daysSince,
  errorText,
  filterCves,
  formatAge,
  formatDate,
  formatDaysAgo,
  formatTimestamp,
  overdueText,
  parseTime,
  plural,
  quickPicks,
} from '../src/pages/sofa/format';
import { cves156, latest } from './sofa-data';

const now = new Date('2026-11-21T20:33:38Z');

describe('parseTime', () => {
  it('reads ISO timestamps, including nanoseconds and SOFA\'s "+00:00Z"', () => {
    expect(parseTime('2026-11-21T20:33:38.548191657Z')?.toISOString()).toBe('2026-11-21T20:33:38.548Z');
    expect(parseTime('2026-03-31T06:56:27+00:00Z')?.toISOString()).toBe('2026-03-31T06:56:27.000Z');
    expect(parseTime('2026-03-31T06:56:27.548723564+00:00')?.toISOString()).toBe('2026-03-31T06:56:27.548Z');
    expect(parseTime('2026-03-24T00:00:00Z')?.toISOString()).toBe('2026-03-24T00:00:00.000Z');
  });

  it('gives null for nothing or nonsense', () => {
    expect(parseTime(null)).toBeNull();
    expect(parseTime('')).toBeNull();
    expect(parseTime('yesterday')).toBeNull();
  });
});

describe('dates', () => {
  it('formats release dates as UTC calendar dates', () => {
    expect(formatDate('2026-03-24T00:00:00Z')).toBe('24 Mar 2026');
    expect(formatDate('2024-07-29T00:00:00Z')).toBe('29 Jul 2024');
    expect(formatDate(null)).toBeNull();
    expect(formatTimestamp('2026-11-21T20:33:38.548191657Z')).toBe('2026-11-21 20:33 UTC');
  });

  it('counts whole days since a date', () => {
    expect(daysSince('2026-11-21T00:00:00Z', now)).toBe(0);
    expect(daysSince('2026-11-20T23:59:00Z', now)).toBe(1);
    expect(daysSince('2025-08-20T00:00:00Z', now)).toBe(458);
    expect(daysSince('2026-11-23T00:00:00Z', now)).toBe(-2);
    expect(daysSince(null, now)).toBeNull();
  });

  it('says how many days ago in words', () => {
    expect(formatDaysAgo(0)).toBe('today');
    expect(formatDaysAgo(1)).toBe('yesterday');
    expect(formatDaysAgo(242)).toBe('242 days ago');
    expect(formatDaysAgo(-1)).toBe('tomorrow');
    expect(formatDaysAgo(-3)).toBe('in 3 days');
    expect(formatDaysAgo(null)).toBeNull();
  });

  it('says how old a fetch is', () => {
    const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
    expect(formatAge(ago(10_000), now)).toBe('just now');
    expect(formatAge(ago(-90_000), now)).toBe('just now');
    expect(formatAge(ago(5 * 60_000), now)).toBe('5 min ago');
    expect(formatAge(ago(3 * 3_600_000 + 59 * 60_000), now)).toBe('3 h ago');
    expect(formatAge(ago(30 * 3_600_000), now)).toBe('1 day ago');
    expect(formatAge(ago(50 * 86_400_000), now)).toBe('50 days ago');
    expect(formatAge('not a date', now)).toBeNull();
  });
});

describe('plural', () => {
  it('picks the singular only for one', () => {
    expect(plural(1, 'release')).toBe('1 release');
    expect(plural(7, 'release')).toBe('7 releases');
    expect(plural(0, 'CVE')).toBe('0 CVEs');
  });
});

describe('errorText', () => {
  it('reads the rejection shapes invoke produces', () => {
    expect(errorText('invalid version "x"')).toBe('invalid version "x"');
    expect(errorText(new Error('ipc down'))).toBe('ipc down');
    expect(errorText({ message: 'structured' })).toBe('structured');
    expect(errorText(42)).toBe('42');
  });
});

describe('filterCves', () => {
  it('matches id substrings case-insensitively', () => {
    expect(filterCves(cves156, 'cve-2025-433', false).map((c) => c.id)).toEqual(['CVE-2025-43300']);
    expect(filterCves(cves156, '  2024-4 ', false).map((c) => c.id)).toEqual(['CVE-2024-43398', 'CVE-2024-49761']);
    expect(filterCves(cves156, '', false)).toHaveLength(219);
  });

  it('keeps only actively exploited ones when asked', () => {
    expect(filterCves(cves156, '', true).map((c) => c.id)).toEqual(['CVE-2025-43300', 'CVE-2025-43510', 'CVE-2025-43520']);
    expect(filterCves(cves156, '435', true).map((c) => c.id)).toEqual(['CVE-2025-43510', 'CVE-2025-43520']);
    expect(filterCves(cves156, 'CVE-1999', true)).toEqual([]);
  });
});

describe('quickPicks', () => {
  it("offers this Mac first, then each major's first release", () => {
    expect(quickPicks({ this_mac: '15.6', latest })).toEqual([
      { label: 'This Mac (15.6)', version: '15.6' },
      { label: '26.0', version: '26.0' },
      { label: '15.0', version: '15.0' },
      { label: '14.0', version: '14.0' },
      { label: '13.0', version: '13.0' },
      { label: '12.0', version: '12.0' },
    ]);
    expect(quickPicks({ this_mac: '26.0', latest }).map((p) => p.version)).toEqual(['26.0', '15.0', '14.0', '13.0', '12.0']);
    expect(quickPicks({ this_mac: null, latest: [] })).toEqual([]);
  });
});

describe('overdueText', () => {
  it('says how late, or how long is left', () => {
    expect(overdueText({ days_overdue: 658 })).toBe('overdue by 658 days');
    expect(overdueText({ days_overdue: 1 })).toBe('overdue by 1 day');
    expect(overdueText({ days_overdue: 0 })).toBe('due today');
    expect(overdueText({ days_overdue: -1 })).toBe('due in 1 day');
    expect(overdueText({ days_overdue: -2 })).toBe('due in 2 days');
  });
});
