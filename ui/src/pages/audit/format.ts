// Small pure helpers for the Audit page: filters, times, decisions, results, durations.
import type {
  AuditAssistant,
  AuditDecision,
  AuditEntry,
  AuditFilter,
  AuditKind,
  AuditResult,
  AuditTotal,
  ChainStatus,
} from '../../lib/backend';
import { parseTime } from '../sofa/format';

/** Entries per page. */
export const PAGE_SIZE = 100;

/** Every decision, in the order the filter offers them, with how each is shown. */
export const DECISIONS: { value: AuditDecision; label: string; tone: 'ok' | 'warn' | 'bad' }[] = [
  { value: 'allowed', label: 'allowed', tone: 'ok' },
  { value: 'approved', label: 'approved', tone: 'ok' },
  { value: 'denied', label: 'denied', tone: 'bad' },
  { value: 'refused_locked', label: 'refused: locked', tone: 'warn' },
  { value: 'refused_unknown_client', label: 'refused: unknown assistant', tone: 'bad' },
  { value: 'timed_out', label: 'timed out', tone: 'warn' },
  { value: 'refused_invalid', label: 'refused: invalid', tone: 'warn' },
  { value: 'refused_rate_limited', label: 'refused: too many calls', tone: 'warn' },
];

/** The kind filter's choices. */
export const KINDS: { value: AuditKind | ''; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'tool', label: 'Assistant calls' },
  { value: 'admin', label: 'Admin events' },
];

/** What each decision means, for tooltips. */
const DECISION_HELP: Record<AuditDecision, string> = {
  allowed: 'Allowed by policy without asking',
  approved: 'Allowed because you approved it',
  denied: 'You said no',
  refused_locked: "Refused because the domain's credentials were locked",
  refused_unknown_client: 'Refused because the assistant was not allowed',
  timed_out: 'Nobody approved the change in time',
  refused_invalid: 'A change refused before anyone was asked: its arguments or preview were wrong',
  refused_rate_limited: 'Refused because the assistant made calls faster than Latchkey allows',
};

/** Admin actions as a person reads them. */
const ACTIONS: Record<string, string> = {
  unlock: 'Unlocked',
  lock: 'Locked',
  'credential.add': 'Credential added',
  'credential.edit': 'Credential edited',
  'credential.rotate': 'Credential rotated',
  'credential.remove': 'Credential removed',
  'policy.set': 'Unlock policy set',
  'assistant.allow': 'Assistant allowed',
  'assistant.deny': 'Assistant denied',
  'assistant.forget': 'Assistant forgotten',
  'approval.approve': 'Change approved',
  'approval.deny': 'Change denied',
  'approval.timeout': 'Approval timed out',
  'grant.create': 'Grant created',
  'grant.revoke': 'Grant revoked',
  'chain.broken': 'Chain found broken',
  'chain.acknowledge': 'Chain break acknowledged',
};

/** "Unlocked" for "unlock"; an unknown action as it is, dots and underscores as spaces. */
export function actionLabel(action: string | null | undefined): string {
  if (!action) return '—';
  return ACTIONS[action] ?? action.replace(/[._]/g, ' ');
}

