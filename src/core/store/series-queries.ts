import type { RunStore } from './run-store.ts';
import { rowToTile, type Tile } from './series-tiles.ts';

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
  // Two subqueries: SQLite answers a lone MIN or MAX from the index, but MIN and MAX in one
  // SELECT scan every point of the series (seconds for 1,000,000 steps).
  const row = store.db.prepare('SELECT (SELECT MIN(step) FROM metrics WHERE series = ?), (SELECT MAX(step) FROM metrics WHERE series = ?)').raw().get(series, series) as [number | null, number | null];
  return { minStep: row[0] ?? 0, maxStep: row[1] ?? 0 };
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

/** Prepared once per read, used for every range a downsampling pass asks for. */
export function seriesPointReaders(store: RunStore): SeriesPointReaders {
  const raw = store.db.prepare('SELECT step, timestamp, value, is_nan FROM metrics WHERE series = ? AND step BETWEEN ? AND ? ORDER BY step, timestamp, value').raw();
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
  return {
    tileRows: (series, level, from, to) => tileRows.all(series, level, from, to) as Array<Array<number | null>>,
    points: (series, from, to) => (raw.all(series, from, to) as Array<[number, number, number, number]>).map(([st, ts, v, nan]) => [st, ts, nan ? NaN : v]),
    tiles: (series, level, from, to) => (tiles.all(series, level, from, to) as unknown[][]).map(rowToTile),
  };
}

/** Metric keys logged in the store (for pickers), at most `limit`. */
export function metricKeys(store: RunStore, limit = 200): string[] {
  return store.db.prepare('SELECT DISTINCT key FROM series ORDER BY key LIMIT ?').pluck().all(limit) as string[];
}
