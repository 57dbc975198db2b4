import type Database from 'better-sqlite3';
import { checkKey, checkMetricValues } from './validation.ts';
import type { MetricPoint } from './types.ts';
import { TileBatch, TileCursor } from './series-tiles.ts';

/** Rows per multi-row INSERT in bulk loads (5 bound values each, well under SQLite's limit). */
const BULK_ROWS = 100;
/** Points per savepoint in bulk loads: the unit redone row by row when only some points are new. */
const CHUNK = 8192;

/** Metric points in columns, as bulk loads hold them: point i is `keys[keyOf[i]]` at `steps[i]`, … */
export interface PointColumns {
  readonly keys: readonly string[];
  readonly keyOf: ArrayLike<number>;
  readonly steps: ArrayLike<number>;
  readonly timestamps: ArrayLike<number>;
  readonly values: ArrayLike<number>;
  readonly length: number;
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
}

/**
 * The hot path of the store: appends metric points and keeps each (run, key) summary current in
 * the same transaction, reading and writing each touched summary once per batch.
 */
export class MetricWriter {
  private readonly insertPoint: Database.Statement;
  private readonly selectSeries: Database.Statement;
  private readonly insertSeries: Database.Statement;
  private readonly updateSeries: Database.Statement;
  private readonly db: Database.Database;
  private readonly tiles: TileBatch;

