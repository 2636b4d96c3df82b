// "Plan update…" on the Fleet tab against a mocked Tauri IPC: Macs picked in the table, the preview
// the broker works out (per Mac current → target, the deadline and why), the optional version and
// deadline checked as typed, and Confirm sending the plan (the presence check is the Rust side's).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import Sofa from '../src/pages/Sofa.svelte';
import type { PlanPreview, PlanRequest } from '../src/lib/backend';
import { JAMF, overview as credentials } from './credentials-data';
import { fleetReport } from './fleet-data';
import { overview } from './sofa-data';
import { deadlineProblem, formatDeadline, versionProblem } from '../src/pages/sofa/plan';

type PlanArgs = { domain: string; plan: PlanRequest };
let previews: PlanArgs[] = [];
let runs: PlanArgs[] = [];
let previewFails: string | null = null;
let runFails: string | null = null;

function preview(asked: PlanRequest): PlanPreview {
  const version = asked.version ?? '15.7.9';
  return {
    summary: `schedule macOS ${version} on 1 Mac with a deadline of 13 Dec 2026; fixes 3 actively exploited CVEs`,
    plans: [
      {
        target_version: version,
        computers: 1,
        deadline: '2026-12-13T17:00:00',
        deadline_reason: asked.deadline
          ? 'the date asked for, because the releases missed fix 3 actively exploited CVEs'
          : '7 days after 15.7 (2026-12-06), the earliest release missed, because the releases missed fix 3 actively exploited CVEs',
        cves_fixed: 219,
        actively_exploited_cve_ids: ['CVE-2026-0001', 'CVE-2026-0002', 'CVE-2026-0003'],
        plan: { target: { computers: ['101'] }, version: { specific: version }, deadline: '2026-12-13T17:00:00' },
      },
    ],
    computers: [
      {
        id: '101',
        serial: 'C02ZK1AAMD6R',
        name: "Ada's MacBook Pro",
        current_version: '15.6',
        target_version: version,
        action: 'update',
        missed_releases: 7,
        actively_exploited_cve_ids: ['CVE-2026-0001', 'CVE-2026-0002', 'CVE-2026-0003'],
      },
      {
        id: '103',
        serial: 'C02AB3CDEF12',
        name: "Grace's iMac",
        current_version: '26.4',
        target_version: null,
        action: 'other_major',
        missed_releases: 0,
        actively_exploited_cve_ids: [],
      },
    ],
    skipped: 1,
  };
}

function mockPlan() {
  mockIPC(
    (cmd, args) => {
      if (cmd === 'sofa_overview') return overview();
      if (cmd === 'credentials_overview') return credentials();
      if (cmd === 'jamf_fleet_report') return fleetReport();
      if (cmd === 'jamf_plan_preview') {
        previews.push(args as unknown as PlanArgs);
        if (previewFails) throw previewFails;
        return preview((args as unknown as PlanArgs).plan);
      }
      if (cmd === 'jamf_plan_os_update') {
        runs.push(args as unknown as PlanArgs);
        if (runFails) throw runFails;
        return {
          summary: 'schedule macOS 15.7.9 on 1 Mac with a deadline of 13 Dec 2026',
          created: [{ plans: [{ plan_id: '5a1e0c1e-0000-4000-8000-000000000101', device_id: '101' }] }],
        };
      }
      throw new Error(`unexpected command ${cmd}`);
    },
    { shouldMockEvents: true },
  );
}

async function pickAndPlan(ids: string[]) {
  render(Sofa);
  await fireEvent.click(await screen.findByTestId('fleet-tab'));
  await screen.findByTestId('fleet-total');
  const plan = screen.getByTestId('fleet-plan') as HTMLButtonElement;
  expect(plan.disabled).toBe(true);
  for (const id of ids) {
    await fireEvent.click(screen.getAllByTestId('fleet-select').find((c) => c.dataset.id === id)!);
  }
  expect(screen.getByTestId('fleet-picked').textContent).toBe(`(${ids.length})`);
  await fireEvent.click(plan);
  return screen.findByTestId('plan-dialog');
}

