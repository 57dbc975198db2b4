import { invalid } from '../errors.ts';
import { classificationMetrics, compareLabels, type ClassificationMetrics } from './classification-metrics.ts';
import type { DataRow, EvaluationTask, ModelOutput, PredictFn } from './evaluation-types.ts';
import { fairnessMetrics, type FairnessReport } from './fairness-metrics.ts';
import { checkPredictionCount, columnsOf, permutationImportance, type ImportanceScoring, type PermutationImportance } from './permutation-importance.ts';
import { regressionMetrics, type RegressionMetrics } from './regression-metrics.ts';
import { groupRows } from './slice-groups.ts';
import { largestGaps, sliceColumn, type SliceColumnReport, type SliceGap } from './slice-metrics.ts';

export const EVALUATION_REPORT_SCHEMA = 'loopline.evaluation/1';

/** Above this many distinct integer labels a numeric label is taken as a regression target. */
const MAX_INFERRED_CLASSES = 20;

export interface EvaluationOptions {
  rows: DataRow[];
  labelColumn: string;
  /** Inferred when absent: classification when probabilities are given or labels are text or few integers. */
  task?: EvaluationTask;
  sliceBy?: string[];
  sensitive?: string;
  /** The favourable outcome for the fairness differences; default "1"/"true"/"yes" when a class, else the second sorted class of a binary task. */
  positiveLabel?: string;
  /** Quantile bins for numeric slice columns (default 4). */
  quantileBins?: number;
}

export interface EvaluationReport {
  schema: typeof EVALUATION_REPORT_SCHEMA;
  task: EvaluationTask;
  n: number;
  labelColumn: string;
  metrics: ClassificationMetrics | RegressionMetrics;
  slices: SliceColumnReport[];
  /** Per metric, the slice column with the largest gap. */
  sliceGaps: Record<string, SliceGap>;
  fairness?: FairnessReport;
  importance?: PermutationImportance;
}

/** Metrics of a model's answers for the given rows. Throws a LooplineError that says what to fix on bad input. */
export function buildEvaluationReport(options: EvaluationOptions, output: ModelOutput): EvaluationReport {
  const { rows, labelColumn } = options;
  checkColumns(options);
  checkPredictionCount(output, rows.length);
  const yTrue = rows.map((r, i) => {
    const v = r[labelColumn];
    if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) {
      throw invalid(`Row ${i + 1} has no value in the label column '${labelColumn}'; drop or fill unlabelled rows before evaluating.`);
    }
    return String(v);
  });
  const yPred = output.predictions.map((p, i) => {
    if (p === null || p === undefined || (typeof p !== 'string' && typeof p !== 'number')) {
      throw invalid(`Prediction ${i + 1} is ${JSON.stringify(p)}; the model must return a number or a class label for every row.`);
    }
    return String(p);
  });
  const task = options.task ?? inferTask(yTrue, yPred, output);
  let metrics: ClassificationMetrics | RegressionMetrics;
  if (task === 'regression') {
    if (output.probabilities) throw invalid('The model returned probabilities, which only a classifier does; evaluate it with task "classification".');
    metrics = regressionMetrics(numbers(yTrue, `label column '${labelColumn}'`), numbers(yPred, 'predictions'));
  } else {
    const probClasses = output.probabilities ? (output.classes?.map(String) ?? [...new Set([...yTrue, ...yPred])].sort(compareLabels)) : undefined;
    metrics = classificationMetrics(yTrue, yPred, output.probabilities, probClasses);
  }
  const slices = (options.sliceBy ?? []).map((c) => sliceColumn(task, rows, c, yTrue, yPred, options.quantileBins));
  const report: EvaluationReport = {
    schema: EVALUATION_REPORT_SCHEMA,
    task,
    n: rows.length,
    labelColumn,
    metrics,
    slices,
    sliceGaps: largestGaps(slices),
  };
  if (options.sensitive !== undefined) {
    if (task !== 'classification') throw invalid('Demographic parity and equalized odds are defined for classifiers; drop --sensitive, or slice a regression with --slice-by instead.');
    const positive = positiveLabelOf((metrics as ClassificationMetrics).classes, options.positiveLabel);
    const groups = groupRows(rows, options.sensitive, options.quantileBins);
    report.fairness = fairnessMetrics(options.sensitive, groups.labels, yTrue, yPred, positive);
  }
  return report;
}

