import { fromWire, type RunMsg } from '../../src/protocol/common.ts';

/**
 * Axes of the sweep views: a param is numeric when every value it has parses as a finite number
 * (scaled min..max), otherwise categorical (distinct values, sorted, evenly spaced).
 */
export interface SweepAxis {
  label: string;
  kind: 'numeric' | 'categorical';
  min: number;
  max: number;
  categories: string[];
  /** The run's raw value on this axis (number or category index); null when it has none. */
  valueOf(run: RunMsg): number | null;
  /** valueOf scaled to 0..1 (bottom..top). */
  positionOf(run: RunMsg): number | null;
}

const isNumeric = (v: string) => v.trim() !== '' && Number.isFinite(Number(v));

export function paramAxis(key: string, runs: RunMsg[]): SweepAxis {
  const values = runs.map((r) => r.params[key]).filter((v): v is string => v !== undefined);
  if (values.length > 0 && values.every(isNumeric)) {
    const nums = values.map(Number);
    return numericAxis(key, Math.min(...nums), Math.max(...nums), (r) => {
      const v = r.params[key];
      return v === undefined ? null : Number(v);
    });
  }
  const categories = [...new Set(values)].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const valueOf = (r: RunMsg) => {
    const v = r.params[key];
    return v === undefined ? null : categories.indexOf(v);
  };
  return {
    label: key,
    kind: 'categorical',
    min: 0,
    max: Math.max(0, categories.length - 1),
    categories,
    valueOf,
    positionOf: (r) => {
      const i = valueOf(r);
      if (i === null) return null;
      return categories.length <= 1 ? 0.5 : 1 - i / (categories.length - 1);
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
  return numericAxis(`${key} (last)`, vals.length ? Math.min(...vals) : 0, vals.length ? Math.max(...vals) : 1, valueOf);
}

function numericAxis(label: string, min: number, max: number, valueOf: (r: RunMsg) => number | null): SweepAxis {
  return {
    label,
    kind: 'numeric',
    min,
    max,
    categories: [],
    valueOf,
    positionOf: (r) => {
      const v = valueOf(r);
      if (v === null) return null;
      return max > min ? (v - min) / (max - min) : 0.5;
    },
  };
}
