import type Database from 'better-sqlite3';
import { checkKey, checkMetricValues } from './validation.ts';
import type { MetricPoint } from './types.ts';
import { TileBatch } from './series-tiles.ts';

/** Rows per multi-row INSERT in bulk loads (5 bound values each, well under SQLite's limit). */
const BULK_ROWS = 100;

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
  private readonly seriesIds = new Map<string, number>();
  private pendingSeries: Array<[string, number]> = [];
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
    this.selectSeries = db.prepare('SELECT * FROM series WHERE id = ?');
    this.insertSeries = db.prepare('INSERT INTO series (run, key) VALUES (?, ?) ON CONFLICT (run, key) DO UPDATE SET key = key RETURNING id');
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

  /** Runs `fn` in an IMMEDIATE transaction; series ids made inside are cached only after commit. */
  run(fn: () => void): void {
    this.pendingSeries = [];
    this.db.transaction(fn).immediate();
    for (const [k, id] of this.pendingSeries) this.seriesIds.set(k, id);
    this.pendingSeries = [];
  }

  /** Must be called inside `run`. */
  insert(runPk: number, points: MetricPoint[]): void {
    if (points.length === 0) return;
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
   * For bulk loads (imports): the same result as `insert`, with points written by multi-row
   * statements of BULK_ROWS rows, which saves most of the per-row call overhead. A chunk that
   * holds an exact duplicate is rolled back to its savepoint and redone row by row. Must be
   * called inside a transaction.
   */
  insertBulk(runPk: number, points: MetricPoint[]): void {
    const CHUNK = 4096;
    for (let start = 0; start < points.length; start += CHUNK) {
      const chunk = points.slice(start, start + CHUNK);
      this.tiles.reset();
      const aggs = new Map<string, Agg>();
      const ids = new Array<number>(chunk.length);
      for (let i = 0; i < chunk.length; i++) {
        const key = chunk[i]!.key;
        let agg = aggs.get(key);
        if (!agg) aggs.set(key, (agg = this.loadAgg(runPk, key)));
        ids[i] = agg.id;
      }
      this.db.exec('SAVEPOINT metric_bulk');
      let inserted = 0;
      for (let i = 0; i < chunk.length; i += BULK_ROWS) {
        const n = Math.min(BULK_ROWS, chunk.length - i);
        const args = new Array<number>(n * 5);
        for (let j = 0; j < n; j++) {
          const p = chunk[i + j]!;
          const nan = Number.isNaN(p.value);
          args[j * 5] = ids[i + j]!;
          args[j * 5 + 1] = p.step;
          args[j * 5 + 2] = p.timestamp;
          args[j * 5 + 3] = nan ? 0 : p.value;
          args[j * 5 + 4] = nan ? 1 : 0;
        }
        inserted += this.bulkStatement(n).run(args).changes;
      }
      if (inserted !== chunk.length) {
        this.db.exec('ROLLBACK TO metric_bulk');
        this.db.exec('RELEASE metric_bulk');
        this.insert(runPk, chunk);
        continue;
      }
      this.db.exec('RELEASE metric_bulk');
      for (const p of chunk) this.account(aggs.get(p.key)!, p);
      this.finishBatch(aggs);
    }
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
    const nan = Number.isNaN(p.value) ? 1 : 0;
    const stored = nan ? 0 : p.value;
    this.tiles.add(agg.id, p.step, p.timestamp, p.value);
    agg.count++;
    // "Last" is the greatest (step, timestamp, value) point, as in MLflow, and so also the last
    // point of the history (which is ordered the same way) whatever order points arrive in.
    if (agg.lastStep === null || isAfter(p.step, p.timestamp, stored, nan, agg.lastStep, agg.lastTs ?? 0, agg.lastNan ? 0 : (agg.lastValue ?? 0), agg.lastNan)) {
      agg.lastValue = nan ? null : p.value;
      agg.lastNan = nan;
      agg.lastStep = p.step;
      agg.lastTs = p.timestamp;
    }
    if (!nan) {
      if (agg.minValue === null || p.value < agg.minValue) (agg.minValue = p.value), (agg.minStep = p.step);
      if (agg.maxValue === null || p.value > agg.maxValue) (agg.maxValue = p.value), (agg.maxStep = p.step);
    }
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
    const cacheKey = `${runPk}\u0000${key}`;
    let id = this.seriesIds.get(cacheKey);
    if (id === undefined) {
      id = (this.insertSeries.get(runPk, key) as { id: number }).id;
      this.pendingSeries.push([cacheKey, id]);
    }
    const s = this.selectSeries.get(id) as SeriesRow;
    return {
      id,
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

function isAfter(step: number, ts: number, value: number, nan: number, lStep: number, lTs: number, lValue: number, lNan: number): boolean {
  if (step !== lStep) return step > lStep;
  if (ts !== lTs) return ts > lTs;
  if (value !== lValue) return value > lValue;
  return nan >= lNan;
}
