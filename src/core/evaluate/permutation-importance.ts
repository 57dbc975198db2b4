import { invalid } from '../errors.ts';
import { seededRandom } from '../monitoring/seeded-random.ts';
import { classificationMetrics } from './classification-metrics.ts';
import type { DataRow, EvaluationTask, ModelOutput, PredictFn } from './evaluation-types.ts';
import { regressionMetrics } from './regression-metrics.ts';

export type ImportanceScoring = 'accuracy' | 'f1_macro' | 'r2' | 'neg_rmse';

export interface FeatureImportance {
  feature: string;
  /** Mean drop of the score when the feature's values are shuffled; larger = the model relies on it more. */
  mean: number;
  /** Population standard deviation of the drop over the repeats (numpy's default, as scikit-learn reports). */
  std: number;
  drops: number[];
}

export interface PermutationImportance {
  scoring: ImportanceScoring;
  baselineScore: number;
  repeats: number;
  seed: number;
  /** Sorted by mean drop, most important first. */
  features: FeatureImportance[];
}

export interface PermutationImportanceInput {
  rows: DataRow[];
  labelColumn: string;
  task: EvaluationTask;
  predict: PredictFn;
  /** Default: every column except the label. */
  features?: string[];
  repeats?: number;
  seed?: number;
  scoring?: ImportanceScoring;
}

export function scoreOutput(task: EvaluationTask, scoring: ImportanceScoring, yTrue: string[], output: ModelOutput): number {
  checkPredictionCount(output, yTrue.length);
  const yPred = output.predictions.map(String);
  if (task === 'classification') {
    if (scoring !== 'accuracy' && scoring !== 'f1_macro') throw invalid(`Scoring '${scoring}' is for regression; use 'accuracy' or 'f1_macro' for a classifier.`);
    const m = classificationMetrics(yTrue, yPred);
    return scoring === 'accuracy' ? m.accuracy : m.f1Macro;
  }
  if (scoring !== 'r2' && scoring !== 'neg_rmse') throw invalid(`Scoring '${scoring}' is for classification; use 'r2' or 'neg_rmse' for a regressor.`);
  const m = regressionMetrics(yTrue.map(Number), yPred.map(Number));
  if (scoring === 'neg_rmse') return -m.rmse;
  if (m.r2 === null) throw invalid("R² is undefined because every label is the same; use scoring 'neg_rmse' for permutation importance on this data.");
  return m.r2;
}

export function checkPredictionCount(output: ModelOutput, rows: number): void {
  const got = Array.isArray(output?.predictions) ? output.predictions.length : undefined;
  if (got !== rows) {
    throw invalid(
      got === undefined
        ? `The model's answer has no "predictions" list; it must return {"predictions": [...]} with one prediction per input row.`
        : `The model returned ${got} predictions for ${rows} rows; it must return exactly one prediction per input row, in the same order.`,
    );
  }
}

/**
 * scikit-learn's permutation_importance: shuffle one feature's column (breaking its link to the label),
 * score again, and report the drop from the unshuffled score, over `repeats` shuffles. The PRNG is seeded
 * and the seed recorded so a report can be reproduced exactly.
 */
export async function permutationImportance(input: PermutationImportanceInput): Promise<PermutationImportance> {
  const { rows, labelColumn, task, predict } = input;
  const repeats = input.repeats ?? 5;
  const seed = input.seed ?? 0;
  const scoring = input.scoring ?? (task === 'classification' ? 'accuracy' : 'r2');
  if (!Number.isInteger(repeats) || repeats < 1) throw invalid(`Repeats must be a whole number of at least 1, got ${repeats}.`);
  if (!Number.isInteger(seed)) throw invalid(`The seed must be a whole number, got ${seed}.`);
  const columns = columnsOf(rows);
  const features = input.features ?? [...columns].filter((c) => c !== labelColumn);
  for (const f of features) {
    if (!columns.has(f)) throw invalid(`Feature '${f}' is not a column of the data (columns: ${[...columns].join(', ')}); pick features from those.`);
    if (f === labelColumn) throw invalid(`'${f}' is the label column; permutation importance shuffles features, not the label.`);
  }
  const yTrue = rows.map((r) => String(r[labelColumn]));
  const baselineScore = scoreOutput(task, scoring, yTrue, await predict(rows));
  const random = seededRandom(seed);
  const result: FeatureImportance[] = [];
  for (const feature of features) {
    const drops: number[] = [];
    for (let k = 0; k < repeats; k++) {
      const values = rows.map((r) => r[feature]);
      for (let i = values.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [values[i], values[j]] = [values[j], values[i]];
      }
      const shuffled = rows.map((r, i) => ({ ...r, [feature]: values[i] }));
      drops.push(baselineScore - scoreOutput(task, scoring, yTrue, await predict(shuffled)));
    }
    const mean = drops.reduce((a, b) => a + b, 0) / repeats;
    const std = Math.sqrt(drops.reduce((a, d) => a + (d - mean) ** 2, 0) / repeats);
    result.push({ feature, mean, std, drops });
  }
  result.sort((a, b) => b.mean - a.mean);
  return { scoring, baselineScore, repeats, seed, features: result };
}

export function columnsOf(rows: DataRow[]): Set<string> {
  const out = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) out.add(k);
  return out;
}