  constructor(db: Database.Database) {
    this.db = db;
    this.tiles = new TileBatch(db);
    this.insertPoint = db.prepare('INSERT OR IGNORE INTO metrics (series, step, timestamp, value, is_nan) VALUES (?, ?, ?, ?, ?)');
    this.selectSeries = db.prepare('SELECT * FROM series WHERE run = ? AND key = ?');
    this.insertSeries = db.prepare('INSERT INTO series (run, key) VALUES (?, ?) RETURNING *');
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
      this.insertColumns(runPk, toColumns(points));
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
      if (this.insertPoint.run(agg.id, p.step, p.timestamp, nan ? 0 : p.value, nan).changes === 0) continue; // exact duplicate
      this.account(agg, p);
    }
    this.finishBatch(aggs);
  }

  /**
   * For bulk loads (imports, large log batches): the same result as `insert`, for points held in
   * columns. Points are written by one reused multi-row statement of BULK_ROWS rows (most of the
   * per-row call overhead gone) in savepoints of CHUNK points; summaries and tiles are computed
   * in memory for the whole call and written once at its end. A chunk of which only some points
   * are new (a re-import of a grown source) is rolled back and redone row by row, so only stored
   * points are counted; a chunk that is entirely old (a re-import of an unchanged source) costs
   * only its lookups. Must be called inside a transaction. Returns the number of points stored.
   */
  insertColumns(runPk: number, cols: PointColumns): number {
    if (cols.length === 0) return 0;
    this.tiles.reset();
    const { keyOf, steps, timestamps, values } = cols;
    const aggs = new Array<Agg | undefined>(cols.keys.length);
    const cursors = new Array<TileCursor | undefined>(cols.keys.length);
    const aggOf = (k: number): Agg => (aggs[k] ??= this.loadAgg(runPk, cols.keys[k]!));
    const ids = new Array<number>(cols.keys.length);
    const full = this.bulkStatement(BULK_ROWS);
    const args = new Array<number>(BULK_ROWS * 5);
    let stored = 0;
    for (let start = 0; start < cols.length; start += CHUNK) {
      const end = Math.min(cols.length, start + CHUNK);
      for (let i = start; i < end; i++) if (ids[keyOf[i]!] === undefined) ids[keyOf[i]!] = aggOf(keyOf[i]!).id;
      this.db.exec('SAVEPOINT metric_bulk');
      let inserted = 0;
      for (let i = start; i < end; i += BULK_ROWS) {
        const n = Math.min(BULK_ROWS, end - i);
        const a = n === BULK_ROWS ? args : new Array<number>(n * 5);
        for (let j = 0, o = 0; j < n; j++, o += 5) {
          const v = values[i + j]!;
          const nan = v !== v;
          a[o] = ids[keyOf[i + j]!]!;
          a[o + 1] = steps[i + j]!;
          a[o + 2] = timestamps[i + j]!;
          a[o + 3] = nan ? 0 : v;
          a[o + 4] = nan ? 1 : 0;
        }
        inserted += (n === BULK_ROWS ? full : this.bulkStatement(n)).run(a).changes;
      }
      if (inserted === end - start || inserted === 0) {
        this.db.exec('RELEASE metric_bulk');
        if (inserted === 0) continue;
        for (let i = start; i < end; i++) this.accountPoint(aggOf(keyOf[i]!), (cursors[keyOf[i]!] ??= this.cursor(aggOf(keyOf[i]!))), steps[i]!, timestamps[i]!, values[i]!);
        stored += inserted;
        continue;
      }
      this.db.exec('ROLLBACK TO metric_bulk');
      this.db.exec('RELEASE metric_bulk');
      for (let i = start; i < end; i++) {
        const v = values[i]!;
        const nan = v !== v ? 1 : 0;
        if (this.insertPoint.run(ids[keyOf[i]!], steps[i], timestamps[i], nan ? 0 : v, nan).changes === 0) continue; // exact duplicate
        this.accountPoint(aggOf(keyOf[i]!), (cursors[keyOf[i]!] ??= this.cursor(aggOf(keyOf[i]!))), steps[i]!, timestamps[i]!, v);
        stored++;
      }
    }
    const touched = new Map<string, Agg>();
    aggs.forEach((a, k) => a && touched.set(cols.keys[k]!, a));
    this.finishBatch(touched);
    return stored;
  }

  /** A series with no points yet has no tiles either: its cursor skips looking them up. */
  private cursor(agg: Agg): TileCursor {
    return new TileCursor(this.tiles, agg.id, agg.count === 0);
  }

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

  private accountPoint(agg: Agg, tiles: TileCursor, step: number, ts: number, value: number): void {
    tiles.add(step, ts, value);
    accountSummary(agg, step, ts, value);
  }

  private finishBatch(aggs: Map<string, Agg>): void {
    this.tiles.write();
    for (const a of aggs.values()) {
      this.updateSeries.run(a.lastValue, a.lastNan, a.lastStep, a.lastTs, a.minValue, a.minStep, a.maxValue, a.maxStep, a.count, a.id);
    }
  }

  history(runPk: number, key: string, q: HistoryQuery): MetricPoint[] {
    const series = this.db.prepare('SELECT id FROM series WHERE run = ? AND key = ?').get(runPk, key) as { id: number } | undefined;
    if (!series) return [];
    const where = ['series = ?'];
    const args: unknown[] = [series.id];
    if (q.minStep !== undefined) where.push('step >= ?'), args.push(q.minStep);
    if (q.maxStep !== undefined) where.push('step <= ?'), args.push(q.maxStep);
    if (q.after) {
      const v = Number.isNaN(q.after.value) ? 0 : q.after.value;
      where.push('(step, timestamp, value, is_nan) > (?, ?, ?, ?)');
      args.push(q.after.step, q.after.timestamp, v, Number.isNaN(q.after.value) ? 1 : 0);
    }
    const limit = q.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(q.limit))}` : '';
    const rows = this.db
      .prepare(`SELECT step, timestamp, value, is_nan FROM metrics WHERE ${where.join(' AND ')} ORDER BY step, timestamp, value, is_nan ${limit}`)
      .raw()
      .all(...args) as Array<[number, number, number, number]>;
    return rows.map(([step, timestamp, value, isNan]) => ({ key, step, timestamp, value: isNan ? NaN : value }));
  }

  private loadAgg(runPk: number, key: string): Agg {
    const s = (this.selectSeries.get(runPk, key) ?? this.insertSeries.get(runPk, key)) as SeriesRow;
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
    };
  }
}

function toColumns(points: MetricPoint[]): PointColumns {
  const index = new Map<string, number>();
  const keys: string[] = [];
  const n = points.length;
  const keyOf = new Uint32Array(n);
  const steps = new Float64Array(n);
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    let k = index.get(p.key);
    if (k === undefined) index.set(p.key, (k = keys.push(p.key) - 1));
    keyOf[i] = k;
    steps[i] = p.step;
    timestamps[i] = p.timestamp;
    values[i] = p.value;
  }
  return { keys, keyOf, steps, timestamps, values, length: n };
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
