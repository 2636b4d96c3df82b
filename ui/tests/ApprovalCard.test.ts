// The approval card against a mocked Tauri IPC: what a waiting change shows, what each choice
// sends, the countdown to its expiry, and several requests queueing up.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import ApprovalCard from '../src/lib/ApprovalCard.svelte';
import type { ApprovalRequest } from '../src/lib/backend';
import { request } from './approvals-data';

let pending: ApprovalRequest[] = [];
let calls: { cmd: string; args: unknown }[] = [];
/** Set to hold approvals_approve until the test resolves it (the presence check in between). */
let approveGate: Promise<unknown> | null = null;
let approveFails: string | null = null;

function mockApprovals() {
  mockIPC(
    async (cmd, args) => {
      if (cmd !== 'approvals_pending') calls.push({ cmd, args });
      if (cmd === 'approvals_pending') return pending;
      if (cmd === 'approvals_approve') {
        if (approveGate) await approveGate;
        if (approveFails) throw approveFails;
        const { id } = args as { id: string };
        pending = pending.filter((r) => r.id !== id);
        return null;
      }
      if (cmd === 'approvals_deny') {
        const { id } = args as { id: string };
        pending = pending.filter((r) => r.id !== id);
        return null;
      }
      throw new Error(`unexpected command ${cmd}`);
    },
    { shouldMockEvents: true },
  );
}

const card = () => screen.findByTestId('approval-card');

beforeEach(() => {
  pending = [];
  calls = [];
  approveGate = null;
  approveFails = null;
});
afterEach(() => {
  cleanup();
  clearMocks();
});

