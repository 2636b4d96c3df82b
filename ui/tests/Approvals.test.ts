// The Approvals page against a mocked Tauri IPC: the changes waiting and the remembered
// approvals (who, which tool, which targets, until when), and what Revoke sends.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import Approvals from '../src/pages/Approvals.svelte';
import type { ApprovalGrant, ApprovalRequest } from '../src/lib/backend';
import { grant, request } from './approvals-data';

let pending: ApprovalRequest[] = [];
let grants: ApprovalGrant[] = [];
let revoked: unknown[] = [];
let revokeFails: string | null = null;

function mockApprovals() {
  mockIPC(
    (cmd, args) => {
      if (cmd === 'approvals_pending') return pending;
      if (cmd === 'approvals_grants') return grants;
      if (cmd === 'approvals_revoke') {
        revoked.push(args);
        if (revokeFails) throw revokeFails;
        const { grant: id } = args as { grant: string };
        grants = grants.filter((g) => g.id !== id);
        return null;
      }
      throw new Error(`unexpected command ${cmd}`);
    },
    { shouldMockEvents: true },
  );
}

beforeEach(() => {
  pending = [];
  grants = [];
  revoked = [];
  revokeFails = null;
});
afterEach(() => {
  cleanup();
  clearMocks();
});

describe('Approvals page', () => {
  it('says when nothing waits and nothing is remembered', async () => {
    mockApprovals();
    render(Approvals);
    expect((await screen.findByTestId('pending-empty')).textContent).toBe('Nothing is waiting for your approval.');
    expect(screen.getByTestId('grants-empty').textContent).toMatch(/every change asks you/);
  });

  it('lists the changes waiting with who asked, the tool, the targets and the time left', async () => {
    pending = [request()];
    mockApprovals();
    render(Approvals);
    const row = await screen.findByTestId('pending-row');
    expect(row.dataset.id).toBe('3f9a1c07');
    expect(within(row).getByTestId('pending-summary').textContent).toMatch(/^schedule macOS 15\.7\.9 on 2 Macs/);
    expect(within(row).getByTestId('pending-assistant').textContent).toBe(
      'claude-code (/usr/local/bin/claude, team Q6L2SF6YDW)',
    );
    expect(within(row).getByTestId('pending-tool').textContent).toBe('jamf_plan_os_update');
    expect(within(row).getByTestId('pending-targets').textContent).toBe("Ada's MacBook Pro (42), Build Mac mini (77)");
    expect(within(row).getByTestId('pending-left').textContent).toMatch(/^[12]:\d\d left to answer$/);
  });

  it('lists remembered approvals, soonest to expire first, with who, tool, targets and time left', async () => {
    grants = [
      grant({ id: 'g-1' }, 4 * 60_000),
      grant(
        {
          id: 'g-2',
          assistant: { name: 'Cursor', executable: '/usr/share/cursor/cursor', team_id: null },
          targets: [
            { name: 'Lab iMac', id: '9' },
            { name: 'Lab iMac 2', id: '10' },
          ],
        },
        59 * 60_000,
      ),
    ];
    mockApprovals();
    render(Approvals);
    await screen.findByTestId('grants-list');
    const rows = screen.getAllByTestId('grant-row');
    expect(rows.map((r) => r.dataset.id)).toEqual(['g-1', 'g-2']);
    expect(within(rows[0]).getByTestId('grant-assistant').textContent).toBe('claude-code (/usr/local/bin/claude)');
    expect(within(rows[0]).getByTestId('grant-tool').textContent).toBe('jamf_plan_os_update');
    expect(within(rows[0]).getByTestId('grant-targets').textContent?.trim()).toBe("Ada's MacBook Pro (42)");
    expect(within(rows[0]).getByTestId('grant-left').textContent?.trim()).toMatch(/^[34]:\d\d left$/);
    expect(within(rows[1]).getByTestId('grant-assistant').textContent).toBe('Cursor (/usr/share/cursor/cursor)');
    expect(within(rows[1]).getByTestId('grant-targets').textContent?.trim()).toBe('Lab iMac (9), Lab iMac 2 (10)');
    expect(within(rows[1]).getByTestId('grant-left').textContent?.trim()).toMatch(/^(58|59):\d\d left$/);
  });

  it('revokes a grant with the right id and says so', async () => {
    grants = [grant({ id: 'g-1' }), grant({ id: 'g-2' })];
    mockApprovals();
    render(Approvals);
    await screen.findByTestId('grants-list');
    await fireEvent.click(screen.getAllByTestId('grant-revoke')[1]);
    expect(revoked).toEqual([{ grant: 'g-2' }]);
    await waitFor(() => expect(screen.getAllByTestId('grant-row').map((r) => r.dataset.id)).toEqual(['g-1']));
    expect(screen.getByTestId('approvals-notice').textContent).toBe(
      'Revoked: claude-code asks again before jamf_plan_os_update runs.',
    );
  });

  it('says why a revoke failed, keeping the grant', async () => {
    grants = [grant({ id: 'g-1' })];
    revokeFails = 'no grant g-1 (expired, revoked, or never made)';
    mockApprovals();
    render(Approvals);
    await screen.findByTestId('grants-list');
    await fireEvent.click(screen.getByTestId('grant-revoke'));
    const error = await screen.findByTestId('approvals-error');
    expect(error.textContent).toContain('Could not revoke: no grant g-1 (expired, revoked, or never made)');
    expect(screen.getAllByTestId('grant-row')).toHaveLength(1);
  });

  it('follows approvals-changed: a new request and a new grant show up', async () => {
    mockApprovals();
    render(Approvals);
    await screen.findByTestId('pending-empty');
    pending = [request()];
    grants = [grant()];
    await emit('approvals-changed', 1);
    expect((await screen.findByTestId('pending-row')).dataset.id).toBe('3f9a1c07');
    expect((await screen.findByTestId('grant-row')).dataset.id).toBe('g-8c21d0aa');
  });

  it('drops a grant once it expires', async () => {
    grants = [grant({ id: 'g-short' }, 1_500)];
    mockApprovals();
    render(Approvals);
    await screen.findByTestId('grant-row');
    await waitFor(() => expect(screen.queryByTestId('grant-row')).toBeNull(), { timeout: 3_000 });
    expect(screen.getByTestId('grants-empty')).not.toBeNull();
  });
});
