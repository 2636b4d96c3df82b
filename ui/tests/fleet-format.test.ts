// The Fleet tab's pure helpers.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SORT,
  barPercent,
  filterComputers,
  jamfDomains,
  nextSort,
  pageCount,
  progressText,
  sameDomain,
  sortComputers,
  unlockHint,
} from '../src/pages/sofa/fleet';
import { countText, formatNumber } from '../src/pages/sofa/format';
import { JAMF, overview, withLock } from './credentials-data';
import { macs } from './fleet-data';

describe('fleet helpers', () => {
  it('finds the unlocked and the locked Jamf Pro domains', () => {
    expect(jamfDomains(overview().domains)).toEqual({ unlocked: [JAMF], locked: [] });
    expect(jamfDomains(withLock(overview(), null, null).domains)).toEqual({ unlocked: [], locked: [JAMF] });
    expect(jamfDomains(overview({ credentials: [] }).domains)).toEqual({ unlocked: [], locked: [] });
  });

  it('says what to unlock', () => {
    expect(unlockHint([JAMF])).toBe('Unlock Jamf Pro acme.jamfcloud.com on the Credentials page to see its fleet.');
    expect(unlockHint([JAMF, 'jamf:beta.jamfcloud.com'])).toBe(
      'Unlock one of your Jamf Pro servers (acme.jamfcloud.com, beta.jamfcloud.com) on the Credentials page to see its fleet.',
    );
  });

  it('matches a progress event to its domain, with or without the kind', () => {
    expect(sameDomain(JAMF, JAMF)).toBe(true);
    expect(sameDomain(JAMF, 'acme.jamfcloud.com')).toBe(true);
    expect(sameDomain(JAMF, 'jamf:beta.jamfcloud.com')).toBe(false);
  });

  it('formats progress and counts', () => {
    expect(progressText(4000, 20000)).toBe('Loaded 4,000 of 20,000 computers');
    expect(progressText(1, 0)).toBe('Loaded 1 computer');
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(countText(1, 'Mac')).toBe('1 Mac');
    expect(countText(20000, 'Mac')).toBe('20,000 Macs');
  });

  it('sorts stably, nulls last, the default order as delivered', () => {
    expect(sortComputers(macs, DEFAULT_SORT)).toBe(macs);
    expect(sortComputers(macs, { key: 'user', dir: 'asc' }).map((c) => c.id)).toEqual(['101', '103', '104', '102', '105']);
    expect(sortComputers(macs, { key: 'user', dir: 'desc' }).map((c) => c.id)).toEqual(['104', '103', '101', '102', '105']);
    expect(sortComputers(macs, { key: 'state', dir: 'asc' }).map((c) => c.id)).toEqual(['103', '101', '102', '104', '105']);
    // Ties keep the delivered order, both ways.
    expect(sortComputers(macs, { key: 'releases_behind', dir: 'asc' }).map((c) => c.id)).toEqual(['103', '102', '101', '104', '105']);
  });

  it('sorts a column the other way on a second click, a new one its own first way', () => {
    expect(nextSort(DEFAULT_SORT, 'missing_exploited_cves')).toEqual({ key: 'missing_exploited_cves', dir: 'asc' });
    expect(nextSort(DEFAULT_SORT, 'name')).toEqual({ key: 'name', dir: 'asc' });
    expect(nextSort({ key: 'name', dir: 'asc' }, 'missing_cves')).toEqual({ key: 'missing_cves', dir: 'desc' });
    expect(nextSort({ key: 'name', dir: 'asc' }, 'last_contact')).toEqual({ key: 'last_contact', dir: 'asc' });
  });

  it('filters and pages', () => {
    expect(filterComputers(macs, '  ')).toBe(macs);
    expect(filterComputers(macs, 'END OF LIFE').map((c) => c.id)).toEqual(['104']);
    expect(pageCount(0)).toBe(1);
    expect(pageCount(100)).toBe(1);
    expect(pageCount(101)).toBe(2);
    expect(pageCount(20000)).toBe(200);
  });

  it('sizes bars against the longest, a sliver at least', () => {
    expect(barPercent(50, 100)).toBe(50);
    expect(barPercent(1, 20000)).toBe(0.5);
    expect(barPercent(0, 100)).toBe(0);
    expect(barPercent(3, 0)).toBe(0);
  });
});