describe('approval card', () => {
  it('shows nothing while nothing waits, and appears when a request comes', async () => {
    mockApprovals();
    render(ApprovalCard);
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByTestId('approval-card')).toBeNull();

    pending = [request()];
    await emit('approvals-changed', 1);
    expect((await card()).dataset.id).toBe('3f9a1c07');
  });

  it('names the assistant, tool, domain, every target, the change and the time left', async () => {
    pending = [request()];
    mockApprovals();
    render(ApprovalCard);
    const shown = await card();
    expect(shown.getAttribute('role')).toBe('dialog');
    expect(within(shown).getByRole('heading').textContent).toBe('Approve this change?');
    expect(screen.getByTestId('approval-assistant').textContent).toBe('claude-code');
    expect(screen.getByTestId('approval-executable').textContent).toBe('/usr/local/bin/claude');
    expect(screen.getByTestId('approval-team').textContent).toBe('Q6L2SF6YDW');
    expect(screen.getByTestId('approval-tool').textContent).toBe('jamf_plan_os_update');
    expect(screen.getByTestId('approval-domain').textContent).toBe('Jamf Pro acme.jamfcloud.com');
    expect(screen.getByTestId('approval-summary').textContent).toBe(
      'schedule macOS 15.7.9 on 2 Macs with a deadline of 13 Dec 2026; fixes 3 actively exploited CVEs',
    );
    const targets = screen.getAllByTestId('approval-target');
    expect(targets.map((t) => [t.dataset.id, t.textContent])).toEqual([
      ['42', "Ada's MacBook Pro · id 42"],
      ['77', 'Build Mac mini · id 77'],
    ]);
    const countdown = screen.getByTestId('approval-countdown');
    expect(Number(countdown.dataset.seconds)).toBeGreaterThan(115);
    expect(countdown.textContent).toMatch(/Denied automatically in 1:5\d|2:00 if nobody answers\./);
    expect(screen.getByTestId('approval-presence-note').textContent).toBe('Approving asks you to confirm it is you next.');
    expect(screen.queryByTestId('approval-position')).toBeNull();
    expect(['Approve once', 'Approve for 15 min', 'Approve for 1 h', 'Deny']).toEqual(
      within(shown)
        .getAllByRole('button')
        .map((b) => b.textContent),
    );
    // Enter on the focused button must not approve by accident.
    expect(document.activeElement).toBe(screen.getByTestId('approval-deny'));
  });

  it('names the assistant as the allow-list does, with the name its client gave itself beside', async () => {
    pending = [request({ assistant: { name: 'claude', client: 'claude-code', executable: '/usr/local/bin/claude', team_id: null } })];
    mockApprovals();
    render(ApprovalCard);
    await card();
    expect(screen.getByTestId('approval-assistant').textContent).toBe('claude');
    expect(screen.getByTestId('approval-client').textContent).toBe('claude-code');
  });

  it('leaves out the executable and team id when the assistant has none', async () => {
    pending = [request({ assistant: { name: 'e2e-python', executable: null, team_id: null }, domain: null })];
    mockApprovals();
    render(ApprovalCard);
    await card();
    expect(screen.getByTestId('approval-assistant').textContent).toBe('e2e-python');
    expect(screen.queryByTestId('approval-client')).toBeNull();
    expect(screen.queryByTestId('approval-executable')).toBeNull();
    expect(screen.queryByTestId('approval-team')).toBeNull();
    expect(screen.getByTestId('approval-domain').textContent).toBe('Latchkey itself');
  });

  for (const [testid, minutes] of [
    ['approval-approve-once', null],
    ['approval-approve-15', 15],
    ['approval-approve-60', 60],
  ] as const) {
    it(`${testid} approves with rememberMinutes ${minutes}, waiting for the presence check`, async () => {
      pending = [request()];
      let release!: () => void;
      approveGate = new Promise<void>((r) => (release = r));
      mockApprovals();
      render(ApprovalCard);
      await card();
      await fireEvent.click(screen.getByTestId(testid));
      expect(calls).toEqual([{ cmd: 'approvals_approve', args: { id: '3f9a1c07', rememberMinutes: minutes } }]);
      // The presence check follows: the card says so and takes no second answer meanwhile.
      await waitFor(() => expect(screen.getByTestId('approval-card').dataset.state).toBe('approving'));
      expect(screen.getByTestId('approval-waiting').textContent).toBe('Waiting for your confirmation…');
      for (const b of ['approval-approve-once', 'approval-approve-15', 'approval-approve-60', 'approval-deny']) {
        expect((screen.getByTestId(b) as HTMLButtonElement).disabled).toBe(true);
      }
      release();
      await waitFor(() => expect(screen.queryByTestId('approval-card')).toBeNull());
      expect(calls).toHaveLength(1);
    });
  }

  it('denies without a presence check, by button or Escape', async () => {
    pending = [request(), request({ id: 'b0b0b0b0' })];
    mockApprovals();
    render(ApprovalCard);
    await card();
    await fireEvent.click(screen.getByTestId('approval-deny'));
    await waitFor(() => expect(screen.getByTestId('approval-card').dataset.id).toBe('b0b0b0b0'));
    await fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('approval-card')).toBeNull());
    expect(calls).toEqual([
      { cmd: 'approvals_deny', args: { id: '3f9a1c07' } },
      { cmd: 'approvals_deny', args: { id: 'b0b0b0b0' } },
    ]);
  });

  it('keeps the request and says why when approving fails (the confirmation was declined)', async () => {
    pending = [request()];
    approveFails = 'the confirmation was declined';
    mockApprovals();
    render(ApprovalCard);
    await card();
    await fireEvent.click(screen.getByTestId('approval-approve-once'));
    const error = await screen.findByTestId('approval-error');
    expect(error.textContent).toBe('Not approved: the confirmation was declined');
    expect(screen.getByTestId('approval-card').dataset.state).toBe('idle');
    expect((screen.getByTestId('approval-approve-once') as HTMLButtonElement).disabled).toBe(false);
  });

  it('counts down each second and stops the approve buttons when time is up', async () => {
    pending = [request({}, 2_200)];
    mockApprovals();
    render(ApprovalCard);
    await card();
    const countdown = screen.getByTestId('approval-countdown');
    const first = Number(countdown.dataset.seconds);
    expect(first).toBeGreaterThanOrEqual(2);
    expect(first).toBeLessThanOrEqual(3);
    expect(countdown.textContent).toMatch(/in 0:0[23] if/);
    await waitFor(() => expect(Number(countdown.dataset.seconds)).toBe(first - 1), { timeout: 1_500 });
    await waitFor(() => expect(screen.getByTestId('approval-card').dataset.state).toBe('expired'), { timeout: 3_000 });
    expect(screen.getByTestId('approval-countdown').textContent).toContain('Not answered in time: it counts as denied.');
    expect((screen.getByTestId('approval-approve-once') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('approval-deny') as HTMLButtonElement).disabled).toBe(false);
    // The broker drops it: the card goes.
    pending = [];
    await emit('approvals-changed', 2);
    await waitFor(() => expect(screen.queryByTestId('approval-card')).toBeNull());
  });

  it('queues several requests, oldest first, showing "1 of 3", and counts them for the badge', async () => {
    pending = [
      request({ id: 'aaaa0001', summary: 'first change' }),
      request({ id: 'aaaa0002', summary: 'second change', tool: 'jamf_redeploy_framework' }),
      request({ id: 'aaaa0003', summary: 'third change' }),
    ];
    mockApprovals();
    let counted = -1;
    render(ApprovalCard, {
      props: {
        get count() {
          return counted;
        },
        set count(n: number) {
          counted = n;
        },
      },
    });
    await card();
    expect(screen.getByTestId('approval-position').textContent).toBe('1 of 3');
    expect(screen.getByTestId('approval-summary').textContent).toBe('first change');
    await waitFor(() => expect(counted).toBe(3));

    await fireEvent.click(screen.getByTestId('approval-approve-once'));
    await waitFor(() => expect(screen.getByTestId('approval-summary').textContent).toBe('second change'));
    expect(screen.getByTestId('approval-position').textContent).toBe('1 of 2');
    expect(screen.getByTestId('approval-tool').textContent).toBe('jamf_redeploy_framework');

    // Answered elsewhere (the CLI): it goes from the card too.
    pending = [pending[1]];
    await emit('approvals-changed', 3);
    await waitFor(() => expect(screen.getByTestId('approval-summary').textContent).toBe('third change'));
    expect(screen.queryByTestId('approval-position')).toBeNull();
    await waitFor(() => expect(counted).toBe(1));
  });
});
