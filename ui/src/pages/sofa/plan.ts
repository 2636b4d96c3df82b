// Small pure helpers for "Plan update…": the optional fields' checks (the broker checks again,
// against the SOFA feed) and how a preview's Macs and deadlines are shown.
import type { PlanAction } from '../../lib/backend';

/** Why a typed version cannot be a macOS release, or null when it may be one (or is empty). */
export function versionProblem(version: string): string | null {
  const v = version.trim();
  if (v === '') return null;
  if (!/^\d{2,}\.\d+(\.\d+)?$/.test(v)) return `“${v}” is not a macOS version: name a release such as 15.7.9.`;
  return null;
}

/** Why a deadline ("2026-12-13") cannot be used on `today` ("2026-12-01"), or null. */
export function deadlineProblem(deadline: string, today: string): string | null {
  const d = deadline.trim();
  if (d === '') return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(Date.parse(d))) return `“${d}” is not a date.`;
  if (d <= today) return 'The deadline must be after today: a past deadline would force the update at once.';
  return null;
}

/** Today as "YYYY-MM-DD" in local time. */
export function localDate(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

const ACTIONS: Record<PlanAction, string> = {
  update: 'updates',
  already_on_target: 'skipped: already on its target',
  newer_than_target: 'skipped: newer than the target',
  other_major: 'skipped: on another major',
  not_in_feed: 'skipped: its major is not in the SOFA feed',
  unreadable_version: 'skipped: no readable macOS version',
};

export function actionLabel(action: PlanAction | string): string {
  return ACTIONS[action as PlanAction] ?? action.replace(/_/g, ' ');
}

/** "2026-12-13T17:00:00" → "13 Dec 2026, 17:00" (each Mac's local time). */
export function formatDeadline(local: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!m) return local;
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${Number(m[3])} ${months[Number(m[2]) - 1]} ${m[1]}, ${m[4]}:${m[5]}`;
}
