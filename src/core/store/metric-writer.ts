import { BUMP_RUN_VERSION } from './run-versions.ts';
import type Database from 'better-sqlite3';
import { checkKey, checkMetricValues } from './validation.ts';
import type { MetricPoint } from './types.ts';
import { levelOneTiles, TileBatch } from './series-tiles.ts';
import { BLOCK_MIN_POINTS, BLOCK_POINTS, FIRST_BLOCK_MIN_POINTS, comparePoints, sortUnique, type SeriesPoints } from './metric-blocks.ts';
import { encodeBlock, encodeTiles } from './metric-block-codec.ts';
import { pointReader, type PointReader } from './point-reader.ts';

export type { SeriesPoints };

/** Rows per multi-row INSERT in bulk loads (5 bound values each, well under SQLite's limit). */
const BULK_ROWS = 100;

/** One metric's points of a bulk load. */
export interface KeyPoints {
  readonly key: string;
  readonly points: SeriesPoints;
}

export interface SeriesRow {
  id: number;
  run: number;
  key: string;
  last_value: number | null;
  last_is_nan: number;
  last_step: number | null;
  last_timestamp: number | null;
  min_value: number | null;
  min_step: number | null;
  max_value: number | null;
  max_step: number | null;
  count: number;
  /** Absent in a store opened read-only before schema 15. */
  has_blocks?: number;
}

export interface HistoryQuery {
  /** Inclusive step range; a chart's zoom window. */
  minStep?: number;
  maxStep?: number;
  limit?: number;
  /** Keyset cursor: the last point of the previous page. */
  after?: { step: number; timestamp: number; value: number };
}

/** Running summary of one series while a batch is applied. */
interface Agg {
  id: number;
  lastValue: number | null;
  lastNan: number;
  lastStep: number | null;
  lastTs: number | null;
  minValue: number | null;
  minStep: number | null;
  maxValue: number | null;
  maxStep: number | null;
  count: number;
  /** Whether the series has points in blocks. */
  blocks: boolean;
}

/**
 * The hot path of the store: appends metric points and keeps each (run, key) summary current in
 * the same transaction, reading and writing each touched summary once per batch.
 */
export class MetricWriter {
  private readonly insertPoint: Database.Statement;
  private readonly selectSeries: Database.Statement;
  private readonly createSeries: Database.Statement;
  private readonly updateSeries: Database.Statement;
  private readonly bumpRun: Database.Statement;
  private readonly db: Database.Database;
  private readonly tiles: TileBatch;
  private readonly reader: PointReader;
  private insertBlock: Database.Statement | undefined;

  constructor(db: Database.Database) {
    this.db = db;
    this.tiles = new TileBatch(db);
    this.reader = pointReader(db);
    this.insertPoint = db.prepare('INSERT OR IGNORE INTO metrics (series, step, timestamp, value, is_nan) VALUES (?, ?, ?, ?, ?)');
    this.selectSeries = db.prepare('SELECT * FROM series WHERE run = ? AND key = ?');
    this.createSeries = db.prepare('INSERT INTO series (run, key) VALUES (?, ?) RETURNING *');
    this.bumpRun = db.prepare(BUMP_RUN_VERSION);
    this.updateSeries = db.prepare(
      `UPDATE series SET last_value = ?, last_is_nan = ?, last_step = ?, last_timestamp = ?, min_value = ?, min_step = ?,
         max_value = ?, max_step = ?, count = ? WHERE id = ?`,
    );
  }

  check(points: MetricPoint[]): void {
    // Key names are checked once per distinct key: a batch has thousands of points, few keys.
    const keys = new Set<string>();
    for (const p of points) {
      if (!keys.has(p.key)) {
        checkKey('Metric', p.key);
        keys.add(p.key);
      }
      checkMetricValues(p);
    }
  }

  /** Runs `fn` in an IMMEDIATE transaction. */
  run(fn: () => void): void {
    this.db.transaction(fn).immediate();
  }

  /** Must be called inside `run`. */
  insert(runPk: number, points: MetricPoint[]): void {
    if (points.length === 0) return;
    if (points.length >= 2 * BULK_ROWS) {
      this.insertSeries(runPk, byKey(points));
      return;
    }
    this.tiles.reset();
    const aggs = new Map<string, Agg>();
    for (const p of points) {
      let agg = aggs.get(p.key);
      if (!agg) {
        agg = this.loadAgg(runPk, p.key);
        aggs.set(p.key, agg);
      }
      const nan = Number.isNaN(p.value) ? 1 : 0;
      if (agg.blocks && (agg.lastStep === null || p.step <= agg.lastStep) && this.inBlocks(agg.id, p.step, p.timestamp, p.value)) continue; // exact duplicate
      if (this.insertPoint.run(agg.id, p.step, p.timestamp, nan ? 0 : p.value, nan).changes === 0) continue; // exact duplicate
      this.account(agg, p);
    }
    this.finishBatch(runPk, aggs);
  }

