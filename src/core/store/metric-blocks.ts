/**
 * Metric points in blocks: bulk loads (imports, large log batches) store a series' points as
 * blobs of up to BLOCK_POINTS points instead of one row each, because a row per point costs
 * SQLite more than reading and checking the source file does (a million-point TensorBoard import
 * was 20x slower than its read). Small live batches still go to the `metrics` table, one row per
 * point; readers merge both, in the same order as that table's key.
 *
 * A block holds `count` points sorted by (step, timestamp, value with NaN as 0, is-NaN), with no
 * exact duplicates, as three columns (steps, timestamps, values with NaN kept) in the compact
 * encoding described in metric-block-codec.ts; readers are in point-reader.ts.
 */
export const METRIC_BLOCKS_VERSION = 15;
export const METRIC_BLOCKS_SQL = `
CREATE TABLE metric_blocks (
  id INTEGER PRIMARY KEY,
  series INTEGER NOT NULL,
  first_step INTEGER NOT NULL,
  last_step INTEGER NOT NULL,
  count INTEGER NOT NULL,
  data BLOB NOT NULL,
  -- The level-1 tiles of exactly these points (see encodeTiles); levels 2 and up stay in series_tiles.
  tiles BLOB NOT NULL
);
CREATE INDEX metric_blocks_by_series ON metric_blocks(series, first_step);
-- Set once a series has a block, so a live batch knows without a query whether to look there for duplicates.
ALTER TABLE series ADD COLUMN has_blocks INTEGER NOT NULL DEFAULT 0;
`;

/** Points per block: a range read decodes at most this many points it does not need at each end. */
export const BLOCK_POINTS = 8192;
/**
 * Bulk batches with fewer new points of a series than this go to rows: a series that keeps
 * getting small batches would otherwise become a heap of tiny blocks. A series' first points
 * (an imported run's whole history, usually) make a block from FIRST_BLOCK_MIN_POINTS on.
 */
export const BLOCK_MIN_POINTS = 256;
export const FIRST_BLOCK_MIN_POINTS = 16;

/** Points of one series in columns, sorted and unique once `sortUnique` ran. */
export interface SeriesPoints {
  steps: Float64Array;
  timestamps: Float64Array;
  values: Float64Array;
  length: number;
}

/** The order of the metrics table's key: step, timestamp, value (NaN as 0), then NaN after a 0. */
export function comparePoints(s1: number, t1: number, v1: number, s2: number, t2: number, v2: number): number {
  if (s1 !== s2) return s1 < s2 ? -1 : 1;
  if (t1 !== t2) return t1 < t2 ? -1 : 1;
  const n1 = v1 !== v1;
  const n2 = v2 !== v2;
  const a = n1 ? 0 : v1;
  const b = n2 ? 0 : v2;
  if (a !== b) return a < b ? -1 : 1;
  return n1 === n2 ? 0 : n1 ? 1 : -1;
}

/**
 * Sorts the points in place and drops exact duplicates; returns the new length. Points that
 * arrive in order (the common case: scripts log steps in order) cost one pass and no sort.
 */
export function sortUnique(p: SeriesPoints): number {
  const { steps, timestamps, values } = p;
  const n = p.length;
  let w = n > 0 ? 1 : 0;
  for (let i = 1; i < n; i++) {
    const c = comparePoints(steps[w - 1]!, timestamps[w - 1]!, values[w - 1]!, steps[i]!, timestamps[i]!, values[i]!);
    if (c === 0) continue;
    if (c > 0) {
      // Out of order: close the gap left by dropped duplicates, then sort the rest in.
      steps.copyWithin(w, i, n);
      timestamps.copyWithin(w, i, n);
      values.copyWithin(w, i, n);
      p.length = w + (n - i);
      return sortThenUnique(p);
    }
    if (w !== i) (steps[w] = steps[i]!), (timestamps[w] = timestamps[i]!), (values[w] = values[i]!);
    w++;
  }
  p.length = w;
  return w;
}

function sortThenUnique(p: SeriesPoints): number {
  const { steps, timestamps, values } = p;
  const n = p.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => comparePoints(steps[a]!, timestamps[a]!, values[a]!, steps[b]!, timestamps[b]!, values[b]!) || a - b);
  const s = Float64Array.from(order, (i) => steps[i]!);
  const t = Float64Array.from(order, (i) => timestamps[i]!);
  const v = Float64Array.from(order, (i) => values[i]!);
  let w = 0;
  for (let i = 0; i < n; i++) {
    if (w > 0 && comparePoints(steps[w - 1]!, timestamps[w - 1]!, values[w - 1]!, s[i]!, t[i]!, v[i]!) === 0) continue;
    steps[w] = s[i]!;
    timestamps[w] = t[i]!;
    values[w] = v[i]!;
    w++;
  }
  p.length = w;
  return w;
}
