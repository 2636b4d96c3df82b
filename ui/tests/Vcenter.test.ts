// The vCenter page against a mocked Tauri IPC: which vCenter it shows (from credentials_overview),
// the VMs read host by host through vcenter_read, filtering, a power action sent through
// vcenter_power and its answer shown, and the datastores' bars.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import Vcenter from '../src/pages/Vcenter.svelte';
import type { CredentialsOverview, VcenterRead, VmSummary } from '../src/lib/backend';
import { VCENTER, overview, withLock } from './credentials-data';

type Call = { cmd: string; args: Record<string, unknown> };
let calls: Call[] = [];

const hosts = [
  { id: 'host-1', name: 'esx-01', connection_state: 'CONNECTED', power_state: 'POWERED_ON' },
  { id: 'host-2', name: 'esx-02', connection_state: 'DISCONNECTED', power_state: 'POWERED_ON' },
];

function vm(n: number, state: string): VmSummary {
  return { id: `vm-${n}`, name: `web-${String(n).padStart(2, '0')}`, power_state: state, cpu_count: 2, memory_mib: 4096 };
}

const byHost: Record<string, VmSummary[]> = {
  'host-1': [vm(1, 'POWERED_ON'), vm(2, 'POWERED_OFF')],
  'host-2': [vm(3, 'POWERED_ON')],
};

function mockVcenter(credentials: () => CredentialsOverview = () => withLock(overview(), [VCENTER], 3600)) {
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: a });
    if (cmd === 'credentials_overview') return credentials();
    if (cmd === 'vcenter_read') {
      const read = a.read as VcenterRead;
      if (read.read === 'hosts') return { domain: read.domain, total: hosts.length, items: hosts };
      if (read.read === 'vms') {
        const all = byHost[read.host ?? ''] ?? [];
        // vsphere_list_vms's answer: the page flattened beside the domain.
        return { domain: read.domain, total: all.length, offset: read.offset, vms: all.slice(read.offset, read.offset + read.limit), listed_by_host: false };
      }
      if (read.read === 'datastores') {
        return {
          domain: read.domain,
          total: 2,
          items: [
            { id: 'datastore-1', name: 'ds-half', type: 'VMFS', capacity_bytes: 1000, free_bytes: 500, used_percent: null },
            { id: 'datastore-2', name: 'ds-full', type: 'NFS', capacity_bytes: 1000, free_bytes: 50, used_percent: null },
          ],
        };
      }
    }
    if (cmd === 'vcenter_power') return { summary: 'stop (power off at once) VM web-01 (vm-1)', outcome: 'done', power_state: 'POWERED_OFF' };
    throw new Error(`unexpected command ${cmd}`);
  }, { shouldMockEvents: true });
}

beforeEach(() => {
  calls = [];
});

afterEach(() => {
  cleanup();
  clearMocks();
});

describe('vCenter page', () => {
  it('asks for an unlock while every vCenter is locked, and reads nothing', async () => {
    mockVcenter(() => withLock(overview(), null, null));
    render(Vcenter);
    expect((await screen.findByTestId('vcenter-locked')).textContent).toMatch(/vCenter vc01\.example\.com is locked/);
    expect(calls.some((c) => c.cmd === 'vcenter_read')).toBe(false);
  });

  it('lists every VM with the host it was read under, and filters them', async () => {
    mockVcenter();
    render(Vcenter);
    await waitFor(() => expect(screen.getAllByTestId('vcenter-vm-row')).toHaveLength(3));
    const reads = calls.filter((c) => c.cmd === 'vcenter_read').map((c) => c.args.read as VcenterRead);
    expect(reads.filter((r) => r.read === 'vms').map((r) => (r.read === 'vms' ? r.host : null))).toEqual(['host-1', 'host-2']);
    expect(reads.every((r) => r.domain === VCENTER)).toBe(true);
    const row = screen.getAllByTestId('vcenter-vm-row').find((r) => r.dataset.id === 'vm-3')!;
    expect(row.textContent).toContain('esx-02');
    expect(row.textContent).toContain('4 GB');

    await fireEvent.input(screen.getByTestId('vcenter-filter'), { target: { value: 'esx-01' } });
    expect(screen.getAllByTestId('vcenter-vm-row').map((r) => r.dataset.id)).toEqual(['vm-1', 'vm-2']);
    expect(screen.getByTestId('vcenter-vms-shown').textContent).toMatch(/^2 of 3 VMs match/);
  });

  it('offers only the actions a state allows, and shows what a power action did', async () => {
    mockVcenter();
    render(Vcenter);
    await waitFor(() => expect(screen.getAllByTestId('vcenter-vm-row')).toHaveLength(3));
    const menus = screen.getAllByTestId('vcenter-vm-power') as HTMLSelectElement[];
    const off = menus.find((m) => m.dataset.id === 'vm-2')!;
    expect([...off.options].map((o) => o.value)).toEqual(['', 'start']);
    const on = menus.find((m) => m.dataset.id === 'vm-1')!;
    expect([...on.options].map((o) => o.value)).toEqual(['', 'shutdown', 'reboot', 'suspend', 'reset', 'stop']);

    await fireEvent.change(on, { target: { value: 'stop' } });
    const result = await screen.findByTestId('vcenter-power-result');
    expect(result.dataset.state).toBe('ok');
    expect(calls.find((c) => c.cmd === 'vcenter_power')?.args).toEqual({ request: { domain: VCENTER, vm: 'vm-1', action: 'stop' } });
    const row = screen.getAllByTestId('vcenter-vm-row').find((r) => r.dataset.id === 'vm-1')!;
    expect(row.dataset.state).toBe('POWERED_OFF');
  });

  it('shows datastores fullest first with their use', async () => {
    mockVcenter();
    render(Vcenter);
    await fireEvent.click(await screen.findByTestId('vcenter-tab-datastores'));
    await waitFor(() => expect(screen.getAllByTestId('vcenter-datastore-bar')).toHaveLength(2));
    expect(screen.getAllByTestId('vcenter-datastore-bar').map((b) => b.dataset.used)).toEqual(['95', '50']);
  });
});
