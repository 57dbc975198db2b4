import type { StepRange, XAxisMode } from '../../src/protocol/common.ts';
import { formatClock, formatDateTime, formatDuration, formatStepTick } from '../../src/shared/display-format.ts';

/**
 * The three x axes of a metric chart, all drawn on a linear scale (no date adapter): steps,
 * seconds since the run started, and wall-clock milliseconds with time-of-day tick labels.
 */
export interface PointColumns {
  steps: number[];
  times: number[];
}

export const X_AXIS_LABELS: Record<XAxisMode, string> = {
  step: 'Step',
  relative: 'Relative time',
  wall: 'Wall time',
};

export function axisTitle(mode: XAxisMode): string {
  return mode === 'step' ? 'step' : mode === 'relative' ? 'time since start' : 'wall time';
}

/** The x of point i of a run's series under `mode`. */
export function xOf(cols: PointColumns, i: number, mode: XAxisMode, runStart: number): number {
  if (mode === 'step') return cols.steps[i]!;
  if (mode === 'relative') return (cols.times[i]! - runStart) / 1000;
  return cols.times[i]!;
}

export function formatX(v: number, mode: XAxisMode, span: number): string {
  if (mode === 'step') return formatStepTick(v);
  if (mode === 'relative') return formatDuration(v * 1000);
  return formatClock(v, span);
}

/** Exact x for tooltips. */
export function formatXExact(v: number, mode: XAxisMode): string {
  if (mode === 'step') return `step ${v}`;
  if (mode === 'relative') return `${formatDuration(v * 1000)} since start`;
  return formatDateTime(v);
}

const SECOND_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

/**
 * Ticks at round time intervals (seconds for relative, ms for wall time, aligned to local time),
 * or undefined to keep chart.js's ticks (steps, or spans too small/large for round intervals).
 */
export function timeTicks(min: number, max: number, mode: XAxisMode, maxCount: number): number[] | undefined {
  if (mode === 'step' || !(max > min)) return undefined;
  const unit = mode === 'wall' ? 1000 : 1;
  const spanSeconds = (max - min) / unit;
  const stepSeconds = SECOND_STEPS.find((s) => spanSeconds / s <= maxCount);
  if (stepSeconds === undefined || spanSeconds < 2) return undefined;
  const step = stepSeconds * unit;
  // Wall time: align to the local clock (e.g. whole hours in the user's time zone).
  const offset = mode === 'wall' ? -new Date(min).getTimezoneOffset() * 60_000 : 0;
  const first = Math.ceil((min + offset) / step) * step - offset;
  const out: number[] = [];
  for (let v = first; v <= max + 1e-9 && out.length <= maxCount + 1; v += step) out.push(v);
  return out;
}

/**
 * The step range that covers an x window of loaded points: for the step axis the window itself;
 * for time axes the steps of the points inside it plus the neighbours just outside, so lines
 * still reach the edges. undefined when no loaded point is near the window.
 */
export function stepRangeForWindow(
  xMin: number,
  xMax: number,
  mode: XAxisMode,
  series: Array<{ cols: PointColumns; runStart: number }>,
): StepRange | undefined {
  if (mode === 'step') {
    const lo = Math.floor(xMin);
    const hi = Math.max(lo, Math.ceil(xMax));
    return { minStep: lo, maxStep: hi };
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const { cols, runStart } of series) {
    const n = cols.steps.length;
    let before = -1;
    let after = -1;
    for (let i = 0; i < n; i++) {
      const x = xOf(cols, i, mode, runStart);
      const step = cols.steps[i]!;
      if (x < xMin) {
        if (before < 0 || x >= xOf(cols, before, mode, runStart)) before = i;
      } else if (x > xMax) {
        if (after < 0 || x <= xOf(cols, after, mode, runStart)) after = i;
      } else {
        lo = Math.min(lo, step);
        hi = Math.max(hi, step);
      }
    }
    if (before >= 0) lo = Math.min(lo, cols.steps[before]!);
    if (after >= 0) hi = Math.max(hi, cols.steps[after]!);
    if (before >= 0 && after < 0 && hi === -Infinity) hi = cols.steps[before]!;
    if (after >= 0 && before < 0 && lo === Infinity) lo = cols.steps[after]!;
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return undefined;
  return { minStep: Math.floor(Math.min(lo, hi)), maxStep: Math.ceil(Math.max(lo, hi)) };
}

/** The x extent of the loaded points whose step lies in `range` (to show a zoom on another axis). */
export function xExtentOfRange(range: StepRange, mode: XAxisMode, series: Array<{ cols: PointColumns; runStart: number }>): { xMin: number; xMax: number } | undefined {
  if (mode === 'step') return { xMin: range.minStep, xMax: range.maxStep };
  let lo = Infinity;
  let hi = -Infinity;
  for (const { cols, runStart } of series) {
    for (let i = 0; i < cols.steps.length; i++) {
      const s = cols.steps[i]!;
      if (s < range.minStep || s > range.maxStep) continue;
      const x = xOf(cols, i, mode, runStart);
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  return Number.isFinite(lo) && hi > lo ? { xMin: lo, xMax: hi } : undefined;
}