  /**
   * For bulk loads (imports, large log batches): the same result as `insert`, for points held in
   * columns. Each series' points are sorted (when not in order already) and stripped of exact
   * duplicates, points the series already holds are dropped (a re-import of a grown source adds
   * only the new ones), and the rest are stored as blocks (see metric-blocks.ts) or, when only a
   * few, as rows. Summaries and tiles are computed in memory and written once at the end. Must be
   * called inside a transaction. The points' arrays are sorted in place. Returns the number of
   * points stored.
   */
  insertSeries(runPk: number, series: readonly KeyPoints[]): number {
    this.tiles.reset();
    const touched = new Map<string, Agg>();
    let stored = 0;
    for (const { key, points: pts } of series) {
      if (pts.length === 0) continue;
      const agg = this.loadAgg(runPk, key);
      touched.set(key, agg);
      sortUnique(pts);
      // Points after the greatest stored step cannot be stored yet: a live run's next batch, an
      // import's next chunk. Only a batch reaching back is checked against what is stored.
      if (agg.count > 0 && (agg.lastStep === null || pts.steps[0]! <= agg.lastStep)) dropStored(this.reader, agg.id, pts);
      const n = pts.length;
      if (n === 0) continue;
      if (n >= (agg.count === 0 ? FIRST_BLOCK_MIN_POINTS : BLOCK_MIN_POINTS)) {
        this.writeBlocks(agg.id, pts, agg.count === 0);
        if (!agg.blocks) {
          this.markBlocks ??= this.db.prepare('UPDATE series SET has_blocks = 1 WHERE id = ?');
          this.markBlocks.run(agg.id);
          agg.blocks = true;
        }
      } else {
        this.writeRows(agg.id, pts);
        this.tiles.addSorted(agg.id, pts.steps, pts.timestamps, pts.values, n, agg.count === 0);
      }
      accountSorted(agg, pts);
      stored += n;
    }
    this.finishBatch(runPk, touched);
    return stored;
  }

  /** Writes sorted points as blocks, each with its level-1 tiles; the levels above go to the batch's tiles. */
  private writeBlocks(series: number, p: SeriesPoints, fresh: boolean): void {
    this.insertBlock ??= this.db.prepare('INSERT INTO metric_blocks (series, first_step, last_step, count, data, tiles) VALUES (?, ?, ?, ?, ?, ?)');
    for (let from = 0; from < p.length; from += BLOCK_POINTS) {
      const to = Math.min(p.length, from + BLOCK_POINTS);
      const tiles = levelOneTiles(series, p.steps, p.timestamps, p.values, from, to);
      this.insertBlock.run(series, p.steps[from]!, p.steps[to - 1]!, to - from, encodeBlock(p, from, to), encodeTiles(tiles));
      this.tiles.addUpper(tiles, fresh);
    }
  }

  private writeRows(series: number, p: SeriesPoints): void {
    for (let i = 0; i < p.length; i += BULK_ROWS) {
      const n = Math.min(BULK_ROWS, p.length - i);
      const args = new Array<number>(n * 5);
      for (let j = 0, o = 0; j < n; j++, o += 5) {
        const v = p.values[i + j]!;
        const nan = v !== v;
        args[o] = series;
        args[o + 1] = p.steps[i + j]!;
        args[o + 2] = p.timestamps[i + j]!;
        args[o + 3] = nan ? 0 : v;
        args[o + 4] = nan ? 1 : 0;
      }
      this.bulkStatement(n).run(args);
    }
  }

  /** Whether a point is already stored in one of the series' blocks (rows are checked by their key). */
  private inBlocks(series: number, step: number, ts: number, value: number): boolean {
    return this.reader.read(series, { from: step, to: step }).some((q) => comparePoints(q[0], q[1], q[2], step, ts, value) === 0);
  }

  private markBlocks: Database.Statement | undefined;

  private readonly bulkStatements = new Map<number, Database.Statement>();

  private bulkStatement(rows: number): Database.Statement {
    let st = this.bulkStatements.get(rows);
    if (!st) {
      st = this.db.prepare(`INSERT OR IGNORE INTO metrics (series, step, timestamp, value, is_nan) VALUES ${new Array(rows).fill('(?, ?, ?, ?, ?)').join(', ')}`);
      this.bulkStatements.set(rows, st);
    }
    return st;
  }

  /** Adds a point that was just stored to its series' running summary and tiles. */
  private account(agg: Agg, p: MetricPoint): void {
    this.tiles.add(agg.id, p.step, p.timestamp, p.value);
    accountSummary(agg, p.step, p.timestamp, p.value);
  }

