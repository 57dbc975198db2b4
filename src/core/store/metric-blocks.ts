import type Database from 'better-sqlite3';
import { TILE_BITS, type Tile } from './series-tiles.ts';

/**
 * Metric points in blocks: bulk loads (imports, large log batches) store a series' points as
 * blobs of up to BLOCK_POINTS points instead of one row each, because a row per point costs
 * SQLite more than reading and checking the source file does (a million-point TensorBoard import
 * was 20x slower than its read). Small live batches still go to the `metrics` table, one row per
 * point; readers merge both, in the same order as that table's key.
 *
 * A block holds `count` points sorted by (step, timestamp, value with NaN as 0, is-NaN), with no
 * exact duplicates, as three columns (steps, timestamps, values with NaN kept) in the compact
 * encoding described at `encodeBlock`.
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

/*
 * Block encoding. Metric columns are very regular (steps count up by one, timestamps by a few
 * milliseconds, values were float32 in most frameworks), and every byte of a block is written
 * twice (WAL, then the database), so each column is stored in the smallest exact form:
 *   header (8 bytes): format 1, step encoding, timestamp encoding, value encoding, count (u32)
 *   steps, timestamps: ARITH (first f64, delta f64) | DELTA8/16/32 (first f64, integer deltas) | RAW (f64 each)
 *   values: F32 (when every value is exactly a float32) | RAW
 * Sections start at multiples of 8 bytes, so a decoder copies the blob once and views it.
 */
const FORMAT = 1;
const RAW = 0;
const ARITH = 1;
const DELTA8 = 2;
const DELTA16 = 3;
const DELTA32 = 4;
const F32 = 5;

function integerColumnEncoding(a: Float64Array, from: number, to: number): number {
  const n = to - from;
  if (n < 2) return RAW;
  const first = a[from]!;
  if (!Number.isSafeInteger(first)) return RAW;
  const d0 = a[from + 1]! - first;
  let arith = Number.isSafeInteger(d0);
  let maxAbs = 0;
  for (let i = from + 1; i < to; i++) {
    const d = a[i]! - a[i - 1]!;
    if (!Number.isSafeInteger(a[i]!) || !Number.isSafeInteger(d)) return RAW;
    if (d !== d0) arith = false;
    const abs = d < 0 ? -d : d;
    if (abs > maxAbs) maxAbs = abs;
  }
  // Exact only if first + k * delta stays exact, which safe integers guarantee.
  if (arith) return ARITH;
  if (maxAbs < 0x80) return DELTA8;
  if (maxAbs < 0x8000) return DELTA16;
  if (maxAbs < 0x80000000) return DELTA32;
  return RAW;
}

function sectionBytes(enc: number, n: number): number {
  const pad8 = (b: number) => Math.ceil(b / 8) * 8;
  switch (enc) {
    case ARITH:
      return 16;
    case DELTA8:
      return 8 + pad8(n - 1);
    case DELTA16:
      return 8 + pad8(2 * (n - 1));
    case DELTA32:
      return 8 + pad8(4 * (n - 1));
    case F32:
      return pad8(4 * n);
    default:
      return 8 * n;
  }
}

function writeSection(view: DataView, out: Uint8Array, at: number, enc: number, a: Float64Array, from: number, to: number): void {
  const n = to - from;
  if (enc === RAW) {
    out.set(new Uint8Array(a.buffer, a.byteOffset + from * 8, n * 8), at);
    return;
  }
  if (enc === F32) {
    new Float32Array(out.buffer, out.byteOffset + at, n).set(a.subarray(from, to));
    return;
  }
  view.setFloat64(at, a[from]!, true);
  if (enc === ARITH) {
    view.setFloat64(at + 8, a[from + 1]! - a[from]!, true);
    return;
  }
  const d = enc === DELTA8 ? new Int8Array(out.buffer, out.byteOffset + at + 8, n - 1) : enc === DELTA16 ? new Int16Array(out.buffer, out.byteOffset + at + 8, n - 1) : new Int32Array(out.buffer, out.byteOffset + at + 8, n - 1);
  for (let i = 1; i < n; i++) d[i - 1] = a[from + i]! - a[from + i - 1]!;
}

