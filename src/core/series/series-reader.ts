import type { RunStore } from '../store/run-store.ts';
import { emptyColumns, m4, type Columns, type Downsampled } from './downsample.ts';
import { bucketOf, rowToTile, TILE_BITS, TILE_LEVELS } from './series-tiles.ts';

export interface SeriesRequest {
  runId: string;
  key: string;
  /** Inclusive step range (a zoom window); the whole series when omitted. */
  minStep?: number;
  maxStep?: number;
  /** Horizontal buckets, normally half the chart's width in pixels (so <= 2 points per pixel). */
  buckets: number;
  /** Bucket by wall time instead of step (for time x axes). */
  byTime?: boolean;
}

export interface SeriesResult extends Downsampled {
  /** The step range actually covered. */
  minStep: number;
  maxStep: number;
  /** 0 when raw points were read, else the tile level used. */
  level: number;
}

/**
 * Chart data for one series, read only for the requested range and already downsampled: from raw
 * points when the range is small, else from the coarsest tile level that still has at least one
 * tile per bucket. Extremes are exact either way; zooming in re-reads until points are raw.
 */
export function readSeries(store: RunStore, req: SeriesRequest): SeriesResult {
  const db = store.db;
  const series = db
    .prepare('SELECT s.id FROM series s JOIN runs r ON r.pk = s.run WHERE r.uuid = ? AND s.key = ?')
    .pluck()
    .get(req.runId, req.key) as number | undefined;
  const buckets = Math.max(1, Math.floor(req.buckets));
  if (series === undefined) return { ...emptyColumns(), downsampled: false, sourcePoints: 0, minStep: 0, maxStep: 0, level: 0 };
  const lo = req.minStep ?? (db.prepare('SELECT MIN(step) FROM metrics WHERE series = ?').pluck().get(series) as number | null) ?? 0;
  const hi = req.maxStep ?? (db.prepare('SELECT MAX(step) FROM metrics WHERE series = ?').pluck().get(series) as number | null) ?? 0;
  const perBucket = (hi - lo + 1) / buckets;
  let level = 0;
  for (const l of TILE_LEVELS) if (2 ** (TILE_BITS * l) <= perBucket) level = l;
  // Points in [lo, hi]: whole tiles of `level` that lie inside the range contribute their first,
  // min, max and last points; the partial tiles at either edge are read one level finer (down to
  // raw points), so nothing outside the window appears and no extreme inside it is lost.
  const pts: Array<[number, number, number]> = [];
  let source = 0;
  const rawStmt = db.prepare('SELECT step, timestamp, value, is_nan FROM metrics WHERE series = ? AND step BETWEEN ? AND ? ORDER BY step, timestamp, value').raw();
  const tileStmt = db
    .prepare(
      `SELECT series, level, bucket, count, first_step, first_ts, first_value, last_step, last_ts, last_value,
         min_step, min_ts, min_value, max_step, max_ts, max_value
       FROM series_tiles WHERE series = ? AND level = ? AND bucket BETWEEN ? AND ? ORDER BY bucket`,
    )
    .raw();
  const collect = (from: number, to: number, l: number): void => {
    if (from > to) return;
    if (l === 0) {
      const rows = rawStmt.all(series, from, to) as Array<[number, number, number, number]>;
      for (const [st, ts, v, nan] of rows) pts.push([st, ts, nan ? NaN : v]);
      source += rows.length;
      return;
    }
    const size = 2 ** (TILE_BITS * l);
    const firstFull = bucketOf(from - 1, l) + 1; // first tile starting at or after `from`
    const lastFull = bucketOf(to + 1, l) - 1; // last tile ending at or before `to`
    if (firstFull > lastFull) {
      collect(from, to, l - 1);
      return;
    }
    collect(from, firstFull * size - 1, l - 1);
    for (const t of (tileStmt.all(series, l, firstFull, lastFull) as unknown[][]).map(rowToTile)) {
      source += t.count;
      const four: Array<[number, number, number]> = [];
      for (const [st, ts, v] of [
        [t.firstStep, t.firstTs, t.firstValue],
        [t.minStep, t.minTs, t.minValue],
        [t.maxStep, t.maxTs, t.maxValue],
        [t.lastStep, t.lastTs, t.lastValue],
      ] as Array<[number | null, number | null, number | null]>) {
        if (st === null || ts === null || v === null) continue;
        if (!four.some((q) => q[0] === st && q[1] === ts && q[2] === v)) four.push([st, ts, v]);
      }
      four.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      pts.push(...four);
    }
    collect((lastFull + 1) * size, to, l - 1);
  };
  collect(lo, hi, level);
  const cols: Columns = emptyColumns(pts.length);
  pts.forEach(([st, t, v], i) => {
    cols.steps[i] = st;
    cols.times[i] = t;
    cols.values[i] = v;
  });
  const out = m4(cols, buckets, req.byTime ?? false);
  return { ...out, downsampled: out.downsampled || level > 0, sourcePoints: source, minStep: lo, maxStep: hi, level };
}
