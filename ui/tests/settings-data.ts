// Sample settings as the broker reports them (the defaults, with the feed overridden as in tests).
import type { SettingsView } from '../src/lib/backend';

export function view(over: Partial<SettingsView> = {}): SettingsView {
  return {
    settings: {
      unlock_minutes: 240,
      idle_minutes: null,
      sofa: { feed: 'v2', refresh_hours: 6 },
      deadlines: { exploited_days: 7, standard_days: 30, major_days: 90 },
      approvals: { timeout_seconds: 120 },
      audit: { retention_days: 365 },
      notifications: { enabled: true },
    },
    overrides: [],
    file: '/home/admin/.config/latchkey/settings.json',
    refused: null,
    ...over,
  };
}
