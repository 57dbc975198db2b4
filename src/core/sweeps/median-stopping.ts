import type { EarlyStopSpec } from './sweep-definition.ts';

export interface StoppingDecision {
  stop: boolean;
  /** A sentence for `loopline.statusReason` when stopping. */
  reason?: string;
}

/**
 * The median stopping rule: after `minSteps`, a trial whose best value so far at step s is worse
 * than the median of the other trials' values at s is stopped. The median is trusted only once
 * at least `minTrials` other trials have reached step s.
 */
export function medianStoppingDecision(spec: EarlyStopSpec, trial: { bestSoFar: number; step: number }, othersAtStep: number[]): StoppingDecision {
  if (trial.step < spec.minSteps) return { stop: false };
  const values = othersAtStep.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (values.length < spec.minTrials || !Number.isFinite(trial.bestSoFar)) return { stop: false };
  const mid = values.length >> 1;
  const median = values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
  const worse = spec.mode === 'min' ? trial.bestSoFar > median : trial.bestSoFar < median;
  if (!worse) return { stop: false };
  return {
    stop: true,
    reason: `stopped early (median stopping rule): best ${spec.metric} ${fmt(trial.bestSoFar)} by step ${trial.step} is worse than the median ${fmt(median)} of ${values.length} other trials at that step`,
  };
}

function fmt(x: number): string {
  return String(Number(x.toPrecision(6)));
}
