// The Settings page's pure helpers: the fields, a draft as typed, and the settings it gives.
import type { CommandError, Settings } from '../../lib/backend';

/** One setting on the page: its key (as `latchkey settings` and the backend name it). */
export interface SettingField {
  key: string;
  label: string;
  hint: string;
  /** A number typed in this unit; absent for text or a choice. */
  unit?: string;
  /** A choice of these values; absent for typed text or numbers. */
  options?: { value: string; label: string }[];
  /**
   * When changing it asks for presence, as the broker decides: any change ('change'), a larger
   * number ('longer': longer deadlines and rarer refreshes would hide overdue Macs), or turning
   * it off ('off').
   */
  guard?: 'change' | 'longer' | 'off';
}

export interface SettingSection {
  title: string;
  fields: SettingField[];
}

/** The feed choices besides a URL or file of one's own. */
export const FEEDS = [
  { value: 'v2', label: "SOFA's macOS feed (v2)" },
  { value: 'v1', label: "SOFA's older feed layout (v1)" },
  { value: 'custom', label: 'A mirror or a file…' },
];

const ON_OFF = [
  { value: 'on', label: 'On' },
  { value: 'off', label: 'Off' },
];

export const SECTIONS: SettingSection[] = [
  {
    title: 'Security releases (SOFA)',
    fields: [
      {
        key: 'sofa.feed',
        label: 'Feed',
        hint: 'Where Apple security-release data comes from. A mirror is an https URL; a file is its absolute path.',
        guard: 'change',
      },
      { key: 'sofa.refresh_hours', label: 'Refresh every', unit: 'hours', hint: '1 to 168 hours.', guard: 'longer' },
    ],
  },
  {
    title: 'Update deadlines',
    fields: [
      {
        key: 'deadlines.exploited_days',
        label: 'Actively exploited fix',
        unit: 'days',
        hint: 'Days after a release fixing an actively exploited CVE before its update is overdue (1 to 90).',
        guard: 'longer',
      },
      {
        key: 'deadlines.standard_days',
        label: 'Other security release',
        unit: 'days',
        hint: 'Days after any other security release (1 to 365).',
        guard: 'longer',
      },
      {
        key: 'deadlines.major_days',
        label: 'Unpatched major',
        unit: 'days',
        hint: 'Days to move off a major Apple no longer patches (1 to 365).',
        guard: 'longer',
      },
    ],
  },
  {
    title: 'Unlocking',
    fields: [
      {
        key: 'unlock_minutes',
        label: 'Unlocks last',
        unit: 'minutes',
        hint: '5 to 720 minutes, unless a duration is chosen when unlocking.',
        guard: 'change',
      },
      {
        key: 'idle_minutes',
        label: 'Lock when unused for',
        unit: 'minutes',
        hint: 'Leave empty for no idle lock; at most as long as an unlock.',
        guard: 'change',
      },
    ],
  },
  {
    title: 'Approvals',
    fields: [
      {
        key: 'approvals.timeout_seconds',
        label: 'An approval waits',
        unit: 'seconds',
        hint: 'Then the change counts as denied (30 to 1800 seconds).',
        guard: 'change',
      },
    ],
  },
  {
    title: 'Audit log',
    fields: [
      {
        key: 'audit.retention_days',
        label: 'Keep entries for',
        unit: 'days',
        hint: 'Older entries are deleted; a checkpoint keeps the chain verifiable (30 to 3650 days).',
        guard: 'change',
      },
    ],
  },
  {
    title: 'Notifications',
    fields: [
      {
        key: 'notifications.enabled',
        label: 'Desktop notifications',
        options: ON_OFF,
        hint: 'When this Mac misses an actively exploited fix, or an unlocked Jamf fleet gains overdue Macs.',
        guard: 'off',
      },
    ],
  },
];

/** The settings as the page's fields hold them: text, keyed like the backend. */
export type Draft = Record<string, string>;

/** The draft showing `s`. */
export function draftOf(s: Settings): Draft {
  return {
    'sofa.feed': s.sofa.feed,
    'sofa.refresh_hours': String(s.sofa.refresh_hours),
    'deadlines.exploited_days': String(s.deadlines.exploited_days),
    'deadlines.standard_days': String(s.deadlines.standard_days),
    'deadlines.major_days': String(s.deadlines.major_days),
    unlock_minutes: String(s.unlock_minutes),
    idle_minutes: s.idle_minutes === null ? '' : String(s.idle_minutes),
    'approvals.timeout_seconds': String(s.approvals.timeout_seconds),
    'audit.retention_days': String(s.audit.retention_days),
    'notifications.enabled': s.notifications.enabled ? 'on' : 'off',
  };
}

/** The label a key is shown with. */
export function labelOf(key: string): string {
  for (const section of SECTIONS) {
    const field = section.fields.find((f) => f.key === key);
    if (field) return field.label;
  }
  return key;
}

/**
 * The settings a draft gives, or the fields that are not whole numbers (the backend checks
 * ranges and everything else).
 */
export function settingsOf(d: Draft): { settings: Settings | null; problems: CommandError[] } {
  const problems: CommandError[] = [];
  const whole = (key: string): number => {
    const text = d[key].trim();
    if (!/^\d+$/.test(text)) problems.push({ field: key, message: `${labelOf(key)} must be a whole number.` });
    return Number(text);
  };
  const idle = d.idle_minutes.trim();
  const settings: Settings = {
    unlock_minutes: whole('unlock_minutes'),
    idle_minutes: idle === '' ? null : whole('idle_minutes'),
    sofa: { feed: d['sofa.feed'].trim(), refresh_hours: whole('sofa.refresh_hours') },
    deadlines: {
      exploited_days: whole('deadlines.exploited_days'),
      standard_days: whole('deadlines.standard_days'),
      major_days: whole('deadlines.major_days'),
    },
    approvals: { timeout_seconds: whole('approvals.timeout_seconds') },
    audit: { retention_days: whole('audit.retention_days') },
    notifications: { enabled: d['notifications.enabled'] === 'on' },
  };
  return { settings: problems.length ? null : settings, problems };
}

/** Whether saving `draft` over `saved` asks for presence: some field's change weakens a guard. */
export function asksToConfirm(saved: Draft, draft: Draft): boolean {
  const changed = changedKeys(saved, draft);
  return SECTIONS.flatMap((s) => s.fields).some((f) => {
    if (!f.guard || !changed.includes(f.key)) return false;
    if (f.guard === 'longer') return Number(draft[f.key]) > Number(saved[f.key]);
    if (f.guard === 'off') return draft[f.key] === 'off';
    return true;
  });
}

/** The keys whose values differ between two drafts. */
export function changedKeys(saved: Draft, draft: Draft): string[] {
  return Object.keys(draft).filter((k) => draft[k].trim() !== (saved[k] ?? '').trim());
}
