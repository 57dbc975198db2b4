import type { CrossValidationResult } from '../../core/sweeps/cross-validation.ts';
import type { SweepSummary } from '../../core/sweeps/sweep-summary.ts';
import { formatNumber, table } from '../format.ts';

/** The end-of-run report of `loopline cv`: each metric's mean ± std and per-fold values, and which folds failed. */
export function crossValidationReport(s: SweepSummary, cv: CrossValidationResult, outcome: { status: string; reason?: string }): string {
  const lines = [`loopline: cross-validation ${s.sweepId} (${s.name}) ${outcome.status}: ${cv.finished} of ${cv.folds} folds finished`];
  if (cv.metrics.length) {
    const foldHeaders = Array.from({ length: cv.folds }, (_, i) => `FOLD ${i}`);
    const rows = cv.metrics.map((m) => [m.key, formatNumber(m.mean), formatNumber(m.std), ...m.values.map((v) => (v === null ? '-' : formatNumber(v)))]);
    lines.push(table(['METRIC', 'MEAN', 'STD', ...foldHeaders], rows));
    lines.push(`loopline: recorded on run ${s.sweepId} as cv.<metric>.mean, cv.<metric>.std and cv.<metric>.folds (step = fold)`);
  } else lines.push('loopline: no finished fold logged a metric.');
  for (const f of cv.failed) lines.push(`loopline: fold ${f.fold} (run ${f.runId.slice(0, 8)}) ${f.status}${f.reason ? `: ${f.reason}` : ''}`);
  if (outcome.reason && outcome.status !== 'FINISHED') lines.push(`loopline: ${outcome.reason}`);
  if (cv.failed.length) lines.push(`loopline: see a fold's output with: loopline show RUN_ID`);
  lines.push(`loopline: compare the folds with: loopline ls --filter "tags.mlflow.parentRunId = '${s.sweepId}'"`);
  return lines.join('\n');
}