  private finishBatch(runPk: number, aggs: Map<string, Agg>): void {
    this.tiles.write();
    for (const a of aggs.values()) {
      this.updateSeries.run(a.lastValue, a.lastNan, a.lastStep, a.lastTs, a.minValue, a.minStep, a.maxValue, a.maxStep, a.count, a.id);
    }
    // The run's summaries moved: its table row is read again (store/run-versions.ts). Once per
    // batch here rather than a trigger per key: live logging sends a few keys per batch, many batches.
    if (aggs.size > 0) this.bumpRun.run(runPk);
  }

  history(runPk: number, key: string, q: HistoryQuery): MetricPoint[] {
    const series = this.selectSeries.get(runPk, key) as SeriesRow | undefined;
    if (!series) return [];
    const points = this.reader.read(series.id, {
      from: q.minStep ?? -Infinity,
      to: q.maxStep ?? Infinity,
      after: q.after && [q.after.step, q.after.timestamp, q.after.value],
      limit: q.limit !== undefined ? Math.max(0, Math.floor(q.limit)) : undefined,
    });
    return points.map(([step, timestamp, value]) => ({ key, step, timestamp, value }));
  }

  private loadAgg(runPk: number, key: string): Agg {
    const s = (this.selectSeries.get(runPk, key) ?? this.createSeries.get(runPk, key)) as SeriesRow;
    return {
      id: s.id,
      lastValue: s.last_value,
      lastNan: s.last_is_nan,
      lastStep: s.last_step,
      lastTs: s.last_timestamp,
      minValue: s.min_value,
      minStep: s.min_step,
      maxValue: s.max_value,
      maxStep: s.max_step,
      count: s.count,
      blocks: s.has_blocks === 1,
    };
  }
}

/** Drops from sorted, unique points those the series already stores (a re-import of a grown source). */
function dropStored(reader: PointReader, series: number, p: SeriesPoints): void {
  const mask = reader.storedMask(series, p);
  let w = 0;
  for (let i = 0; i < p.length; i++) {
    if (mask[i]) continue;
    if (w !== i) (p.steps[w] = p.steps[i]!), (p.timestamps[w] = p.timestamps[i]!), (p.values[w] = p.values[i]!);
    w++;
  }
  p.length = w;
}

/** A batch's points in columns per key. */
function byKey(points: MetricPoint[]): KeyPoints[] {
  const counts = new Map<string, number>();
  for (const p of points) counts.set(p.key, (counts.get(p.key) ?? 0) + 1);
  const index = new Map<string, SeriesPoints>();
  for (const [key, n] of counts) index.set(key, { steps: new Float64Array(n), timestamps: new Float64Array(n), values: new Float64Array(n), length: 0 });
  for (const p of points) {
    const c = index.get(p.key)!;
    c.steps[c.length] = p.step;
    c.timestamps[c.length] = p.timestamp;
    c.values[c.length++] = p.value;
  }
  return [...index].map(([key, points]) => ({ key, points }));
}

/** `accountSummary` for sorted points: the last one is the greatest, so only extremes need a pass. */
function accountSorted(agg: Agg, p: SeriesPoints): void {
  const { values } = p;
  const n = p.length;
  let min = agg.minValue;
  let max = agg.maxValue;
  let minStep = agg.minStep;
  let maxStep = agg.maxStep;
  for (let i = 0; i < n - 1; i++) {
    const v = values[i]!;
    if (v !== v) continue;
    if (min === null || v < min) (min = v), (minStep = p.steps[i]!);
    if (max === null || v > max) (max = v), (maxStep = p.steps[i]!);
  }
  agg.minValue = min;
  agg.minStep = minStep;
  agg.maxValue = max;
  agg.maxStep = maxStep;
  agg.count += n - 1;
  accountSummary(agg, p.steps[n - 1]!, p.timestamps[n - 1]!, values[n - 1]!);
}

function accountSummary(agg: Agg, step: number, ts: number, value: number): void {
  const nan = value !== value ? 1 : 0;
  const stored = nan ? 0 : value;
  agg.count++;
  // "Last" is the greatest (step, timestamp, value) point, as in MLflow, and so also the last
  // point of the history (which is ordered the same way) whatever order points arrive in.
  if (agg.lastStep === null || isAfter(step, ts, stored, nan, agg.lastStep, agg.lastTs ?? 0, agg.lastNan ? 0 : (agg.lastValue ?? 0), agg.lastNan)) {
    agg.lastValue = nan ? null : value;
    agg.lastNan = nan;
    agg.lastStep = step;
    agg.lastTs = ts;
  }
  if (!nan) {
    if (agg.minValue === null || value < agg.minValue) (agg.minValue = value), (agg.minStep = step);
    if (agg.maxValue === null || value > agg.maxValue) (agg.maxValue = value), (agg.maxStep = step);
  }
}

function isAfter(step: number, ts: number, value: number, nan: number, lStep: number, lTs: number, lValue: number, lNan: number): boolean {
  if (step !== lStep) return step > lStep;
  if (ts !== lTs) return ts > lTs;
  if (value !== lValue) return value > lValue;
  return nan >= lNan;
}