function readSection(all: Uint8Array, at: number, enc: number, n: number, into: Float64Array): void {
  const view = new DataView(all.buffer, all.byteOffset, all.byteLength);
  if (enc === RAW) {
    into.set(new Float64Array(all.buffer, all.byteOffset + at, n));
    return;
  }
  if (enc === F32) {
    into.set(new Float32Array(all.buffer, all.byteOffset + at, n));
    return;
  }
  let v = view.getFloat64(at, true);
  into[0] = v;
  if (enc === ARITH) {
    const d = view.getFloat64(at + 8, true);
    for (let i = 1; i < n; i++) into[i] = v += d;
    return;
  }
  const d = enc === DELTA8 ? new Int8Array(all.buffer, all.byteOffset + at + 8, n - 1) : enc === DELTA16 ? new Int16Array(all.buffer, all.byteOffset + at + 8, n - 1) : new Int32Array(all.buffer, all.byteOffset + at + 8, n - 1);
  for (let i = 1; i < n; i++) into[i] = v += d[i - 1]!;
}

function allFloat32(a: Float64Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const v = a[i]!;
    if (Math.fround(v) !== v && v === v) return false;
  }
  return true;
}

/** Encodes points [from, to) of sorted columns as one block's blob. */
export function encodeBlock(p: SeriesPoints, from: number, to: number): Buffer {
  const n = to - from;
  const se = integerColumnEncoding(p.steps, from, to);
  const te = integerColumnEncoding(p.timestamps, from, to);
  const ve = allFloat32(p.values, from, to) ? F32 : RAW;
  const sb = sectionBytes(se, n);
  const tb = sectionBytes(te, n);
  const out = Buffer.alloc(8 + sb + tb + sectionBytes(ve, n));
  // Buffer.alloc of a large size is its own 8-byte-aligned allocation; a small one may share a
  // pool at any offset, so write through a fresh aligned array then.
  const aligned = out.byteOffset % 8 === 0 ? out : new Uint8Array(out.length);
  const view = new DataView(aligned.buffer, aligned.byteOffset, aligned.byteLength);
  aligned[0] = FORMAT;
  aligned[1] = se;
  aligned[2] = te;
  aligned[3] = ve;
  view.setUint32(4, n, true);
  writeSection(view, aligned, 8, se, p.steps, from, to);
  writeSection(view, aligned, 8 + sb, te, p.timestamps, from, to);
  writeSection(view, aligned, 8 + sb + tb, ve, p.values, from, to);
  if (aligned !== out) out.set(aligned);
  return out;
}

/** A block's blob as its three columns. */
export function decodeBlock(blob: Uint8Array, count: number): { steps: Float64Array; timestamps: Float64Array; values: Float64Array } {
  // Copied once: a blob from SQLite need not be 8-byte aligned.
  const all = new Uint8Array(blob.byteLength);
  all.set(blob);
  const n = blob.byteLength >= 8 ? new DataView(all.buffer).getUint32(4, true) : -1;
  const [format, se, te, ve] = all;
  if (format !== FORMAT || n !== count) throw new Error(`metric block of ${blob.byteLength} bytes is not a format-${FORMAT} block of ${count} points`);
  const sb = sectionBytes(se!, n);
  const tb = sectionBytes(te!, n);
  if (8 + sb + tb + sectionBytes(ve!, n) !== blob.byteLength) throw new Error(`metric block of ${blob.byteLength} bytes does not hold ${count} points`);
  const cols = new Float64Array(3 * n);
  const out = { steps: cols.subarray(0, n), timestamps: cols.subarray(n, 2 * n), values: cols.subarray(2 * n) };
  readSection(all, 8, se!, n, out.steps);
  readSection(all, 8 + sb, te!, n, out.timestamps);
  readSection(all, 8 + sb + tb, ve!, n, out.values);
  return out;
}

/*
 * A block's level-1 tiles, 14 Float64 numbers each: bucket, count, then the first, last, minimum
 * and maximum point as (step, timestamp, value), NaN where the tile has none (all its points are
 * NaN; a kept value is never NaN). Kept in the block because writing them as rows of
 * series_tiles cost as much as the rest of a bulk load together.
 */
const TILE_NUMBERS = 14;

