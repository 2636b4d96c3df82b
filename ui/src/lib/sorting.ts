// Sorting and paging for the app's client-side tables (the Fleet tab's Macs, the vCenter page's
// VMs): a click on a header sorts by it, a second click turns the direction, missing values sort
// last whichever the direction, and ties keep the order delivered.

export type SortDir = 'asc' | 'desc';

export interface Sort<K extends string> {
  key: K;
  dir: SortDir;
}

/** A sortable column: its key, header, and the direction it sorts in first. */
export interface Column<K extends string> {
  key: K;
  label: string;
  first: SortDir;
  numeric?: boolean;
  title?: string;
}

/** The sort after clicking `key`'s header: the other direction for the same column, else its first. */
export function nextSortOf<K extends string>(current: Sort<K>, key: K, columns: readonly Column<K>[]): Sort<K> {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: columns.find((c) => c.key === key)?.first ?? 'asc' };
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** `rows` in `sort` order, by `value` (null: missing, sorted last). Stable. */
export function sortRows<T, K extends string>(
  rows: readonly T[],
  sort: Sort<K>,
  value: (row: T, key: K) => string | number | null,
): readonly T[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  const keyed = rows.map((row, i) => ({ row, i, v: value(row, sort.key) }));
  keyed.sort((a, b) => {
    if (a.v === null || b.v === null) return a.v === b.v ? a.i - b.i : a.v === null ? 1 : -1;
    const d = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : collator.compare(String(a.v), String(b.v));
    return d !== 0 ? sign * d : a.i - b.i;
  });
  return keyed.map((k) => k.row);
}

/** How many pages `count` rows make (at least one, so an empty table still has page 1). */
export function pageCount(count: number, size: number): number {
  return Math.max(1, Math.ceil(count / size));
}