export interface EvaluateModelOptions extends EvaluationOptions {
  predict: PredictFn;
  importance?: { repeats?: number; seed?: number; features?: string[]; scoring?: ImportanceScoring };
}

/** Runs the model once over the rows, builds the report, and adds permutation importance when asked. */
export async function evaluateModel(options: EvaluateModelOptions): Promise<EvaluationReport> {
  checkColumns(options);
  const report = buildEvaluationReport(options, await options.predict(options.rows));
  if (options.importance) {
    report.importance = await permutationImportance({ rows: options.rows, labelColumn: options.labelColumn, task: report.task, predict: options.predict, ...options.importance });
  }
  return report;
}

/**
 * The report's numbers under the run-metric names gates use (`eval.accuracy`, `eval.f1_macro`,
 * `eval.slice_gap.accuracy`, …). Undefined values (null) are left out rather than logged as NaN.
 */
export function evaluationMetricValues(report: EvaluationReport): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (name: string, v: number | null | undefined) => {
    if (typeof v === 'number' && Number.isFinite(v)) out[`eval.${name}`] = v;
  };
  const m = report.metrics;
  if (m.task === 'classification') {
    put('accuracy', m.accuracy);
    put('precision_macro', m.precisionMacro);
    put('recall_macro', m.recallMacro);
    put('f1_macro', m.f1Macro);
    put('precision_weighted', m.precisionWeighted);
    put('recall_weighted', m.recallWeighted);
    put('f1_weighted', m.f1Weighted);
    put('log_loss', m.logLoss);
    put('roc_auc', m.rocAuc);
    put('calibration_error', m.calibration?.expectedCalibrationError);
  } else {
    put('mae', m.mae);
    put('rmse', m.rmse);
    put('r2', m.r2);
  }
  for (const [metric, g] of Object.entries(report.sliceGaps)) put(`slice_gap.${metric}`, g.gap);
  if (report.fairness) {
    put('demographic_parity_difference', report.fairness.demographicParityDifference);
    put('equalized_odds_difference', report.fairness.equalizedOddsDifference);
  }
  for (const f of report.importance?.features ?? []) put(`importance.${f.feature}`, f.mean);
  return out;
}

export function checkColumns(options: Pick<EvaluationOptions, 'rows' | 'labelColumn' | 'sliceBy' | 'sensitive'>): void {
  const { rows, labelColumn } = options;
  if (rows.length === 0) throw invalid('The data has no rows; give a file with at least one labelled row.');
  const columns = columnsOf(rows);
  const list = [...columns].join(', ');
  if (!columns.has(labelColumn)) throw invalid(`The label column '${labelColumn}' is not in the data (columns: ${list}); pass the column holding the true labels with --label.`);
  for (const c of options.sliceBy ?? []) {
    if (!columns.has(c)) throw invalid(`The slice column '${c}' is not in the data (columns: ${list}); pass one of those to --slice-by.`);
  }
  if (options.sensitive !== undefined && !columns.has(options.sensitive)) {
    throw invalid(`The sensitive column '${options.sensitive}' is not in the data (columns: ${list}); pass one of those to --sensitive.`);
  }
}

function inferTask(yTrue: string[], yPred: string[], output: ModelOutput): EvaluationTask {
  if (output.probabilities) return 'classification';
  const numeric = (v: string) => v.trim() !== '' && Number.isFinite(Number(v));
  if (!yTrue.every(numeric) || !yPred.every(numeric)) return 'classification';
  const integral = yTrue.every((v) => Number.isInteger(Number(v)));
  return integral && new Set(yTrue).size <= MAX_INFERRED_CLASSES ? 'classification' : 'regression';
}

function numbers(values: string[], what: string): number[] {
  return values.map((v, i) => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x)) throw invalid(`Value ${i + 1} of the ${what} is '${v}', not a number; a regression needs numbers (or evaluate as a classification).`);
    return x;
  });
}

function positiveLabelOf(classes: string[], given: string | undefined): string {
  if (given !== undefined) {
    if (!classes.includes(given)) throw invalid(`The positive label '${given}' is not a class of the labels or predictions (${classes.join(', ')}); pick one of those.`);
    return given;
  }
  const conventional = classes.find((c) => ['1', 'true', 'yes'].includes(c.toLowerCase()));
  if (conventional !== undefined) return conventional;
  if (classes.length === 2) return classes[1]!;
  throw invalid(`Fairness differences compare rates of one favourable outcome, and there are ${classes.length} classes (${classes.join(', ')}); say which is the positive label.`);
}
