// Mock audit log data for the UI tests, shaped as the Rust side's audit_search returns entries:
// calls as an intent and an outcome each, newest first.
import type { AuditAssistant, AuditEntry, AuditPage, ChainStatus } from '../src/lib/backend';

export const claude: AuditAssistant = {
  name: 'Claude',
  client: 'claude-ai',
  version: '0.9.2',
  executable: '/Applications/Claude.app/Contents/MacOS/Claude',
  pid: 4242,
  bundle_id: 'com.anthropic.claudefordesktop',
};

export const cursor: AuditAssistant = { name: 'cursor', version: '1.4.0', executable: '/usr/bin/cursor', pid: 77, bundle_id: null };

/** A hash that says which entry it belongs to: 64 hex digits. */
export function hashOf(seq: number): string {
  return seq.toString(16).padStart(8, '0').repeat(8);
}

/** 2026-11-21 10:00:00 UTC plus `seq` seconds. */
export function timeOf(seq: number): string {
  return new Date(Date.UTC(2026, 10, 21, 10, 0, 0) + seq * 1000).toISOString();
}

function base(seq: number): Pick<AuditEntry, 'seq' | 'time' | 'prev_hash' | 'hash' | 'intent' | 'pruned_through' | 'pruned_hash'> {
  return { seq, time: timeOf(seq), prev_hash: hashOf(seq - 1), hash: hashOf(seq), intent: null, pruned_through: null, pruned_hash: null };
}

export function intent(seq: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    ...base(seq),
    kind: 'intent',
    assistant: claude,
    tool: 'jamf_list_computers',
    arguments: { domain: 'jamf:acme.jamfcloud.com', filter: { serial: 'C02XL0GHJGH5' }, page: seq },
    domain: 'jamf:acme.jamfcloud.com',
    decision: 'allowed',
    approval: null,
    result: null,
    duration_us: null,
    ...over,
  };
}

export function outcome(seq: number, of: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    ...base(seq),
    kind: 'outcome',
    assistant: claude,
    tool: 'jamf_list_computers',
    arguments: null,
    domain: 'jamf:acme.jamfcloud.com',
    decision: 'allowed',
    approval: null,
    result: 'ok',
    duration_us: 12_345,
    intent: of,
    ...over,
  };
}

/** Entries `from` down to `to` (newest first): odd seqs are intents, even ones their outcomes. */
export function run(from: number, to: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let seq = from; seq >= to; seq--) out.push(seq % 2 ? intent(seq) : outcome(seq, seq - 1));
  return out;
}

/** A log of `count` entries as audit_search pages it (no filter): 100 a page, cursors by seq. */
export function pages(count: number, limit = 100) {
  return (before: number | null): AuditPage => {
    const top = before === null ? count : before - 1;
    const bottom = Math.max(1, top - limit + 1);
    const entries = top >= 1 ? run(top, bottom) : [];
    return { entries, next: entries.length === limit && bottom > 1 ? bottom : null, total: { exact: count } };
  };
}

export const verified = (through: number, over: Partial<ChainStatus> = {}): ChainStatus => ({
  ok: true,
  verified_through: through,
  first: 1,
  problem: null,
  anchor: 'confirmed',
  ...over,
});

export const broken: ChainStatus = {
  ok: false,
  verified_through: 41,
  first: 1,
  problem: { seq: 42, message: 'entry 42 was changed after it was written', kind: 'edited' },
  anchor: 'contradicted',
};

/** An admin event: `tool` is the action, `arguments` the details, `assistant` who acted. */
export function admin(seq: number, action: string, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    ...base(seq),
    kind: 'admin',
    assistant: { name: 'latchkey-cli', version: '0.9.0', executable: '/usr/bin/latchkey', pid: 31, bundle_id: null },
    tool: action,
    arguments: { label: 'Acme prod', minutes: 15 },
    domain: 'jamf:acme.jamfcloud.com',
    decision: 'approved',
    approval: null,
    result: null,
    duration_us: null,
    ...over,
  };
}

/** A log with entries whose head is not anchored yet (the Rust side's Tamper::Unanchored). */
export const unanchored: ChainStatus = {
  ok: false,
  verified_through: 6,
  first: 1,
  problem: { seq: 1, message: 'no head of this log is anchored, so its 6 entries from #1 cannot be checked', kind: 'unanchored' },
  anchor: 'nothing_saved',
};

export const facets = {
  assistants: ['claude-ai', 'cursor'],
  tools: ['jamf_list_computers', 'vcenter_list_vms'],
  domains: ['jamf:acme.jamfcloud.com', 'vcenter:vc01.example.com'],
};
