import { fromWire, type RunMsg } from '../../src/protocol/common.ts';
import { lowerIsBetter } from '../shared/metric-direction.ts';

/**
 * Per metric and run: last, min, max and the step of the run's best value; the best run per
 * metric (higher is better unless the key names a loss or error), and the change of the last
 * value against a baseline run.
 */
export interface SummaryCell {
  runId: string;
  has: boolean;
  last: number | null;
  lastStep: number | null;
  min: number | null;
  max: number | null;
  best: number | null;
  bestStep: number | null;
  isBest: boolean;
  isBaseline: boolean;
  delta: number | null;
  deltaPercent: number | null;
  /** The delta is an improvement (direction-aware); null without a delta. */
  improved: boolean | null;
}

export interface MetricSummary {
  key: string;
  lowerBetter: boolean;
  cells: SummaryCell[];
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function summarizeMetrics(runs: RunMsg[], metricKeys: string[], baselineRunId: string | null): MetricSummary[] {
  return metricKeys.map((key) => {
    const lowerBetter = lowerIsBetter(key);
    const cells: SummaryCell[] = runs.map((run) => {
      const m = run.metrics.find((x) => x.key === key);
      if (!m) return { runId: run.id, has: false, last: null, lastStep: null, min: null, max: null, best: null, bestStep: null, isBest: false, isBaseline: run.id === baselineRunId, delta: null, deltaPercent: null, improved: null };
      const last = fromWire(m.last);
      const min = m.min === null ? null : fromWire(m.min);
      const max = m.max === null ? null : fromWire(m.max);
      const best = lowerBetter ? (min ?? finite(last)) : (max ?? finite(last));
      const bestStep = lowerBetter ? (m.minStep ?? m.lastStep) : (m.maxStep ?? m.lastStep);
      return {
        runId: run.id,
        has: true,
        last: Number.isNaN(last) ? null : last,
        lastStep: m.lastStep,
        min,
        max,
        best: best !== null && Number.isFinite(best) ? best : null,
        bestStep: best !== null ? bestStep : null,
        isBest: false,
        isBaseline: run.id === baselineRunId,
        delta: null,
        deltaPercent: null,
        improved: null,
      };
    });
    const bests = cells.map((c) => c.best).filter((v): v is number => v !== null);
    if (bests.length > 0) {
      const target = lowerBetter ? Math.min(...bests) : Math.max(...bests);
      for (const c of cells) c.isBest = c.best === target;
    }
    const base = cells.find((c) => c.isBaseline);
    if (base && base.last !== null && Number.isFinite(base.last)) {
      for (const c of cells) {
        if (c.isBaseline || c.last === null || !Number.isFinite(c.last)) continue;
        c.delta = c.last - base.last;
        c.deltaPercent = base.last !== 0 ? (c.delta / Math.abs(base.last)) * 100 : null;
        c.improved = c.delta === 0 ? null : lowerBetter ? c.delta < 0 : c.delta > 0;
      }
    }
    return { key, lowerBetter, cells };
  });
}