beforeEach(() => {
  previews = [];
  runs = [];
  previewFails = null;
  runFails = null;
});
afterEach(() => {
  cleanup();
  clearMocks();
});

describe('Plan update…', () => {
  it('previews the picked Macs: each current → target, the deadline and why, the summary', async () => {
    mockPlan();
    const dialog = await pickAndPlan(['101', '103']);
    await within(dialog).findByTestId('plan-summary');
    expect(previews).toEqual([{ domain: JAMF, plan: { computer_ids: ['101', '103'], version: null, deadline: null } }]);
    expect(screen.getByTestId('plan-summary').textContent).toMatch(/^schedule macOS 15\.7\.9 on 1 Mac/);
    const target = screen.getByTestId('plan-target');
    expect(target.dataset.version).toBe('15.7.9');
    expect(screen.getByTestId('plan-deadline-text').textContent).toBe('13 Dec 2026, 17:00');
    expect(screen.getByTestId('plan-deadline-reason').textContent).toMatch(/^Why this deadline: 7 days after 15\.7/);
    const rows = screen.getAllByTestId('plan-mac');
    expect(rows.map((r) => [r.dataset.id, r.dataset.action])).toEqual([
      ['101', 'update'],
      ['103', 'other_major'],
    ]);
    expect(rows[0].textContent).toContain('15.6 → 15.7.9');
    expect(rows[0].textContent).toContain('fixes 3 actively exploited CVEs');
    expect(rows[1].textContent).toContain('skipped: on another major');
    expect(runs).toEqual([]);
  });

  it('checks the version and deadline as typed, saying why, and previews again with them', async () => {
    mockPlan();
    await pickAndPlan(['101']);
    await screen.findByTestId('plan-summary');
    const confirm = screen.getByTestId('plan-confirm') as HTMLButtonElement;

    await fireEvent.input(screen.getByTestId('plan-version'), { target: { value: 'fifteen' } });
    expect((await screen.findByTestId('plan-version-error')).textContent).toBe(
      '“fifteen” is not a macOS version: name a release such as 15.7.9.',
    );
    expect(screen.getByTestId('plan-version').getAttribute('aria-invalid')).toBe('true');
    expect(confirm.disabled).toBe(true);

    await fireEvent.input(screen.getByTestId('plan-version'), { target: { value: '15.7.8' } });
    await fireEvent.input(screen.getByTestId('plan-deadline'), { target: { value: '2001-01-01' } });
    expect((await screen.findByTestId('plan-deadline-error')).textContent).toMatch(/must be after today/);
    expect(confirm.disabled).toBe(true);

    await fireEvent.input(screen.getByTestId('plan-deadline'), { target: { value: '2099-12-13' } });
    await waitFor(() =>
      expect(previews.at(-1)).toEqual({ domain: JAMF, plan: { computer_ids: ['101'], version: '15.7.8', deadline: '2099-12-13' } }),
    );
    await waitFor(() => expect(screen.getByTestId('plan-target').dataset.version).toBe('15.7.8'));
    expect(screen.getByTestId('plan-deadline-reason').textContent).toContain('the date asked for');
    expect(screen.queryByTestId('plan-version-error')).toBeNull();
    expect(screen.queryByTestId('plan-deadline-error')).toBeNull();
    await waitFor(() => expect(confirm.disabled).toBe(false));
  });

  it("shows the broker's reason when it cannot plan (a version not in the feed)", async () => {
    mockPlan();
    await pickAndPlan(['101']);
    await screen.findByTestId('plan-summary');
    previewFails = 'macOS 15.7.99 is not a release in the SOFA feed; the nearest are 15.7.9';
    await fireEvent.input(screen.getByTestId('plan-version'), { target: { value: '15.7.99' } });
    expect((await screen.findByTestId('plan-preview-error')).textContent).toBe(
      'Cannot plan this: macOS 15.7.99 is not a release in the SOFA feed; the nearest are 15.7.9',
    );
    expect(screen.queryByTestId('plan-summary')).toBeNull();
    expect((screen.getByTestId('plan-confirm') as HTMLButtonElement).disabled).toBe(true);
  });

  it('confirms with the same Macs, version and deadline, then shows what Jamf Pro created', async () => {
    mockPlan();
    await pickAndPlan(['101']);
    await screen.findByTestId('plan-summary');
    expect(screen.getByTestId('plan-presence-note').textContent).toBe('Confirming asks you to confirm it is you.');
    await fireEvent.input(screen.getByTestId('plan-deadline'), { target: { value: '2099-12-13' } });
    await waitFor(() => expect(previews.at(-1)?.plan.deadline).toBe('2099-12-13'));
    await waitFor(() => expect((screen.getByTestId('plan-confirm') as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId('plan-confirm'));
    expect(runs).toEqual([{ domain: JAMF, plan: { computer_ids: ['101'], version: null, deadline: '2099-12-13' } }]);
    const result = await screen.findByTestId('plan-result');
    expect(result.textContent).toContain('Sent to Jamf Pro: schedule macOS 15.7.9 on 1 Mac with a deadline of 13 Dec 2026. 1 plan created.');
    expect(screen.getByText('5a1e0c1e-0000-4000-8000-000000000101')).not.toBeNull();
    await fireEvent.click(screen.getByTestId('plan-done'));
    await waitFor(() => expect(screen.queryByTestId('plan-dialog')).toBeNull());
  });

  it('says why nothing was sent (the confirmation was declined) and lets the person try again', async () => {
    mockPlan();
    runFails = 'denied by the person in Latchkey: nothing was changed';
    await pickAndPlan(['101']);
    await screen.findByTestId('plan-summary');
    await waitFor(() => expect((screen.getByTestId('plan-confirm') as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId('plan-confirm'));
    expect((await screen.findByTestId('plan-error')).textContent).toBe(
      'Not sent: denied by the person in Latchkey: nothing was changed',
    );
    expect((screen.getByTestId('plan-confirm') as HTMLButtonElement).disabled).toBe(false);
    expect(screen.queryByTestId('plan-result')).toBeNull();
  });

  it('picks every Mac on the page with the header checkbox, and Cancel closes without sending', async () => {
    mockPlan();
    render(Sofa);
    await fireEvent.click(await screen.findByTestId('fleet-tab'));
    await screen.findByTestId('fleet-total');
    await fireEvent.click(screen.getByTestId('fleet-select-page'));
    const all = screen.getAllByTestId('fleet-row').map((r) => r.dataset.id);
    expect(screen.getByTestId('fleet-picked').textContent).toBe(`(${all.length})`);
    await fireEvent.click(screen.getByTestId('fleet-plan'));
    await screen.findByTestId('plan-summary');
    expect([...previews[0].plan.computer_ids].sort()).toEqual([...all].sort());
    await fireEvent.click(screen.getByTestId('plan-cancel'));
    await waitFor(() => expect(screen.queryByTestId('plan-dialog')).toBeNull());
    expect(runs).toEqual([]);
  });
});

describe('plan helpers', () => {
  it('checks versions and deadlines', () => {
    expect(versionProblem('')).toBeNull();
    expect(versionProblem(' 15.7.9 ')).toBeNull();
    expect(versionProblem('26.1')).toBeNull();
    expect(versionProblem('15')).toMatch(/not a macOS version/);
    expect(deadlineProblem('', '2026-12-01')).toBeNull();
    expect(deadlineProblem('2026-12-02', '2026-12-01')).toBeNull();
    expect(deadlineProblem('2026-12-01', '2026-12-01')).toMatch(/after today/);
    expect(deadlineProblem('soon', '2026-12-01')).toBe('“soon” is not a date.');
    expect(formatDeadline('2026-01-05T09:30:00')).toBe('5 Jan 2026, 09:30');
  });
});
