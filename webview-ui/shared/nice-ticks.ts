/**
 * Linear axis ticks at "nice" spacings (1, 2 or 5 times a power of ten), computed the way chart.js's
 * linear scale computes them, so that a chart first painted without chart.js (quick-line-paint.ts)
 * shows the same y range and ticks that chart.js shows when it takes over.
 */

/** chart.js's niceNum: the nearest 1, 2, 5 or 10 times a power of ten at or above `range`. */
export function niceNum(range: number): number {
  const exponent = Math.floor(Math.log10(range));
  const fraction = range / 10 ** exponent;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * 10 ** exponent;
}

/** How many decimals `x` has (chart.js's rule: the power of ten that makes it round-trip). */
function decimalPlaces(x: number): number {
  let e = 1;
  let p = 0;
  while (Math.round(x * e) / e !== x && p < 20) {
    e *= 10;
    p++;
  }
  return p;
}

/** chart.js returns the ends alone below this spacing (a range of a few ulps). */
const MIN_SPACING = 1e-14;

export interface AxisTicks {
  min: number;
  max: number;
  ticks: number[];
}

/**
 * Ticks for data in [min, max] with at most `maxTicks` of them. `bounds`: 'ticks' widens the axis
 * to the outer ticks (chart.js's default for y); 'data' keeps the data's ends (our x axes) and, as
 * chart.js does then, counts the ticks from the data's first value and ends on its last (steps
 * 0..999,999 tick at 0, 200k, …, 800k and 999,999). An empty or zero-width range is widened as
 * chart.js does.
 */
export function niceTicks(dataMin: number, dataMax: number, maxTicks: number, bounds: 'ticks' | 'data'): AxisTicks {
  let min = dataMin;
  let max = dataMax;
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    min = 0;
    max = 1;
  }
  if (min === max) {
    // chart.js: a flat series gets one unit (or 5% of its value) either side.
    const pad = min === 0 ? 1 : Math.abs(min * 0.05);
    min -= pad;
    max += pad;
  }
  const spaces = Math.max(1, maxTicks - 1);
  let spacing = niceNum((max - min) / spaces);
  if (spacing < MIN_SPACING) return { min, max, ticks: [min, max] };
  const count = Math.ceil(max / spacing) - Math.floor(min / spacing);
  if (count > spaces) spacing = niceNum((count * spacing) / spaces);
  // 'ticks' snaps the ends out to the spacing; 'data' counts from the data's own first value.
  let first = bounds === 'ticks' ? Math.floor(min / spacing) * spacing : min;
  let last = bounds === 'ticks' ? Math.ceil(max / spacing) * spacing : max;
  const raw = (last - first) / spacing;
  const n = Math.abs(raw - Math.round(raw)) < spacing / 1000 ? Math.round(raw) : Math.ceil(raw);
  // Rounded to the decimals of the spacing or of the first tick, whichever has more (no 0.30000000000000004).
  const factor = 10 ** Math.max(decimalPlaces(spacing), decimalPlaces(first));
  first = Math.round(first * factor) / factor;
  last = Math.round(last * factor) / factor;
  const ticks: number[] = [];
  for (let i = 0; i < n; i++) ticks.push(Math.round((first + i * spacing) * factor) / factor);
  ticks.push(last);
  return bounds === 'ticks' ? { min: first, max: last, ticks } : { min, max, ticks };
}
