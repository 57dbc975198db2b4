import { invalid } from '../errors.ts';
import type { MaybeNumber } from './evaluation-types.ts';

export interface RegressionMetrics {
  task: 'regression';
  n: number;
  mae: number;
  rmse: number;
  /** Null when the labels are constant (R² undefined). */
  r2: MaybeNumber;
  /** Quantiles of residual = label − prediction, linear interpolation (numpy's default). */
  residualQuantiles: { q: number; value: number }[];
}

export const RESIDUAL_QUANTILES = [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1];

export function regressionMetrics(yTrue: number[], yPred: number[]): RegressionMetrics {
  if (yTrue.length !== yPred.length) throw invalid(`Got ${yPred.length} predictions for ${yTrue.length} labels; give exactly one prediction per row.`);
  const n = yTrue.length;
  if (n === 0) throw invalid('There are no rows to evaluate; give a data file with at least one labelled row.');
  const residuals = yTrue.map((y, i) => y - yPred[i]!);
  const mean = yTrue.reduce((a, b) => a + b, 0) / n;
  let abs = 0;
  let sq = 0;
  let tot = 0;
  residuals.forEach((r, i) => {
    abs += Math.abs(r);
    sq += r * r;
    tot += (yTrue[i]! - mean) ** 2;
  });
  const sorted = [...residuals].sort((a, b) => a - b);
  return {
    task: 'regression',
    n,
    mae: abs / n,
    rmse: Math.sqrt(sq / n),
    r2: tot === 0 ? null : 1 - sq / tot,
    residualQuantiles: RESIDUAL_QUANTILES.map((q) => ({ q, value: quantileSorted(sorted, q) })),
  };
}

/** Linear-interpolation quantile of an ascending array (numpy's 'linear' method). */
export function quantileSorted(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
