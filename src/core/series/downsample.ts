/**
 * M4 downsampling: per horizontal bucket keep the first, minimum, maximum and last point. With
 * one bucket per two pixels that is at most two points per pixel, and every spike (a bucket's
 * extreme) survives, which plain LTTB does not guarantee. Points are columns: x sorted ascending.
 */
export interface Columns {
  /** The step of each point (the order the series is stored in). */
  steps: Float64Array;
  times: Float64Array;
  /** NaN marks a value that was logged as NaN: the chart shows a gap there. */
  values: Float64Array;
}

export interface Downsampled extends Columns {
  downsampled: boolean;
  /** Points in the source range before downsampling. */
  sourcePoints: number;
}

export function emptyColumns(n = 0): Columns {
  return { steps: new Float64Array(n), times: new Float64Array(n), values: new Float64Array(n) };
}

/** Bucket of a point whose x is in [x0, x1], among `buckets` equal-width buckets. */
function bucketOf(x: number, x0: number, span: number, buckets: number): number {
  if (span <= 0) return 0;
  const b = Math.floor(((x - x0) / span) * buckets);
  return b >= buckets ? buckets - 1 : b < 0 ? 0 : b;
}

/**
 * Downsamples `src` (x = steps, or times when `byTime`) to at most 4 points per bucket.
 * NaN values are kept (as gaps) only once per bucket so a NaN run cannot blow up the output.
 */
export function m4(src: Columns, buckets: number, byTime = false): Downsampled {
  const n = src.steps.length;
  if (n <= buckets * 4 || buckets < 1) return { ...src, downsampled: false, sourcePoints: n };
  const xs = byTime ? src.times : src.steps;
  let x0 = Infinity;
  let x1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = xs[i]!;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
  }
  const span = x1 - x0;
  const keep = new Uint8Array(n);
  let cur = -1;
  let first = -1;
  let last = -1;
  let min = -1;
  let max = -1;
  let nan = -1;
  const flush = () => {
    if (cur < 0) return;
    for (const i of [first, min, max, last, nan]) if (i >= 0) keep[i] = 1;
  };
  for (let i = 0; i < n; i++) {
    const b = bucketOf(xs[i]!, x0, span, buckets);
    if (b !== cur) {
      flush();
      cur = b;
      first = last = min = max = nan = -1;
    }
    const v = src.values[i]!;
    if (Number.isNaN(v)) {
      if (nan < 0) nan = i;
      continue;
    }
    if (first < 0) first = i;
    last = i;
    if (min < 0 || v < src.values[min]!) min = i;
    if (max < 0 || v > src.values[max]!) max = i;
  }
  flush();
  let count = 0;
  for (let i = 0; i < n; i++) count += keep[i]!;
  const out = emptyColumns(count);
  let j = 0;
  for (let i = 0; i < n; i++) {
    if (!keep[i]) continue;
    out.steps[j] = src.steps[i]!;
    out.times[j] = src.times[i]!;
    out.values[j] = src.values[i]!;
    j++;
  }
  return { ...out, downsampled: true, sourcePoints: n };
}
