import { classificationMetrics } from './classification-metrics.ts';
import type { DataRow, EvaluationTask, MaybeNumber } from './evaluation-types.ts';
import { regressionMetrics } from './regression-metrics.ts';
import { groupRows, indicesByGroup } from './slice-groups.ts';

/** The per-slice metrics, and which direction is better (the worst slice is the minimum of a higher-is-better metric). */
export const SLICE_METRICS: Record<EvaluationTask, Record<string, 'higher' | 'lower'>> = {
  classification: { accuracy: 'higher', f1_macro: 'higher', precision_macro: 'higher', recall_macro: 'higher' },
  regression: { mae: 'lower', rmse: 'lower', r2: 'higher' },
};

export interface Slice {
  value: string;
  n: number;
  metrics: Record<string, MaybeNumber>;
}

export interface WorstSlice {
  value: string;
  score: number;
}

export interface SliceColumnReport {
  column: string;
  /** True when a numeric column was binned into quantiles. */
  binned: boolean;
  slices: Slice[];
  worst: Record<string, WorstSlice | null>;
  /** Largest minus smallest slice value of each metric (Fairlearn's between_groups difference). */
  gap: Record<string, MaybeNumber>;
}

export interface SliceGap {
  column: string;
  gap: number;
  worst: WorstSlice;
}

/** The headline numbers of one set of rows, by the names slices and gates use. */
export function headlineMetrics(task: EvaluationTask, yTrue: string[], yPred: string[]): Record<string, MaybeNumber> {
  if (task === 'regression') {
    const m = regressionMetrics(yTrue.map(Number), yPred.map(Number));
    return { mae: m.mae, rmse: m.rmse, r2: m.r2 };
  }
  const m = classificationMetrics(yTrue, yPred);
  return { accuracy: m.accuracy, f1_macro: m.f1Macro, precision_macro: m.precisionMacro, recall_macro: m.recallMacro };
}

export function sliceColumn(task: EvaluationTask, rows: DataRow[], column: string, yTrue: string[], yPred: string[], bins = 4): SliceColumnReport {
  const groups = groupRows(rows, column, bins);
  const slices: Slice[] = [];
  for (const [value, idx] of indicesByGroup(groups.labels)) {
    slices.push({
      value,
      n: idx.length,
      metrics: headlineMetrics(
        task,
        idx.map((i) => yTrue[i]!),
        idx.map((i) => yPred[i]!),
      ),
    });
  }
  const worst: Record<string, WorstSlice | null> = {};
  const gap: Record<string, MaybeNumber> = {};
  for (const [metric, better] of Object.entries(SLICE_METRICS[task])) {
    const scored = slices.filter((s) => s.metrics[metric] !== null && s.metrics[metric] !== undefined).map((s) => ({ value: s.value, score: s.metrics[metric] as number }));
    if (scored.length === 0) {
      worst[metric] = null;
      gap[metric] = null;
      continue;
    }
    const scores = scored.map((s) => s.score);
    worst[metric] = scored.reduce((w, s) => ((better === 'higher' ? s.score < w.score : s.score > w.score) ? s : w));
    gap[metric] = Math.max(...scores) - Math.min(...scores);
  }
  return { column, binned: groups.binned, slices, worst, gap };
}

/** Per metric, the slice column with the largest gap: what `eval.slice_gap.<metric>` reports. */
export function largestGaps(columns: SliceColumnReport[]): Record<string, SliceGap> {
  const out: Record<string, SliceGap> = {};
  for (const c of columns) {
    for (const [metric, gap] of Object.entries(c.gap)) {
      const worst = c.worst[metric];
      if (gap === null || !worst) continue;
      if (!out[metric] || gap > out[metric].gap) out[metric] = { column: c.column, gap, worst };
    }
  }
  return out;
}
