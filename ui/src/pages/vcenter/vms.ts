// Small pure helpers for the vCenter page: the VM table's rows, filtering, sorting and paging,
// which power actions a VM's state allows, and how sizes read.
import type { HostSummary, PowerAction, PowerState, VmSummary } from '../../lib/backend';
import { type Column, type Sort, nextSortOf, sortRows } from '../../lib/sorting';

/** VMs per page of the table: an inventory of 10,000 is never rendered at once. */
export const VM_PAGE_SIZE = 50;
/** VMs per read while the page loads an inventory (the broker's largest page). */
export const VM_READ_SIZE = 1000;

/** A VM as the table shows it: the list's summary and the host it was listed under. */
export interface VmRow extends VmSummary {
  host_id: string | null;
  host_name: string | null;
}

export type VmSortKey = 'name' | 'power_state' | 'host_name' | 'cpu_count' | 'memory_mib';
export type VmSort = Sort<VmSortKey>;

export const VM_COLUMNS: Column<VmSortKey>[] = [
  { key: 'name', label: 'Name', first: 'asc' },
  { key: 'power_state', label: 'State', first: 'asc' },
  { key: 'host_name', label: 'Host', first: 'asc' },
  { key: 'cpu_count', label: 'CPUs', first: 'desc', numeric: true },
  { key: 'memory_mib', label: 'Memory', first: 'desc', numeric: true },
];

export const DEFAULT_VM_SORT: VmSort = { key: 'name', dir: 'asc' };

export function nextVmSort(current: VmSort, key: VmSortKey): VmSort {
  return nextSortOf(current, key, VM_COLUMNS);
}

export function sortVms(rows: readonly VmRow[], sort: VmSort): readonly VmRow[] {
  return sortRows(rows, sort, (vm, key) => vm[key] ?? null);
}

/** The rows of one host's VMs. */
export function rowsOf(vms: readonly VmSummary[], host: HostSummary | null): VmRow[] {
  return vms.map((vm) => ({ ...vm, host_id: host?.id ?? null, host_name: host?.name ?? null }));
}

/** VMs whose name, id or host contains `query` (any case), in `state` when one is picked. */
export function filterVms(rows: readonly VmRow[], query: string, state: PowerState | ''): readonly VmRow[] {
  const q = query.trim().toLowerCase();
  if (!q && !state) return rows;
  return rows.filter(
    (vm) =>
      (!state || vm.power_state === state) &&
      (!q || [vm.name, vm.id, vm.host_name].some((v) => v?.toLowerCase().includes(q))),
  );
}

const POWER_LABELS: Record<string, string> = {
  POWERED_ON: 'On',
  POWERED_OFF: 'Off',
  SUSPENDED: 'Suspended',
};

/** "On", "Off", "Suspended", or what vCenter said. */
export function powerLabel(state: string | null): string {
  if (!state) return 'unknown';
  return POWER_LABELS[state] ?? state;
}

/** Every power action, in menu order, with what it does. */
export const POWER_ACTIONS: { action: PowerAction; label: string; help: string }[] = [
  { action: 'start', label: 'Start', help: 'Power on (or resume)' },
  { action: 'shutdown', label: 'Shut down guest', help: 'Ask the guest OS to shut down (needs VMware Tools)' },
  { action: 'reboot', label: 'Restart guest', help: 'Ask the guest OS to restart (needs VMware Tools)' },
  { action: 'suspend', label: 'Suspend', help: 'Suspend to disk' },
  { action: 'reset', label: 'Reset', help: 'Hard reset, like pressing the reset button' },
  { action: 'stop', label: 'Power off', help: 'Power off at once, like pulling the plug' },
];

/** The actions that make sense in `state`: starting a running VM or stopping a stopped one does nothing. */
export function actionsFor(state: string | null): PowerAction[] {
  switch (state) {
    case 'POWERED_ON':
      return ['shutdown', 'reboot', 'suspend', 'reset', 'stop'];
    case 'POWERED_OFF':
      return ['start'];
    case 'SUSPENDED':
      return ['start', 'stop'];
    default:
      return POWER_ACTIONS.map((a) => a.action);
  }
}

/** "4 GB", "512 MB". */
export function formatMemory(mib: number | null): string {
  if (mib === null) return '—';
  return mib >= 1024 ? `${+(mib / 1024).toFixed(1)} GB` : `${mib} MB`;
}

/** "1.2 TB", "800 GB" (powers of 1024, as vSphere shows them). */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let n = bytes;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${+n.toFixed(n < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`;
}

/** A datastore's use in percent, from what vCenter reported (null when it did not say). */
export function usedPercent(capacity: number | null, free: number | null): number | null {
  if (capacity === null || free === null || capacity <= 0) return null;
  return Math.min(100, Math.max(0, ((capacity - free) / capacity) * 100));
}
