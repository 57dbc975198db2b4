import type { ClassificationMetrics } from '../../core/evaluate/classification-metrics.ts';
import { runEvaluation } from '../../core/evaluate/evaluation-job.ts';
import type { EvaluationRecord } from '../../core/evaluate/evaluation-record.ts';
import type { EvaluationTask } from '../../core/evaluate/evaluation-types.ts';
import { formatDuration, formatNumber } from '../../shared/display-format.ts';
import { option, parseArgs, UsageError } from '../args.ts';
import { table, toJson } from '../format.ts';
import { withRegistry } from './registry.ts';

const USAGE =
  'Usage: loopline evaluate MODEL/VERSION|MODEL@ALIAS --data FILE --label COLUMN [--slice-by COLUMN]... [--sensitive COLUMN [--positive LABEL]] [--importance [--repeats N] [--seed S]] [--task classification|regression] [--batch-size N] [--json]';

function wholeNumber(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be a whole number of at least ${min}, not '${v}'.`);
  return Number(v);
}

/** `evaluate REF --data FILE --label COL`: the version run as served, its report recorded as a run. */
export async function evaluateCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'importance'], options: ['store', 'data', 'label', 'slice-by', 'sensitive', 'positive', 'repeats', 'seed', 'task', 'batch-size'] });
  const ref = args.positionals[0];
  const data = option(args, 'data');
  const label = option(args, 'label');
  if (!ref || !data || !label || args.positionals.length > 1) throw new UsageError(USAGE);
  const task = option(args, 'task');
  if (task !== undefined && task !== 'classification' && task !== 'regression') throw new UsageError(`--task must be classification or regression, not '${task}'.`);
  const repeats = wholeNumber(option(args, 'repeats'), 'repeats', 1);
  const seed = wholeNumber(option(args, 'seed'), 'seed', 0);
  if ((repeats !== undefined || seed !== undefined) && !args.flags.has('importance')) throw new UsageError('--repeats and --seed apply to --importance; add --importance.');
  const batchSize = wholeNumber(option(args, 'batch-size'), 'batch-size', 1);
  const json = args.flags.has('json');
  const controller = new AbortController();
  const onSigint = () => {
    console.error('\nloopline evaluate: cancelling; stopping the model container…');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    return await withRegistry(args, async (r) => {
      let last = '';
      const res = await runEvaluation(r, {
        ref,
        data,
        label,
        signal: controller.signal,
        ...(args.options.get('slice-by') ? { sliceBy: args.options.get('slice-by')! } : {}),
        ...(option(args, 'sensitive') !== undefined ? { sensitive: option(args, 'sensitive')! } : {}),
        ...(option(args, 'positive') !== undefined ? { positiveLabel: option(args, 'positive')! } : {}),
        ...(task ? { task: task as EvaluationTask } : {}),
        ...(args.flags.has('importance') ? { importance: { ...(repeats !== undefined ? { repeats } : {}), ...(seed !== undefined ? { seed } : {}) } } : {}),
        ...(batchSize !== undefined ? { batchSize } : {}),
        onProgress: (p) => {
          if (p.message !== last) console.error(p.message);
          last = p.message;
        },
      });
      if (json) console.log(toJson({ runId: res.runId, model: res.record.model, version: res.record.version, metrics: res.metrics, artifact: res.artifact, report: res.record }));
      else console.log(formatEvaluation(res.record, res.artifact));
      return 0;
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
}

const f = (v: number | null | undefined) => formatNumber(v ?? null, 4);

export function formatEvaluation(rec: EvaluationRecord, artifact: string): string {
  const out: string[] = [];
  out.push(`Evaluation of ${rec.model}/${rec.version}${rec.alias ? ` (@${rec.alias})` : ''} on ${rec.data.rows} rows of ${rec.data.file} (label '${rec.labelColumn}', ${rec.task}), ${formatDuration(rec.durationMs)}, ${rec.scoring.rowsPerSecond} rows/s through its container`);
  const m = rec.metrics;
  if (m.task === 'classification') {
    const c = m as ClassificationMetrics;
    out.push('', table(['metric', 'value'], [
      ['accuracy', f(c.accuracy)],
      ['precision (macro)', f(c.precisionMacro)],
      ['recall (macro)', f(c.recallMacro)],
      ['f1 (macro)', f(c.f1Macro)],
      ['f1 (weighted)', f(c.f1Weighted)],
      ...(c.logLoss !== undefined ? [['log loss', f(c.logLoss)]] : []),
      ...(c.rocAuc !== undefined ? [['ROC AUC (one-vs-rest)', f(c.rocAuc)]] : []),
      ...(c.calibration ? [['calibration error (ECE)', f(c.calibration.expectedCalibrationError)]] : []),
    ]));
    out.push('', table(['class', 'precision', 'recall', 'f1', 'support'], c.perClass.map((k) => [k.label, f(k.precision), f(k.recall), f(k.f1), String(k.support)])));
    const cm = c.confusionMatrix;
    out.push('', 'Confusion matrix (rows: true class, columns: predicted)', table(['', ...cm.classes], cm.matrix.map((row, i) => [cm.classes[i]!, ...row.map(String)])));
  } else {
    out.push('', table(['metric', 'value'], [['MAE', f(m.mae)], ['RMSE', f(m.rmse)], ['R²', f(m.r2)], ...m.residualQuantiles.map((q) => [`residual q${q.q}`, f(q.value)])]));
  }
  for (const s of rec.slices) {
    const metrics = Object.keys(s.slices[0]?.metrics ?? {});
    out.push('', `Slices by '${s.column}'${s.binned ? ' (quantile bins)' : ''}: ${metrics.map((k) => `${k} gap ${f(s.gap[k])}, worst ${s.worst[k]?.value ?? '-'}`).slice(0, 2).join('; ')}`);
    out.push(table([s.column, 'rows', ...metrics], s.slices.map((sl) => [sl.value, String(sl.n), ...metrics.map((k) => f(sl.metrics[k]))])));
  }
  if (rec.fairness) {
    const fr = rec.fairness;
    out.push('', `Fairness by '${fr.sensitiveColumn}' (positive '${fr.positiveLabel}'): demographic parity difference ${f(fr.demographicParityDifference)}, equalized odds difference ${f(fr.equalizedOddsDifference)}`);
    out.push(table(['group', 'rows', 'selection rate', 'TPR', 'FPR'], fr.groups.map((g) => [g.group, String(g.n), f(g.selectionRate), f(g.truePositiveRate), f(g.falsePositiveRate)])));
  }
  if (rec.importance) {
    const im = rec.importance;
    out.push('', `Permutation importance (${im.scoring} drop, ${im.repeats} repeats, seed ${im.seed})`);
    out.push(table(['feature', 'mean', 'std'], im.features.map((x) => [x.feature, f(x.mean), f(x.std)])));
  }
  out.push('', `Recorded as run ${rec.runId} (experiment evaluations, tag loopline.evaluates=${rec.model}/${rec.version}); gates can use its eval.* metrics.`, `Report: ${artifact}`);
  return out.join('\n');
}
