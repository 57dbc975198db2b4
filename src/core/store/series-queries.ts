import type { RunStore } from './run-store.ts';
import { mergeTile, rowToTile, type Tile } from './series-tiles.ts';
import { pointReader } from './point-reader.ts';

/**
 * The reads of metric series that charts need (points, tiles, step ranges). The store owns these
 * tables, so their SQL lives here; src/core/series only downsamples what these return.
 */

/** The series id of a run's metric, or undefined when the run never logged it. */
export function seriesIdOf(store: RunStore, runId: string, key: string): number | undefined {
  return store.db.prepare('SELECT s.id FROM series s JOIN runs r ON r.pk = s.run WHERE r.uuid = ? AND s.key = ?').pluck().get(runId, key) as number | undefined;
}

/** First and last step of a series (0 when it has no points). */
export function seriesStepRange(store: RunStore, series: number): { minStep: number; maxStep: number } {
  return pointReader(store.db).stepRange(series) ?? { minStep: 0, maxStep: 0 };
}

export interface SeriesPointReaders {
  /** Raw points in an inclusive step range, ordered by step: [step, timestamp, value (NaN kept)]. */
  points(series: number, from: number, to: number): Array<[number, number, number]>;
  /** Tiles of `level` with bucket in [from, to], ordered by bucket. */
  tiles(series: number, level: number, from: number, to: number): Tile[];
  /**
   * The same tiles as raw rows, for the chart read's hot loop (no object per tile):
   * [count, first_step, first_ts, first_value, min_step, min_ts, min_value, max_step, max_ts, max_value, last_step, last_ts, last_value].
   */
  tileRows(series: number, level: number, from: number, to: number): Array<Array<number | null>>;
}

const pointReaders = new WeakMap<RunStore['db'], SeriesPointReaders>();

/** Prepared once per connection, used for every range a downsampling pass asks for. */
export function seriesPointReaders(store: RunStore): SeriesPointReaders {
  let r = pointReaders.get(store.db);
  if (!r) pointReaders.set(store.db, (r = prepareReaders(store)));
  return r;
}

function prepareReaders(store: RunStore): SeriesPointReaders {
  const reader = pointReader(store.db);
  const tiles = store.db
    .prepare(
      `SELECT series, level, bucket, count, first_step, first_ts, first_value, last_step, last_ts, last_value,
         min_step, min_ts, min_value, max_step, max_ts, max_value
       FROM series_tiles WHERE series = ? AND level = ? AND bucket BETWEEN ? AND ? ORDER BY bucket`,
    )
    .raw();
  const tileRows = store.db
    .prepare(
      `SELECT count, first_step, first_ts, first_value, min_step, min_ts, min_value, max_step, max_ts, max_value, last_step, last_ts, last_value
       FROM series_tiles WHERE series = ? AND level = ? AND bucket BETWEEN ? AND ? ORDER BY bucket`,
    )
    .raw();
  const tileObjects = (series: number, level: number, from: number, to: number): Tile[] => {
    const rows = (tiles.all(series, level, from, to) as unknown[][]).map(rowToTile);
    // Level-1 tiles of points stored in blocks live in the blocks; a bucket may have parts in both.
    return level === 1 ? mergeByBucket(rows, reader.blockTiles(series, from, to)) : rows;
  };
  return {
    tileRows: (series, level, from, to) => {
      const rows = tileRows.all(series, level, from, to) as Array<Array<number | null>>;
      if (level !== 1) return rows;
      // A series whose points are all in blocks (an import, a big logged batch) needs no merge.
      const fromBlocks = rows.length === 0 ? reader.blockTileRows(series, from, to) : undefined;
      if (fromBlocks) return fromBlocks;
      // Rows only (a live run): these are the tiles; only a series with parts in both is merged.
      const blocks = reader.blockTiles(series, from, to);
      if (blocks.length === 0) return rows;
      const merged = mergeByBucket((tiles.all(series, level, from, to) as unknown[][]).map(rowToTile), blocks);
      return merged.map((t) => [t.count, t.firstStep, t.firstTs, t.firstValue, t.minStep, t.minTs, t.minValue, t.maxStep, t.maxTs, t.maxValue, t.lastStep, t.lastTs, t.lastValue]);
    },
    points: (series, from, to) => reader.read(series, { from, to }),
    tiles: tileObjects,
  };
}

/** Two bucket-ordered tile lists as one, parts of the same bucket merged into one tile. */
function mergeByBucket(a: Tile[], b: Tile[]): Tile[] {
  if (b.length === 0) return a;
  if (a.length === 0 && b.every((t, i) => i === 0 || b[i - 1]!.bucket !== t.bucket)) return b;
  const all = [...a, ...b].sort((x, y) => x.bucket - y.bucket);
  const out: Tile[] = [];
  for (const t of all) {
    const prev = out[out.length - 1];
    if (prev && prev.bucket === t.bucket) mergeTile(prev, t);
    else out.push({ ...t });
  }
  return out;
}

/** Metric keys logged in the store (for pickers), at most `limit`. */
export function metricKeys(store: RunStore, limit = 200): string[] {
  return store.db.prepare('SELECT DISTINCT key FROM series ORDER BY key LIMIT ?').pluck().all(limit) as string[];
}
