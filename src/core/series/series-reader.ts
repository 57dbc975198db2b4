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
  let cols: Columns;
  let source: number;
  if (level === 0) {
    const rows = db
      .prepare('SELECT step, timestamp, value, is_nan FROM metrics WHERE series = ? AND step BETWEEN ? AND ? ORDER BY step, timestamp, value')
      .raw()
      .all(series, lo, hi) as Array<[number, number, number, number]>;
    cols = emptyColumns(rows.length);
    rows.forEach(([s, t, v, nan], i) => {
      cols.steps[i] = s;
      cols.times[i] = t;
      cols.values[i] = nan ? NaN : v;
    });
    source = rows.length;
  } else {
    const tiles = (db
      .prepare(
        `SELECT series, level, bucket, count, first_step, first_ts, first_value, last_step, last_ts, last_value,
           min_step, min_ts, min_value, max_step, max_ts, max_value
         FROM series_tiles WHERE series = ? AND level = ? AND bucket BETWEEN ? AND ? ORDER BY bucket`,
      )
      .raw()
      .all(series, level, bucketOf(lo, level), bucketOf(hi, level)) as unknown[][]).map(rowToTile);
    // Each tile contributes its first, min, max and last point, in step order.
    const pts: Array<[number, number, number]> = [];
    source = 0;
    for (const t of tiles) {
      source += t.count;
      const four: Array<[number, number, number]> = [];
      for (const [s, ts, v] of [
        [t.firstStep, t.firstTs, t.firstValue],
        [t.minStep, t.minTs, t.minValue],
        [t.maxStep, t.maxTs, t.maxValue],
        [t.lastStep, t.lastTs, t.lastValue],
      ] as Array<[number | null, number | null, number | null]>) {
        if (s === null || ts === null || v === null) continue;
        if (!four.some((p) => p[0] === s && p[1] === ts && p[2] === v)) four.push([s, ts, v]);
      }
      four.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      pts.push(...four);
    }
    cols = emptyColumns(pts.length);
    pts.forEach(([s, t, v], i) => {
      cols.steps[i] = s;
      cols.times[i] = t;
      cols.values[i] = v;
    });
  }
  const out = m4(cols, buckets, req.byTime ?? false);
  return { ...out, downsampled: out.downsampled || level > 0, sourcePoints: source, minStep: lo, maxStep: hi, level };
}
