import type Database from 'better-sqlite3';
import { decodeBlock, decodeTiles, tileNumbers, TILE_NUMBERS } from './metric-block-codec.ts';
import { comparePoints, type SeriesPoints } from './metric-blocks.ts';
import { TILE_BITS, type Tile } from './series-tiles.ts';

/*
 * Reads of metric points that merge the two places they live: rows of `metrics` (small live
 * batches) and blocks of `metric_blocks` (bulk loads), in the order of the metrics table's key.
 */

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
