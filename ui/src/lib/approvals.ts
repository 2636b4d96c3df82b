// Small pure helpers for approvals: the choices the card offers and how time left is shown.
import type { ApprovalAssistant } from './backend';

/** How a change may be approved: once, or the same call again for a while (at most 1 h). */
export const APPROVE_CHOICES: { minutes: number | null; label: string; testid: string }[] = [
  { minutes: null, label: 'Approve once', testid: 'approval-approve-once' },
  { minutes: 15, label: 'Approve for 15 min', testid: 'approval-approve-15' },
  { minutes: 60, label: 'Approve for 1 h', testid: 'approval-approve-60' },
];

/** Whole seconds from `now` until `iso`; 0 once it has passed (or when `iso` is unreadable). */
export function secondsUntil(iso: string, now: number): number {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return 0;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** "1:58" under an hour, "1 h 05 min" above; for countdowns that tick every second. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s >= 3600) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return `${h} h ${String(m).padStart(2, '0')} min`;
  }
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The assistant as one line: "claude-code (/usr/bin/claude, team Q6L2SF6YDW)". */
export function assistantLine(a: ApprovalAssistant): string {
  const about = [a.executable, a.team_id && `team ${a.team_id}`].filter(Boolean).join(', ');
  return about ? `${a.name} (${about})` : a.name;
}

/** "jamf:acme.jamfcloud.com" → "Jamf Pro acme.jamfcloud.com"; other domains as they are. */
export function domainLabel(domain: string | null): string {
  if (!domain) return 'Latchkey itself';
  const [kind, authority] = domain.split(/:(.*)/s, 2);
  const names: Record<string, string> = { jamf: 'Jamf Pro', vcenter: 'vCenter', vault: 'Vault', aws: 'AWS Secrets Manager', azure: 'Azure Key Vault' };
  return authority && names[kind] ? `${names[kind]} ${authority}` : domain;
}
