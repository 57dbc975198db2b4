/** Orders of rows as index arrays: the filtered base order, and that order sorted by a key column. */

export type SortDirection = 'asc' | 'desc';

export function identityOrder(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/**
 * `rows` sorted by `keys[row]`, ascending or descending; rows whose key is NaN (missing) come last in
 * either direction. Stable: ties keep their order in `rows`.
 */
export function sortRows(rows: Uint32Array, keys: Float64Array, dir: SortDirection): Uint32Array {
  const present = new Uint32Array(rows.length);
  const missing = new Uint32Array(rows.length);
  let p = 0;
  let m = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (Number.isNaN(keys[r]!)) missing[m++] = r;
    else present[p++] = r;
  }
  const sorted = present.subarray(0, p);
  // TypedArray sort is stable; the comparator needs no tie-break.
  if (dir === 'asc') sorted.sort((a, b) => keys[a]! - keys[b]! || 0);
  else sorted.sort((a, b) => keys[b]! - keys[a]! || 0);
  const out = new Uint32Array(rows.length);
  out.set(sorted, 0);
  out.set(missing.subarray(0, m), p);
  return out;
}

/** position[row] = index of the row in `order`, -1 when the row is not in it. */
export function positionsOf(order: Uint32Array, rowCount: number): Int32Array {
  const pos = new Int32Array(rowCount).fill(-1);
  for (let i = 0; i < order.length; i++) pos[order[i]!] = i;
  return pos;
}