export function encodeTiles(tiles: readonly Tile[]): Buffer {
  const a = new Float64Array(tiles.length * TILE_NUMBERS);
  let o = 0;
  for (const t of tiles) {
    a[o++] = t.bucket;
    a[o++] = t.count;
    a[o++] = t.firstStep ?? NaN;
    a[o++] = t.firstTs ?? NaN;
    a[o++] = t.firstValue ?? NaN;
    a[o++] = t.lastStep ?? NaN;
    a[o++] = t.lastTs ?? NaN;
    a[o++] = t.lastValue ?? NaN;
    a[o++] = t.minStep ?? NaN;
    a[o++] = t.minTs ?? NaN;
    a[o++] = t.minValue ?? NaN;
    a[o++] = t.maxStep ?? NaN;
    a[o++] = t.maxTs ?? NaN;
    a[o++] = t.maxValue ?? NaN;
  }
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** The tiles of a block with bucket in [from, to], in bucket order. */
function tileNumbers(blob: Uint8Array): Float64Array {
  if (blob.byteLength % (TILE_NUMBERS * 8) !== 0) throw new Error(`metric block tiles of ${blob.byteLength} bytes are damaged`);
  const a = new Float64Array(blob.byteLength / 8);
  new Uint8Array(a.buffer).set(blob);
  return a;
}

export function decodeTiles(blob: Uint8Array, series: number, from: number, to: number): Tile[] {
  const a = tileNumbers(blob);
  const out: Tile[] = [];
  const n = (v: number) => (v === v ? v : null);
  for (let o = 0; o < a.length; o += TILE_NUMBERS) {
    const bucket = a[o]!;
    if (bucket < from) continue;
    if (bucket > to) break;
    out.push({
      series, level: 1, bucket, count: a[o + 1]!,
      firstStep: n(a[o + 2]!), firstTs: n(a[o + 3]!), firstValue: n(a[o + 4]!),
      lastStep: n(a[o + 5]!), lastTs: n(a[o + 6]!), lastValue: n(a[o + 7]!),
      minStep: n(a[o + 8]!), minTs: n(a[o + 9]!), minValue: n(a[o + 10]!),
      maxStep: n(a[o + 11]!), maxTs: n(a[o + 12]!), maxValue: n(a[o + 13]!),
    });
  }
  return out;
}

/** A point of a range read: [step, timestamp, value] with NaN as NaN. */
export type PointTuple = [number, number, number];

export interface RangeQuery {
  from: number;
  to: number;
  /** Only points after this one (a keyset cursor), in the table's order. */
  after?: PointTuple;
  limit?: number;
}

const hasBlocks = new WeakMap<Database.Database, boolean>();

/** Whether the store has the blocks table (a read-only open of an older store has not). */
function blocksTable(db: Database.Database): boolean {
  let has = hasBlocks.get(db);
  if (has === undefined) {
    has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'metric_blocks'").get() !== undefined;
    // Remember only a yes: a store opened before its migration ran gets the table later.
    if (has) hasBlocks.set(db, has);
  }
  return has;
}

const readers = new WeakMap<Database.Database, PointReader>();

/** The connection's point reader (statements prepared once per connection, not per read). */
export function pointReader(db: Database.Database): PointReader {
  let r = readers.get(db);
  if (!r) readers.set(db, (r = new PointReader(db)));
  return r;
}

/**
 * Reads of points that merge rows and blocks. Statements are prepared once per reader; a chart
 * read asks for many ranges of one series.
 */
export class PointReader {
  private readonly db: Database.Database;
  private readonly rowsIn: Database.Statement;
  private readonly rowsAfter: Database.Statement;
  private readonly rowMin: Database.Statement;
  private readonly lastStep: Database.Statement;
  private blockStatements: { inRange: Database.Statement; min: Database.Statement; tiles: Database.Statement } | undefined;

  constructor(db: Database.Database) {
    this.db = db;
    this.rowsIn = db.prepare('SELECT step, timestamp, value, is_nan FROM metrics WHERE series = ? AND step BETWEEN ? AND ? ORDER BY step, timestamp, value, is_nan LIMIT ?').raw();
    this.rowsAfter = db
      .prepare('SELECT step, timestamp, value, is_nan FROM metrics WHERE series = ? AND step BETWEEN ? AND ? AND (step, timestamp, value, is_nan) > (?, ?, ?, ?) ORDER BY step, timestamp, value, is_nan LIMIT ?')
      .raw();
    this.rowMin = db.prepare('SELECT MIN(step) FROM metrics WHERE series = ?').pluck();
    this.lastStep = db.prepare('SELECT last_step FROM series WHERE id = ?').pluck();
  }

  private get blocks(): { inRange: Database.Statement; min: Database.Statement; tiles: Database.Statement } | undefined {
    if (!this.blockStatements && blocksTable(this.db)) {
      this.blockStatements = {
        tiles: this.db.prepare('SELECT tiles FROM metric_blocks WHERE series = ? AND first_step <= ? AND last_step >= ? ORDER BY first_step').pluck(),
        inRange: this.db.prepare('SELECT first_step, count, data FROM metric_blocks WHERE series = ? AND first_step <= ? AND last_step >= ? ORDER BY first_step').raw(),
        min: this.db.prepare('SELECT MIN(first_step) FROM metric_blocks WHERE series = ?').pluck(),
      };
    }
    return this.blockStatements;
  }

  /** First and last step of a series over rows and blocks, or undefined when it has no points. */
  stepRange(series: number): { minStep: number; maxStep: number } | undefined {
    // The greatest step is the series' "last" point (the greatest in the table's order), kept in
    // its summary row; the smallest is the first of rows and blocks, each read from its index.
    const last = this.lastStep.get(series) as number | null | undefined;
    if (last === null || last === undefined) return undefined;
    const fromRows = this.rowMin.get(series) as number | null;
    const fromBlocks = (this.blocks?.min.get(series) as number | null | undefined) ?? null;
    const min = fromRows === null ? fromBlocks : fromBlocks === null ? fromRows : Math.min(fromRows, fromBlocks);
    return { minStep: min ?? last, maxStep: last };
  }

  /**
   * The level-1 tiles kept in the series' blocks with bucket in [from, to], in bucket order; a
   * bucket split between blocks (or also in series_tiles) appears once per part.
   */
  blockTiles(series: number, from: number, to: number): Tile[] {
    const st = this.blocks;
    if (!st) return [];
    const size = 2 ** TILE_BITS;
    const out: Tile[] = [];
    let sorted = true;
    for (const blob of st.tiles.iterate(series, (to + 1) * size - 1, from * size) as IterableIterator<Uint8Array>) {
      for (const t of decodeTiles(blob, series, from, to)) {
        if (sorted && out.length > 0 && out[out.length - 1]!.bucket > t.bucket) sorted = false;
        out.push(t);
      }
    }
    if (!sorted) out.sort((a, b) => a.bucket - b.bucket);
    return out;
  }

  /**
   * Whether each of the sorted points is stored already, as a mask (1 = stored): a re-import
   * checks every point it read, so this works on columns, without a tuple per point.
   */
  storedMask(series: number, p: SeriesPoints): Uint8Array {
    const n = p.length;
    const mask = new Uint8Array(n);
    if (n === 0) return mask;
    const from = p.steps[0]!;
    const to = p.steps[n - 1]!;
    const mark = (steps: ArrayLike<number>, timestamps: ArrayLike<number>, values: ArrayLike<number>, count: number): void => {
      // Both lists are sorted: walk them together, starting at the first point of the stored
      // list's first step in range (binary search: a long series is checked block by block).
      let j = 0;
      while (j < count && steps[j]! < from) j++;
      if (j === count) return;
      let i = 0;
      let hi = n;
      while (i < hi) {
        const mid = (i + hi) >>> 1;
        if (p.steps[mid]! < steps[j]!) i = mid + 1;
        else hi = mid;
      }
      for (; j < count && i < n; j++) {
        const s = steps[j]!;
        if (s > to) break;
        const t = timestamps[j]!;
        const v = values[j]!;
        let c = -1;
        while (i < n && (c = comparePoints(p.steps[i]!, p.timestamps[i]!, p.values[i]!, s, t, v)) < 0) i++;
        if (i < n && c === 0) mask[i] = 1;
      }
    };
    const rows = this.rowsIn.all(series, from, to, -1) as Array<[number, number, number, number]>;
    if (rows.length > 0) {
      const k = rows.length;
      const s = new Float64Array(k);
      const t = new Float64Array(k);
      const v = new Float64Array(k);
      for (let j = 0; j < k; j++) {
        const r = rows[j]!;
        s[j] = r[0];
        t[j] = r[1];
        v[j] = r[3] ? NaN : r[2];
      }
      mark(s, t, v, k);
    }
    const st = this.blocks;
    if (st) {
      for (const [, count, data] of st.inRange.iterate(series, to, from) as IterableIterator<[number, number, Uint8Array]>) {
        const b = decodeBlock(data, count);
        mark(b.steps, b.timestamps, b.values, count);
      }
    }
    return mask;
  }

  /**
   * `blockTiles` in the chart read's row form ([count, first, min, max, last] as step, ts, value;
   * null for none), without an object per tile; undefined when a bucket is split between blocks
   * or the blocks overlap, which the caller then merges through `blockTiles`.
   */
  blockTileRows(series: number, from: number, to: number): Array<Array<number | null>> | undefined {
    const st = this.blocks;
    if (!st) return [];
    const size = 2 ** TILE_BITS;
    const out: Array<Array<number | null>> = [];
    let last = -Infinity;
    const n = (v: number) => (v === v ? v : null);
    for (const blob of st.tiles.iterate(series, (to + 1) * size - 1, from * size) as IterableIterator<Uint8Array>) {
      const a = tileNumbers(blob);
      for (let o = 0; o < a.length; o += TILE_NUMBERS) {
        const bucket = a[o]!;
        if (bucket < from) continue;
        if (bucket > to) break;
        if (bucket <= last) return undefined;
        last = bucket;
        out.push([a[o + 1]!, n(a[o + 2]!), n(a[o + 3]!), n(a[o + 4]!), n(a[o + 8]!), n(a[o + 9]!), n(a[o + 10]!), n(a[o + 11]!), n(a[o + 12]!), n(a[o + 13]!), n(a[o + 5]!), n(a[o + 6]!), n(a[o + 7]!)]);
      }
    }
    return out;
  }

  /** Points of a series with step in [from, to] after `after`, in the table's order, at most `limit`. */
  read(series: number, q: RangeQuery): PointTuple[] {
    const limit = q.limit ?? -1;
    const a = q.after;
    const rawRows = (
      a
        ? this.rowsAfter.all(series, q.from, q.to, a[0], a[1], a[2] !== a[2] ? 0 : a[2], a[2] !== a[2] ? 1 : 0, limit)
        : this.rowsIn.all(series, q.from, q.to, limit)
    ) as Array<[number, number, number, number]>;
    const rows: PointTuple[] = rawRows.map(([s, t, v, nan]) => [s, t, nan ? NaN : v]);
    const fromBlocks = this.blockPoints(series, q, limit);
    if (fromBlocks.length === 0) return rows;
    const merged = rows.length === 0 ? fromBlocks : mergeSorted(rows, fromBlocks);
    return limit >= 0 && merged.length > limit ? merged.slice(0, limit) : merged;
  }

  /**
   * Points of the blocks that overlap the range, sorted. With a limit, blocks are read in order
   * of their first step only until the points already taken are certainly the smallest: a block
   * starting after the greatest step taken cannot hold an earlier point.
   */
  private blockPoints(series: number, q: RangeQuery, limit: number): PointTuple[] {
    const st = this.blocks;
    if (!st) return [];
    const out: PointTuple[] = [];
    let maxTaken = -Infinity;
    let sorted = true;
    const a = q.after;
    for (const [firstStep, count, data] of st.inRange.iterate(series, q.to, q.from) as IterableIterator<[number, number, Uint8Array]>) {
      if (limit >= 0 && out.length >= limit && firstStep > maxTaken) break;
      const b = decodeBlock(data, count);
      for (let i = 0; i < count; i++) {
        const s = b.steps[i]!;
        if (s < q.from) continue;
        if (s > q.to) break;
        const t = b.timestamps[i]!;
        const v = b.values[i]!;
        if (a && comparePoints(s, t, v, a[0], a[1], a[2]) <= 0) continue;
        const prev = out[out.length - 1];
        if (prev && sorted && comparePoints(prev[0], prev[1], prev[2], s, t, v) > 0) sorted = false;
        out.push([s, t, v]);
        if (s > maxTaken) maxTaken = s;
      }
    }
    if (!sorted) out.sort((x, y) => comparePoints(x[0], x[1], x[2], y[0], y[1], y[2]));
    return out;
  }
}

/** Two sorted lists merged in order (a point in both — which the writer prevents — appears twice). */
function mergeSorted(a: PointTuple[], b: PointTuple[]): PointTuple[] {
  const out: PointTuple[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    out[k++] = comparePoints(x[0], x[1], x[2], y[0], y[1], y[2]) <= 0 ? (i++, x) : (j++, y);
  }
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}
