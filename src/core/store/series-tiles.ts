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

/** Tiles per multi-row upsert (16 values each, well under SQLite's limit of bound values). */
const TILE_ROWS = 50;

function tileArgs(rows: Tile[], from: number, n: number): Array<number | null> {
  const out = new Array<number | null>(n * 16);
  for (let j = 0, o = 0; j < n; j++, o += 16) {
    const t = rows[from + j]!;
    out[o] = t.series;
    out[o + 1] = t.level;
    out[o + 2] = t.bucket;
    out[o + 3] = t.count;
    out[o + 4] = t.firstStep;
    out[o + 5] = t.firstTs;
    out[o + 6] = t.firstValue;
    out[o + 7] = t.lastStep;
    out[o + 8] = t.lastTs;
    out[o + 9] = t.lastValue;
    out[o + 10] = t.minStep;
    out[o + 11] = t.minTs;
    out[o + 12] = t.minValue;
    out[o + 13] = t.maxStep;
    out[o + 14] = t.maxTs;
    out[o + 15] = t.maxValue;
  }
  return out;
}

/**
 * The level-1 tiles of points [from, to) sorted by step, in bucket order: one pass, no lookup.
 * Sorted points make the first and last non-NaN points of a tile the ones mergePoint would keep,
 * ties included.
 */
export function levelOneTiles(series: number, steps: Float64Array, timestamps: Float64Array, values: Float64Array, from: number, to: number): Tile[] {
  const div = 2 ** TILE_BITS;
  const out: Tile[] = [];
  let i = from;
  while (i < to) {
    const bucket = Math.floor(steps[i]! / div);
    const limit = (bucket + 1) * div;
    let first = -1;
    let last = -1;
    let min = -1;
    let max = -1;
    const start = i;
    for (; i < to && steps[i]! < limit; i++) {
      const v = values[i]!;
      if (v !== v) continue;
      if (first < 0) first = min = max = i;
      else if (v < values[min]!) min = i;
      else if (v > values[max]!) max = i;
      last = i;
    }
    const t = emptyTile(series, 1, bucket);
    t.count = i - start;
    if (first >= 0) {
      t.firstStep = steps[first]!;
      t.firstTs = timestamps[first]!;
      t.firstValue = values[first]!;
      t.lastStep = steps[last]!;
      t.lastTs = timestamps[last]!;
      t.lastValue = values[last]!;
      t.minStep = steps[min]!;
      t.minTs = timestamps[min]!;
      t.minValue = values[min]!;
      t.maxStep = steps[max]!;
      t.maxTs = timestamps[max]!;
      t.maxValue = values[max]!;
    }
    out.push(t);
  }
  return out;
}

/** Merges summary `f` into `t` (both of the same tile): the result is the tile of both point sets. */
export function mergeTile(t: Tile, f: Tile): void {
  t.count += f.count;
  if (f.firstStep !== null && (t.firstStep === null || f.firstStep < t.firstStep || (f.firstStep === t.firstStep && f.firstTs! < t.firstTs!))) {
    t.firstStep = f.firstStep;
    t.firstTs = f.firstTs;
    t.firstValue = f.firstValue;
  }
  if (f.lastStep !== null && (t.lastStep === null || f.lastStep > t.lastStep || (f.lastStep === t.lastStep && f.lastTs! >= t.lastTs!))) {
    t.lastStep = f.lastStep;
    t.lastTs = f.lastTs;
    t.lastValue = f.lastValue;
  }
  if (f.minValue !== null && (t.minValue === null || f.minValue < t.minValue)) {
    t.minValue = f.minValue;
    t.minStep = f.minStep;
    t.minTs = f.minTs;
  }
  if (f.maxValue !== null && (t.maxValue === null || f.maxValue > t.maxValue)) {
    t.maxValue = f.maxValue;
    t.maxStep = f.maxStep;
    t.maxTs = f.maxTs;
  }
}

/** Collects the tiles touched by one batch, then writes each once. Use inside the batch's transaction. */
export class TileBatch {
  private readonly tiles = new Map<string, Tile>();
  private readonly db: Database.Database;
  private statements: { select: Database.Statement; upsert: Database.Statement; upsertMany: Database.Statement } | undefined;

  constructor(db: Database.Database) {
    this.db = db;
  }

  /** Prepared on first use, so opening an old store read-only (no tiles table yet) works. */
  private get st(): { select: Database.Statement; upsert: Database.Statement; upsertMany: Database.Statement } {
    if (this.statements) return this.statements;
    const row = `(${COLUMNS.split(',').map(() => '?').join(', ')})`;
    this.statements = {
      select: this.db.prepare(`SELECT ${COLUMNS} FROM series_tiles WHERE series = ? AND level = ? AND bucket = ?`).raw(),
      upsert: this.db.prepare(`INSERT OR REPLACE INTO series_tiles (${COLUMNS}) VALUES ${row}`),
      upsertMany: this.db.prepare(`INSERT OR REPLACE INTO series_tiles (${COLUMNS}) VALUES ${new Array(TILE_ROWS).fill(row).join(', ')}`),
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

  /**
   * Adds points sorted by step: each level-1 tile is built from its points in one pass, and the
   * levels above are merged from those tiles (M4 summaries merge exactly), so a bulk load touches
   * each point once instead of once per level.
   */
  addSorted(series: number, steps: Float64Array, timestamps: Float64Array, values: Float64Array, n: number, fresh: boolean): void {
    const tiles = levelOneTiles(series, steps, timestamps, values, 0, n);
    for (const t of tiles) {
      if (fresh) this.put(t);
      else mergeTile(this.tile(series, TILE_LEVELS[0], t.bucket), t);
    }
    this.addUpper(tiles, fresh);
  }

  /** Merges level-1 tiles into the levels above them (for points whose level-1 tiles are kept in their block). */
  addUpper(levelOne: readonly Tile[], fresh: boolean): void {
    for (const t of levelOne) {
      for (let l = 1; l < TILE_LEVELS.length; l++) mergeTile(this.tile(t.series, TILE_LEVELS[l]!, Math.floor(t.bucket / DIVISORS[l - 1]!), fresh), t);
    }
  }

  /** A tile no stored row has yet (a fresh series): kept as it is. */
  private put(t: Tile): void {
    this.tiles.set(`${t.series}:${t.level}:${t.bucket}`, t);
  }

  write(): void {
    // Multi-row statements: a bulk load writes thousands of tiles, and a statement per tile
    // costs more than the tiles' data.
    const rows = [...this.tiles.values()];
    let i = 0;
    for (; i + TILE_ROWS <= rows.length; i += TILE_ROWS) this.st.upsertMany.run(tileArgs(rows, i, TILE_ROWS));
    for (; i < rows.length; i++) this.st.upsert.run(tileArgs(rows, i, 1));
    this.tiles.clear();
  }
}

const DIVISORS = TILE_LEVELS.map((level) => 2 ** (TILE_BITS * level));

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
