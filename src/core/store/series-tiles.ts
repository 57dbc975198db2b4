import type Database from 'better-sqlite3';

/**
 * Pre-aggregated "tiles" of every metric series, kept current at insert time, so a chart of a
 * million-step series reads a few thousand rows instead of a million. Level L groups 64^L
 * consecutive steps; each tile keeps its first, minimum, maximum and last point (M4), so
 * downsampling from tiles keeps every extreme exactly. NaN points are counted, not summarised.
 */
export const TILE_LEVELS = [1, 2, 3] as const;
export const TILE_BITS = 6; // 64 steps per level-1 tile

export interface Tile {
  series: number;
  level: number;
  bucket: number;
  count: number;
  firstStep: number | null;
  firstTs: number | null;
  firstValue: number | null;
  lastStep: number | null;
  lastTs: number | null;
  lastValue: number | null;
  minStep: number | null;
  minTs: number | null;
  minValue: number | null;
  maxStep: number | null;
  maxTs: number | null;
  maxValue: number | null;
}

export function bucketOf(step: number, level: number): number {
  // Floor division by 64^level that is also right for negative steps.
  return Math.floor(step / 2 ** (TILE_BITS * level));
}

function emptyTile(series: number, level: number, bucket: number): Tile {
  return {
    series, level, bucket, count: 0,
    firstStep: null, firstTs: null, firstValue: null,
    lastStep: null, lastTs: null, lastValue: null,
    minStep: null, minTs: null, minValue: null,
    maxStep: null, maxTs: null, maxValue: null,
  };
}

export function mergePoint(t: Tile, step: number, ts: number, value: number): void {
  t.count++;
  if (Number.isNaN(value)) return;
  if (t.firstStep === null || step < t.firstStep || (step === t.firstStep && ts < t.firstTs!)) {
    t.firstStep = step;
    t.firstTs = ts;
    t.firstValue = value;
  }
  if (t.lastStep === null || step > t.lastStep || (step === t.lastStep && ts >= t.lastTs!)) {
    t.lastStep = step;
    t.lastTs = ts;
    t.lastValue = value;
  }
  if (t.minValue === null || value < t.minValue) {
    t.minValue = value;
    t.minStep = step;
    t.minTs = ts;
  }
  if (t.maxValue === null || value > t.maxValue) {
    t.maxValue = value;
    t.maxStep = step;
    t.maxTs = ts;
  }
}

const COLUMNS = `series, level, bucket, count, first_step, first_ts, first_value, last_step, last_ts, last_value,
  min_step, min_ts, min_value, max_step, max_ts, max_value`;

export function rowToTile(r: unknown[]): Tile {
  const n = (i: number) => r[i] as number | null;
  return {
    series: r[0] as number, level: r[1] as number, bucket: r[2] as number, count: r[3] as number,
    firstStep: n(4), firstTs: n(5), firstValue: n(6),
    lastStep: n(7), lastTs: n(8), lastValue: n(9),
    minStep: n(10), minTs: n(11), minValue: n(12),
    maxStep: n(13), maxTs: n(14), maxValue: n(15),
  };
}

/** Collects the tiles touched by one batch, then writes each once. Use inside the batch's transaction. */
export class TileBatch {
  private readonly tiles = new Map<string, Tile>();
  private readonly db: Database.Database;
  private statements: { select: Database.Statement; upsert: Database.Statement } | undefined;

  constructor(db: Database.Database) {
    this.db = db;
  }

  /** Prepared on first use, so opening an old store read-only (no tiles table yet) works. */
  private get st(): { select: Database.Statement; upsert: Database.Statement } {
    this.statements ??= {
      select: this.db.prepare(`SELECT ${COLUMNS} FROM series_tiles WHERE series = ? AND level = ? AND bucket = ?`).raw(),
      upsert: this.db.prepare(`INSERT OR REPLACE INTO series_tiles (${COLUMNS}) VALUES (${COLUMNS.split(',').map(() => '?').join(', ')})`),
    };
    return this.statements;
  }

  /** Forget tiles of a batch that did not commit. */
  reset(): void {
    this.tiles.clear();
  }

  add(series: number, step: number, ts: number, value: number): void {
    for (const level of TILE_LEVELS) mergePoint(this.tile(series, level, bucketOf(step, level)), step, ts, value);
  }

  /** The tile of this batch for (series, level, bucket), loaded from the table on first touch unless `fresh` (a series with no stored points). */
  tile(series: number, level: number, bucket: number, fresh = false): Tile {
    const key = `${series}:${level}:${bucket}`;
    let t = this.tiles.get(key);
    if (!t) {
      const row = fresh ? undefined : (this.st.select.get(series, level, bucket) as unknown[] | undefined);
      t = row ? rowToTile(row) : emptyTile(series, level, bucket);
      this.tiles.set(key, t);
    }
    return t;
  }

  write(): void {
    for (const t of this.tiles.values()) {
      this.st.upsert.run(t.series, t.level, t.bucket, t.count, t.firstStep, t.firstTs, t.firstValue, t.lastStep, t.lastTs, t.lastValue, t.minStep, t.minTs, t.minValue, t.maxStep, t.maxTs, t.maxValue);
    }
    this.tiles.clear();
  }
}

const DIVISORS = TILE_LEVELS.map((level) => 2 ** (TILE_BITS * level));

/**
 * Adds the points of one series to a batch, remembering the tile per level the previous point
 * went to: consecutive points of a series almost always share their tiles, so a bulk load skips
 * the batch's map for all but one point in 64. Valid until the batch is written or reset.
 */
export class TileCursor {
  private readonly batch: TileBatch;
  private readonly series: number;
  private readonly buckets: number[] = DIVISORS.map(() => NaN);
  private readonly tiles: Tile[] = [];
  private readonly fresh: boolean;

  constructor(batch: TileBatch, series: number, fresh: boolean) {
    this.batch = batch;
    this.series = series;
    this.fresh = fresh;
  }

  add(step: number, ts: number, value: number): void {
    for (let i = 0; i < DIVISORS.length; i++) {
      const bucket = Math.floor(step / DIVISORS[i]!);
      if (bucket !== this.buckets[i]) {
        this.tiles[i] = this.batch.tile(this.series, TILE_LEVELS[i]!, bucket, this.fresh);
        this.buckets[i] = bucket;
      }
      mergePoint(this.tiles[i]!, step, ts, value);
    }
  }
}

export const TILES_TABLE_SQL = `
CREATE TABLE series_tiles (
  series INTEGER NOT NULL,
  level INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  count INTEGER NOT NULL,
  first_step INTEGER, first_ts INTEGER, first_value REAL,
  last_step INTEGER, last_ts INTEGER, last_value REAL,
  min_step INTEGER, min_ts INTEGER, min_value REAL,
  max_step INTEGER, max_ts INTEGER, max_value REAL,
  PRIMARY KEY (series, level, bucket)
) WITHOUT ROWID;`;

/** Builds the tiles of points stored before tiles existed (migration 2), one series at a time. */
export function backfillTiles(db: Database.Database): void {
  const batch = new TileBatch(db);
  const points = db.prepare('SELECT step, timestamp, value, is_nan FROM metrics WHERE series = ? ORDER BY step').raw();
  for (const [series] of db.prepare('SELECT id FROM series').raw().all() as Array<[number]>) {
    for (const [step, ts, value, isNan] of points.all(series) as Array<[number, number, number, number]>) batch.add(series, step, ts, isNan ? NaN : value);
    batch.write();
  }
}