/** An admin event's details on one line: "label: Acme · minutes: 15" (objects), or JSON. */
export function detailsText(details: unknown): string {
  if (details === null || details === undefined) return '';
  if (typeof details !== 'object' || Array.isArray(details)) return JSON.stringify(details) ?? '';
  return Object.entries(details as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ');
}

export function isAdmin(e: Pick<AuditEntry, 'kind'>): boolean {
  return e.kind === 'admin';
}

export function decisionLabel(d: AuditDecision | string): string {
  return DECISIONS.find((x) => x.value === d)?.label ?? d.replace(/_/g, ' ');
}

export function decisionTone(d: AuditDecision | string): 'ok' | 'warn' | 'bad' {
  return DECISIONS.find((x) => x.value === d)?.tone ?? 'warn';
}

export function decisionHelp(d: AuditDecision | string): string | undefined {
  return DECISION_HELP[d as AuditDecision];
}

/** The filter form as typed: every field a string, '' for "any". */
export interface FilterDraft {
  assistant: string;
  tool: string;
  domain: string;
  /** An AuditDecision, or ''. */
  decision: string;
  /** An AuditKind, or '' for all. */
  kind: string;
  /** A datetime-local value ("2026-11-21T10:30"), local time. */
  since: string;
  until: string;
  text: string;
}

export function emptyDraft(): FilterDraft {
  return { assistant: '', tool: '', domain: '', decision: '', kind: '', since: '', until: '', text: '' };
}

/** A datetime-local value (local time) as ISO 8601 UTC; null when empty or not a time. */
export function localInputToUtc(value: string): string | null {
  const v = value.trim();
  // Only the forms datetime-local produces: a date and a time, no zone (so it is local time).
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(v)) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** What the backend is sent for a draft: trimmed, empty fields left out, times in UTC. */
export function toFilter(d: FilterDraft): AuditFilter {
  const f: AuditFilter = {};
  const assistant = d.assistant.trim();
  const tool = d.tool.trim();
  const domain = d.domain.trim();
  const text = d.text.trim();
  if (assistant) f.assistant = assistant;
  if (tool) f.tool = tool;
  if (domain) f.domain = domain;
  if (DECISIONS.some((x) => x.value === d.decision)) f.decision = d.decision as AuditDecision;
  if (d.kind === 'admin' || d.kind === 'tool') f.kind = d.kind;
  const since = localInputToUtc(d.since);
  const until = localInputToUtc(d.until);
  if (since) f.since = since;
  if (until) f.until = until;
  if (text) f.text = text;
  return f;
}

export function isFiltered(f: AuditFilter): boolean {
  return Object.keys(f).length > 0;
}

/** Whether two filters ask for the same entries. */
export function sameFilter(a: AuditFilter, b: AuditFilter): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof AuditFilter>;
  return [...keys].every((k) => a[k] === b[k]);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** "2026-11-21 21:33:07" in this computer's time zone, or the input when it is not a time. */
export function formatLocal(iso: string): string {
  const d = parseTime(iso);
  if (!d) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "2026-11-21 20:33:07.123 UTC", for tooltips and the details. */
export function formatUtc(iso: string): string {
  const d = parseTime(iso);
  if (!d) return iso;
  const s = d.toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 23)} UTC`;
}

/** "850 µs", "12 ms", "1.24 s", "2 min 3 s"; null for none. */
export function formatDuration(us: number | null | undefined): string | null {
  if (us === null || us === undefined || !Number.isFinite(us) || us < 0) return null;
  if (us < 1000) return `${Math.round(us)} µs`;
  const ms = us / 1000;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** A result as a word: "ok", the error kind, or null for none (an intent). */
export function resultText(r: AuditResult | null | undefined): string | null {
  if (r === null || r === undefined) return null;
  if (r === 'ok') return 'ok';
  if (typeof r === 'object' && 'error' in r) return r.error;
  return String(r);
}

export function isError(r: AuditResult | null | undefined): boolean {
  return !!r && typeof r === 'object';
}

/** The table's Result column: an admin event's details, "ok", "error: …", or null (not run yet). */
export function resultCell(e: Pick<AuditEntry, 'kind' | 'arguments' | 'result'>): string | null {
  if (e.kind === 'admin') return detailsText(e.arguments);
  const text = resultText(e.result);
  return text !== null && isError(e.result) ? `error: ${text}` : text;
}

/** What the client said of itself beside the allow-list's name: "as claude-ai 0.9.2", or its version alone. */
export function clientText(a: AuditAssistant): string {
  const told = [a.client, a.version].filter(Boolean).join(' ');
  return a.client ? `as ${told}` : told;
}

/** "python3.11 running tool.py as claude-ai 0.9.2", "Claude 0.9.2". */
export function assistantText(a: AuditAssistant): string {
  const told = clientText(a);
  return told ? `${a.name} ${told}` : a.name;
}

/** For the table cell's tooltip: the assistant in full (the cell may cut it short), then what the
 *  OS said about its process. */
export function assistantTooltip(a: AuditAssistant | null | undefined): string | undefined {
  if (!a) return undefined;
  const parts = [
    a.executable ? `Executable: ${a.executable}` : null,
    a.pid !== null ? `pid ${a.pid}` : null,
    a.bundle_id ? `Bundle: ${a.bundle_id}` : null,
  ].filter((p): p is string => p !== null);
  return parts.length ? `${assistantText(a)}\n${parts.join(' · ')}` : assistantText(a);
}

/** "1,234 entries", "at least 10,000 entries". */
export function totalText(t: AuditTotal): string {
  if ('exact' in t) return t.exact === 1 ? '1 entry' : `${t.exact.toLocaleString('en-US')} entries`;
  return `at least ${t.at_least.toLocaleString('en-US')} entries`;
}

export function totalCount(t: AuditTotal): number {
  return 'exact' in t ? t.exact : t.at_least;
}

/** What each anchor state means. */
const ANCHOR_TEXT: Record<string, string> = {
  confirmed: 'confirmed: the log holds the anchored entry with the anchored hash',
  not_configured: 'not configured: a cut-off end or a rewritten history cannot be detected',
  nothing_saved: 'nothing saved yet: until a head is anchored, a cut-off end or a rewritten history cannot be detected',
  unavailable: 'unavailable: the anchor could not be read',
  contradicted: 'contradicted: the log does not match the anchored entry',
  not_reached: 'not reached: verification stopped at an earlier problem',
  pruned: 'pruned: the anchored entry was pruned and no checkpoint records it',
};

export function anchorText(anchor: string): string {
  return ANCHOR_TEXT[anchor] ?? anchor.replace(/_/g, ' ');
}

/**
 * The badge's state: verified; not anchored (amber: the entries link, but nothing outside the
 * log vouches for them yet); or broken.
 */
export function chainState(c: ChainStatus): 'ok' | 'unanchored' | 'broken' {
  if (c.ok) return 'ok';
  const p = c.problem;
  if (p?.kind === 'unanchored') return 'unanchored';
  // Older backends send no kind: an unanchored log's problem is past every entry walked.
  if (!p?.kind && p && c.anchor === 'nothing_saved' && c.verified_through >= p.seq) return 'unanchored';
  return 'broken';
}

/** The chain badge's text. */
export function chainText(c: ChainStatus): string {
  if (chainState(c) === 'unanchored') {
    return `Chain not anchored: #${c.first} to #${c.verified_through} link correctly, but nothing outside the log vouches for them yet`;
  }
  if (c.ok) {
    return c.verified_through > 0 ? `Chain verified through #${c.verified_through}` : 'Chain verified: no entries yet';
  }
  if (c.problem) return `Chain broken at #${c.problem.seq}: ${c.problem.message}`;
  return 'Chain broken';
}

/** The chain badge's tooltip: the range walked and the anchor. */
export function chainTitle(c: ChainStatus): string {
  const range =
    c.verified_through > 0
      ? `Entries #${c.first} to #${c.verified_through} hash and link correctly.`
      : c.ok
        ? 'The log has no entries yet.'
        : 'No entry could be verified.';
  return `${range} Anchor: ${anchorText(c.anchor)}.`;
}

/** Arguments as indented JSON. */
export function prettyJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}
