// The Audit page's pure helpers: filters as sent, times, durations, results and the chain's words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actionLabel,
  anchorText,
  assistantTooltip,
  chainState,
  chainText,
  chainTitle,
  decisionLabel,
  detailsText,
  emptyDraft,
  formatDuration,
  formatLocal,
  formatUtc,
  localInputToUtc,
  resultCell,
  resultText,
  sameFilter,
  toFilter,
  totalText,
} from '../src/pages/audit/format';
import { broken, claude, unanchored, verified } from './audit-data';

const zone = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'America/New_York';
});
afterAll(() => {
  process.env.TZ = zone;
});

describe('audit filters', () => {
  it('converts datetime-local values (local time) to UTC', () => {
    expect(localInputToUtc('2026-11-21T10:30')).toBe('2026-11-21T15:30:00.000Z');
    expect(localInputToUtc('2026-07-04T23:59:30')).toBe('2026-07-05T03:59:30.000Z');
    expect(localInputToUtc('')).toBeNull();
    expect(localInputToUtc('yesterday')).toBeNull();
    expect(localInputToUtc('2026-11-21T10:30Z')).toBeNull();
  });

  it('sends only what is set, trimmed', () => {
    expect(toFilter(emptyDraft())).toEqual({});
    expect(
      toFilter({
        assistant: ' claude-ai ',
        tool: '',
        domain: 'jamf:acme.jamfcloud.com',
        decision: 'refused_locked',
        kind: '',
        since: '2026-11-21T10:30',
        until: 'not a time',
        text: '  acme C02XL  ',
      }),
    ).toEqual({
      assistant: 'claude-ai',
      domain: 'jamf:acme.jamfcloud.com',
      decision: 'refused_locked',
      since: '2026-11-21T15:30:00.000Z',
      text: 'acme C02XL',
    });
    expect(toFilter({ ...emptyDraft(), decision: 'maybe' })).toEqual({});
  });

  it('compares filters by value', () => {
    expect(sameFilter({}, {})).toBe(true);
    expect(sameFilter({ text: 'a', decision: 'denied' }, { decision: 'denied', text: 'a' })).toBe(true);
    expect(sameFilter({ text: 'a' }, { text: 'a', tool: 'x' })).toBe(false);
  });
});

describe('audit kinds, admin events and the unanchored state', () => {
  it('sends the kind filter only when one is chosen', () => {
    expect(toFilter({ ...emptyDraft(), kind: 'admin' })).toEqual({ kind: 'admin' });
    expect(toFilter({ ...emptyDraft(), kind: 'tool' })).toEqual({ kind: 'tool' });
    expect(toFilter({ ...emptyDraft(), kind: '' })).toEqual({});
    expect(toFilter({ ...emptyDraft(), kind: 'bogus' })).toEqual({});
    expect(toFilter({ ...emptyDraft(), decision: 'timed_out' })).toEqual({ decision: 'timed_out' });
  });

  it('words admin actions and their details', () => {
    expect(actionLabel('unlock')).toBe('Unlocked');
    expect(actionLabel('approval.timeout')).toBe('Approval timed out');
    expect(actionLabel('chain.broken')).toBe('Chain found broken');
    expect(actionLabel('something.new_here')).toBe('something new here');
    expect(actionLabel(null)).toBe('—');
    expect(detailsText({ label: 'Acme prod', minutes: 15, ids: [1, 2] })).toBe('label: Acme prod · minutes: 15 · ids: [1,2]');
    expect(detailsText(null)).toBe('');
    expect(detailsText('plain')).toBe('"plain"');
    expect(decisionLabel('timed_out')).toBe('timed out');
  });

  it('tells an unanchored log from a broken one', () => {
    expect(chainState(verified(10))).toBe('ok');
    expect(chainState(unanchored)).toBe('unanchored');
    expect(chainState({ ...broken, problem: { ...broken.problem!, kind: 'unanchored' } })).toBe('unanchored');
    expect(chainState(broken)).toBe('broken');
    // An edit in a log with nothing anchored is still broken: the walk stopped before it.
    expect(chainState({ ...broken, anchor: 'nothing_saved' })).toBe('broken');
    expect(chainText(unanchored)).toBe(
      'Chain not anchored: #1 to #6 link correctly, but nothing outside the log vouches for them yet',
    );
  });
});

describe('audit formatting', () => {
  it('shows times in local time, and UTC for tooltips', () => {
    expect(formatLocal('2026-11-21T15:04:09.123456Z')).toBe('2026-11-21 10:04:09');
    expect(formatUtc('2026-11-21T15:04:09.123456Z')).toBe('2026-11-21 15:04:09.123 UTC');
    expect(formatLocal('garbage')).toBe('garbage');
  });

  it('shows durations at a readable scale', () => {
    expect(formatDuration(null)).toBeNull();
    expect(formatDuration(850)).toBe('850 µs');
    expect(formatDuration(4_200)).toBe('4.2 ms');
    expect(formatDuration(12_345)).toBe('12 ms');
    expect(formatDuration(2_400_000)).toBe('2.40 s');
    expect(formatDuration(42_000_000)).toBe('42.0 s');
    expect(formatDuration(123_000_000)).toBe('2 min 3 s');
  });

  it('puts the assistant in full, then its process, in the tooltip', () => {
    expect(assistantTooltip(claude)).toBe(
      'Claude as claude-ai 0.9.2\nExecutable: /Applications/Claude.app/Contents/MacOS/Claude · pid 4242 · Bundle: com.anthropic.claudefordesktop',
    );
    expect(assistantTooltip({ name: 'cursor', version: '1.4.0', executable: null, pid: null, bundle_id: null })).toBe('cursor 1.4.0');
    expect(assistantTooltip(null)).toBeUndefined();
  });

  it('names results, decisions and totals', () => {
    expect(resultText('ok')).toBe('ok');
    expect(resultText({ error: 'timeout' })).toBe('timeout');
    expect(resultText(null)).toBeNull();
    expect(resultCell({ kind: 'outcome', arguments: null, result: { error: 'timeout' } })).toBe('error: timeout');
    expect(resultCell({ kind: 'outcome', arguments: null, result: 'ok' })).toBe('ok');
    expect(resultCell({ kind: 'intent', arguments: { page: 1 }, result: null })).toBeNull();
    expect(resultCell({ kind: 'admin', arguments: { label: 'Acme prod' }, result: null })).toBe('label: Acme prod');
    expect(decisionLabel('refused_unknown_client')).toBe('refused: unknown assistant');
    expect(decisionLabel('something_new')).toBe('something new');
    expect(totalText({ exact: 1 })).toBe('1 entry');
    expect(totalText({ exact: 1234 })).toBe('1,234 entries');
    expect(totalText({ at_least: 10_000 })).toBe('at least 10,000 entries');
  });

  it('words the chain state and the anchor', () => {
    expect(chainText(verified(1234))).toBe('Chain verified through #1234');
    expect(chainText(verified(0, { first: 0 }))).toBe('Chain verified: no entries yet');
    expect(chainText(broken)).toBe('Chain broken at #42: entry 42 was changed after it was written');
    expect(chainTitle(verified(900, { first: 501, anchor: 'not_configured' }))).toBe(
      'Entries #501 to #900 hash and link correctly. Anchor: not configured: a cut-off end or a rewritten history cannot be detected.',
    );
    expect(anchorText('some_future_state')).toBe('some future state');
  });
});
