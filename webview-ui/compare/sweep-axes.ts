import { fromWire, type RunMsg } from '../../src/protocol/common.ts';

/**
 * Axes of the sweep views: a param is numeric when every value it has parses as a finite number
 * (scaled min..max, logarithmic when all values are positive and span more than two decades),
 * otherwise categorical (distinct values, sorted, evenly spaced). Positions keep a margin at both
 * ends so the extreme runs' lines never lie on the chart's frame.
 */
export interface SweepAxis {
  label: string;
  kind: 'numeric' | 'categorical';
  /** Numeric values spread over more than two decades (all positive): drawn on a log scale. */
  log: boolean;
  min: number;
  max: number;
  categories: string[];
  /** The run's raw value on this axis (number or category index); null when it has none. */
  valueOf(run: RunMsg): number | null;
  /** valueOf scaled to AXIS_MARGIN..1-AXIS_MARGIN (bottom..top); null when the run has no value. */
  positionOf(run: RunMsg): number | null;
  /** Position of a raw value (for ticks). */
  positionOfValue(v: number): number;
}

/** Share of an axis left empty at each end. */
export const AXIS_MARGIN = 0.06;
/** Decades a positive numeric param must span to get a log axis. */
const LOG_DECADES = 2;

const isNumeric = (v: string) => v.trim() !== '' && Number.isFinite(Number(v));
const inner = (t: number) => AXIS_MARGIN + t * (1 - 2 * AXIS_MARGIN);

export function paramAxis(key: string, runs: RunMsg[]): SweepAxis {
  const values = runs.map((r) => r.params[key]).filter((v): v is string => v !== undefined);
  if (values.length > 0 && values.every(isNumeric)) {
    const nums = values.map(Number);
    return numericAxis(key, Math.min(...nums), Math.max(...nums), (r) => {
      const v = r.params[key];
      return v === undefined ? null : Number(v);
    }, true);
  }
  const categories = [...new Set(values)].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const valueOf = (r: RunMsg) => {
    const v = r.params[key];
    return v === undefined ? null : categories.indexOf(v);
  };
  const positionOfValue = (i: number) => (categories.length <= 1 ? 0.5 : inner(1 - i / (categories.length - 1)));
  return {
    label: key,
    kind: 'categorical',
    log: false,
    min: 0,
    max: Math.max(0, categories.length - 1),
    categories,
    valueOf,
    positionOfValue,
    positionOf: (r) => {
      const i = valueOf(r);
      return i === null ? null : positionOfValue(i);
    },
  };
}

/** The metric's last value per run. */
export function metricAxis(key: string, runs: RunMsg[]): SweepAxis {
  const valueOf = (r: RunMsg) => {
    const m = r.metrics.find((x) => x.key === key);
    const v = m ? fromWire(m.last) : NaN;
    return Number.isFinite(v) ? v : null;
  };
  const vals = runs.map(valueOf).filter((v): v is number => v !== null);
  return numericAxis(`${key} (last)`, vals.length ? Math.min(...vals) : 0, vals.length ? Math.max(...vals) : 1, valueOf, false);
}

function numericAxis(label: string, min: number, max: number, valueOf: (r: RunMsg) => number | null, allowLog: boolean): SweepAxis {
  const log = allowLog && min > 0 && max / min > 10 ** LOG_DECADES;
  const t = (v: number) => (log ? Math.log10(v) : v);
  const lo = t(min);
  const hi = t(max);
  const positionOfValue = (v: number) => (hi > lo ? inner((t(v) - lo) / (hi - lo)) : 0.5);
  return {
    label: log ? `${label} (log)` : label,
    kind: 'numeric',
    log,
    min,
    max,
    categories: [],
    valueOf,
    positionOfValue,
    positionOf: (r) => {
      const v = valueOf(r);
      return v === null ? null : positionOfValue(v);
    },
  };
}

/**
 * Scale bounds for a chart axis showing these values: padded by `pad` of the range at each end
 * (a factor on log axes), but never past zero when every value is on one side of it, so an axis
 * of positive learning rates does not start at -0.2.
 */
export function paddedBounds(min: number, max: number, log: boolean, pad = 0.08): { min: number; max: number } {
  if (log) {
    const f = max > min ? (max / min) ** pad : 2;
    return { min: min / f, max: max * f };
  }
  const span = max > min ? max - min : Math.abs(max) * 0.1 || 1;
  let lo = min - span * pad;
  let hi = max + span * pad;
  if (min >= 0 && lo < 0) lo = 0;
  if (max <= 0 && hi > 0) hi = 0;
  return { min: lo, max: hi };
}
