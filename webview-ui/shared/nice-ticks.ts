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

/** Rounds away the float noise of `k * spacing` (0.30000000000000004 -> 0.3). */
function clean(v: number, spacing: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(spacing)) + 1);
  return digits > 0 && digits < 100 ? Number(v.toFixed(digits)) : v;
}

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
  const count = Math.ceil(max / spacing) - Math.floor(min / spacing);
  if (count > spaces) spacing = niceNum((count * spacing) / spaces);
  if (bounds === 'data') {
    const spaces = (max - min) / spacing;
    const whole = Math.abs(spaces - Math.round(spaces)) < 1e-3 ? Math.round(spaces) : Math.ceil(spaces);
    const ticks: number[] = [];
    for (let i = 0; i < whole; i++) ticks.push(clean(min + i * spacing, spacing));
    ticks.push(max);
    return { min, max, ticks };
  }
  const niceMin = Math.floor(min / spacing) * spacing;
  const niceMax = Math.ceil(max / spacing) * spacing;
  const ticks: number[] = [];
  const n = Math.round((niceMax - niceMin) / spacing);
  for (let i = 0; i <= n; i++) ticks.push(clean(niceMin + i * spacing, spacing));
  return { min: clean(niceMin, spacing), max: clean(niceMax, spacing), ticks };
}
