import type { RunStore } from '../store/run-store.ts';
import { emptyColumns, m4, type Columns, type Downsampled } from './downsample.ts';
import { seriesIdOf, seriesPointReaders, seriesStepRange, type SeriesPointReaders } from '../store/series-queries.ts';
import { bucketOf, TILE_BITS, TILE_LEVELS } from '../store/series-tiles.ts';

/** A tile may span this many buckets (4 px at the charts' 2 px per bucket). */
const TILE_SPAN_BUCKETS = 2;

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
 * points when the range is small, else from the coarsest tile level whose tiles span at most two
 * buckets. Extremes are exact either way; zooming in re-reads until points are raw. `read`: the
 * prepared reads, shared by the series of one request (preparing them is a good part of a read).
 */
export function readSeries(store: RunStore, req: SeriesRequest, read: SeriesPointReaders = seriesPointReaders(store)): SeriesResult {
  const series = seriesIdOf(store, req.runId, req.key);
  const buckets = Math.max(1, Math.floor(req.buckets));
  if (series === undefined) return { ...emptyColumns(), downsampled: false, sourcePoints: 0, minStep: 0, maxStep: 0, level: 0 };
  const whole = req.minStep === undefined || req.maxStep === undefined ? seriesStepRange(store, series) : undefined;
  const lo = req.minStep ?? whole!.minStep;
  const hi = req.maxStep ?? whole!.maxStep;
  const perBucket = (hi - lo + 1) / buckets;
  // The coarsest level whose tiles are at most TILE_SPAN_BUCKETS buckets wide: levels are 64x
  // apart, so insisting on one tile per bucket would read up to 64x more rows than buckets
  // (15,000 tiles for a 1,000,000-step series in a 560 px chart) for no visible difference.
  let level = 0;
  for (const l of TILE_LEVELS) if (2 ** (TILE_BITS * l) <= perBucket * TILE_SPAN_BUCKETS) level = l;
  // Points in [lo, hi]: whole tiles of `level` that lie inside the range contribute their first,
  // min, max and last points; the partial tiles at either edge are read one level finer (down to
  // raw points), so nothing outside the window appears and no extreme inside it is lost.
  // Points in step order as three growable columns (no object per point or tile: a chart read
  // of ten 1,000,000-step runs handles ~10,000 tiles).
  const steps: number[] = [];
  const times: number[] = [];
  const values: number[] = [];
  let source = 0;
  // Reading the whole series, no point lies before its first step or after its last: the tiles
  // holding either end are inside the window whole, so the edges need no finer read (which, for
  // points kept in blocks, would scan the series' blocks for the few edge tiles).
  const wholeSeries = whole !== undefined;
  const collect = (from: number, to: number, l: number, outer = false): void => {
    if (from > to) return;
    if (l === 0) {
      const rows = read.points(series, from, to);
      for (const [st, ts, v] of rows) {
        steps.push(st);
        times.push(ts);
        values.push(v);
      }
      source += rows.length;
      return;
    }
    const size = 2 ** (TILE_BITS * l);
    const edgesInside = outer && wholeSeries;
    const firstFull = edgesInside ? bucketOf(from, l) : bucketOf(from - 1, l) + 1; // first tile starting at or after `from`
    const lastFull = edgesInside ? bucketOf(to, l) : bucketOf(to + 1, l) - 1; // last tile ending at or before `to`
    if (firstFull > lastFull) {
      collect(from, to, l - 1);
      return;
    }
    collect(from, firstFull * size - 1, l - 1);
    const at = [0, 0, 0, 0];
    for (const t of read.tileRows(series, l, firstFull, lastFull)) {
      source += t[0]!;
      // The tile's first, min, max and last points (offsets 1, 4, 7, 10), each once, in (step, time) order.
      let n = 0;
      for (let o = 1; o <= 10; o += 3) {
        if (t[o] === null || t[o + 1] === null || t[o + 2] === null) continue;
        let dup = false;
        for (let j = 0; j < n; j++) if (t[at[j]!] === t[o] && t[at[j]! + 1] === t[o + 1] && t[at[j]! + 2] === t[o + 2]) dup = true;
        if (!dup) at[n++] = o;
      }
      // Insertion sort of at most four.
      for (let i = 1; i < n; i++) {
        const o = at[i]!;
        let j = i - 1;
        while (j >= 0 && ((t[at[j]!] as number) > (t[o] as number) || (t[at[j]!] === t[o] && (t[at[j]! + 1] as number) > (t[o + 1] as number)))) {
          at[j + 1] = at[j]!;
          j--;
        }
        at[j + 1] = o;
      }
      for (let i = 0; i < n; i++) {
        const o = at[i]!;
        steps.push(t[o] as number);
        times.push(t[o + 1] as number);
        values.push(t[o + 2] as number);
      }
    }
    collect((lastFull + 1) * size, to, l - 1);
  };
  collect(lo, hi, level, true);
  const cols: Columns = { steps: Float64Array.from(steps), times: Float64Array.from(times), values: Float64Array.from(values) };
  const out = m4(cols, buckets, req.byTime ?? false);
  return { ...out, downsampled: out.downsampled || level > 0, sourcePoints: source, minStep: lo, maxStep: hi, level };
}
