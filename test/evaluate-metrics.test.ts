// Evaluation core: metrics against hand-computed values, slices and Fairlearn's two fairness
// differences against their definitions, permutation importance on data where only one feature
// matters, and the errors bad input gets.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classificationMetrics } from '../src/core/evaluate/classification-metrics.ts';
import { regressionMetrics } from '../src/core/evaluate/regression-metrics.ts';
import { buildEvaluationReport, evaluateModel, evaluationMetricValues } from '../src/core/evaluate/evaluation-report.ts';
import { permutationImportance } from '../src/core/evaluate/permutation-importance.ts';
import type { DataRow, ModelOutput } from '../src/core/evaluate/evaluation-types.ts';
import { seededRandom } from '../src/core/monitoring/seeded-random.ts';

const close = (actual: number | null | undefined, expected: number, what: string, tol = 1e-12) =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);

describe('classification metrics', () => {
  // true → predicted: cat→cat ×3, cat→dog ×1, dog→dog ×2, dog→cat ×1, fox→fox ×2, fox→dog ×1
  const yTrue = ['cat', 'cat', 'cat', 'cat', 'dog', 'dog', 'dog', 'fox', 'fox', 'fox'];
  const yPred = ['cat', 'cat', 'cat', 'dog', 'dog', 'dog', 'cat', 'fox', 'fox', 'dog'];

  test('confusion matrix, accuracy, per-class and averaged precision/recall/F1', () => {
    const m = classificationMetrics(yTrue, yPred);
    assert.deepEqual(m.confusionMatrix, {
      classes: ['cat', 'dog', 'fox'],
      matrix: [
        [3, 1, 0],
        [1, 2, 0],
        [0, 1, 2],
      ],
    });
    close(m.accuracy, 0.7, 'accuracy');
    const [cat, dog, fox] = m.perClass;
    assert.deepEqual([cat!.support, dog!.support, fox!.support], [4, 3, 3]);
    close(cat!.precision, 3 / 4, 'cat precision');
    close(cat!.recall, 3 / 4, 'cat recall');
    close(dog!.precision, 2 / 4, 'dog precision');
    close(dog!.recall, 2 / 3, 'dog recall');
    close(dog!.f1, 4 / 7, 'dog f1');
    close(fox!.precision, 1, 'fox precision');
    close(fox!.f1, 0.8, 'fox f1');
    close(m.precisionMacro, 0.75, 'macro precision');
    close(m.recallMacro, (3 / 4 + 2 / 3 + 2 / 3) / 3, 'macro recall');
    close(m.f1Macro, (0.75 + 4 / 7 + 0.8) / 3, 'macro f1');
    close(m.f1Weighted, (4 * 0.75 + 3 * (4 / 7) + 3 * 0.8) / 10, 'weighted f1');
    assert.equal(m.logLoss, undefined, 'no probabilities, no log loss');
  });

  test('log loss, ROC AUC and calibration table from probabilities', () => {
    // scikit-learn's roc_auc_score doc example: AUC 0.75.
    const p1 = [0.1, 0.4, 0.35, 0.8];
    const m = classificationMetrics(['0', '0', '1', '1'], ['0', '0', '0', '1'], p1.map((p) => [1 - p, p]), ['0', '1']);
    close(m.rocAuc, 0.75, 'roc auc');
    close(m.logLoss, -(Math.log(0.9) + Math.log(0.6) + Math.log(0.35) + Math.log(0.8)) / 4, 'log loss');
    const c = m.calibration!;
    assert.equal(c.kind, 'positive-class');
    assert.equal(c.bins.length, 10);
    assert.deepEqual(
      c.bins.filter((b) => b.count > 0).map((b) => [b.lower, b.count, b.meanPredicted, b.fractionPositive]),
      [
        [0.1, 1, 0.1, 0],
        [0.3, 1, 0.35, 1],
        [0.4, 1, 0.4, 0],
        [0.8, 1, 0.8, 1],
      ],
    );
    close(c.expectedCalibrationError, (0.1 + 0.65 + 0.4 + 0.2) / 4, 'ECE');
  });

  test('multiclass one-vs-rest AUC is the macro mean; a class ranked perfectly scores 1', () => {
    const m = classificationMetrics(['a', 'b', 'c', 'a'], ['a', 'b', 'c', 'b'], [
      [0.8, 0.1, 0.1],
      [0.2, 0.7, 0.1],
      [0.1, 0.2, 0.7],
      [0.3, 0.6, 0.1],
    ]);
    close(m.rocAucPerClass!.a, 1, 'a vs rest'); // a scores .8,.3 vs .2,.1
    close(m.rocAucPerClass!.b, 1, 'b vs rest'); // b scores .7 vs .1,.2,.6
    close(m.rocAucPerClass!.c, 1, 'c vs rest');
    close(m.rocAuc, 1, 'macro');
    assert.equal(m.calibration!.kind, 'top-label');
  });
});

test('regression metrics with known residuals', () => {
  // scikit-learn's doc example: MSE 0.375, R² 0.948608137...
  const m = regressionMetrics([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]);
  close(m.mae, 0.5, 'mae');
  close(m.rmse, Math.sqrt(0.375), 'rmse');
  close(m.r2, 0.9486081370449679, 'r2');
  // residuals 0.5, -0.5, 0, -1 → sorted -1, -0.5, 0, 0.5
  const q = Object.fromEntries(m.residualQuantiles.map((x) => [x.q, x.value]));
  assert.deepEqual([q[0], q[0.25], q[0.5], q[0.75], q[1]], [-1, -0.625, -0.25, 0.125, 0.5]);
  assert.equal(regressionMetrics([2, 2], [1, 3]).r2, null, 'R² of a constant label is undefined, not NaN');
});

describe('slices and fairness on a worked example', () => {
  const groups = ['A', 'A', 'A', 'A', 'A', 'A', 'B', 'B', 'B', 'B', 'B', 'B'];
  const labels = [1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0];
  const preds = [1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0];
  const rows: DataRow[] = groups.map((g, i) => ({ group: g, age: String(20 + i), y: String(labels[i]) }));
  const output: ModelOutput = { predictions: preds };

  // By the definitions, straight from the rows.
  const rate = (idx: number[], pick: (i: number) => boolean) => {
    const of = idx.filter(pick);
    return of.length ? of.filter((i) => preds[i] === 1).length / of.length : NaN;
  };
  const idxOf = (g: string) => groups.map((x, i) => (x === g ? i : -1)).filter((i) => i >= 0);
  const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
  const selection = ['A', 'B'].map((g) => rate(idxOf(g), () => true));
  const tpr = ['A', 'B'].map((g) => rate(idxOf(g), (i) => labels[i] === 1));
  const fpr = ['A', 'B'].map((g) => rate(idxOf(g), (i) => labels[i] === 0));
  const accuracyOf = (idx: number[]) => idx.filter((i) => preds[i] === labels[i]).length / idx.length;

  test('per-slice metrics, worst slice and gap; numeric columns binned into quartiles', () => {
    const report = buildEvaluationReport({ rows, labelColumn: 'y', sliceBy: ['group', 'age'], sensitive: 'group' }, output);
    assert.equal(report.task, 'classification');
    const bygroup = report.slices[0]!;
    assert.equal(bygroup.binned, false);
    assert.deepEqual(
      bygroup.slices.map((s) => [s.value, s.n, s.metrics.accuracy]),
      [
        ['A', 6, accuracyOf(idxOf('A'))],
        ['B', 6, accuracyOf(idxOf('B'))],
      ],
    );
    assert.deepEqual(bygroup.worst.accuracy, { value: 'A', score: 4 / 6 });
    close(bygroup.gap.accuracy, 1 / 3, 'accuracy gap by group');

    const byAge = report.slices[1]!;
    assert.equal(byAge.binned, true, '12 distinct ages are binned');
    assert.deepEqual(
      byAge.slices.map((s) => [s.value, s.n]),
      [
        ['[20, 22.75)', 3],
        ['[22.75, 25.5)', 3],
        ['[25.5, 28.25)', 3],
        ['[28.25, 31]', 3],
      ],
    );
    const binAcc = [0, 3, 6, 9].map((s) => accuracyOf([s, s + 1, s + 2]));
    assert.deepEqual(byAge.slices.map((s) => s.metrics.accuracy), binAcc);
    close(byAge.gap.accuracy, spread(binAcc), 'accuracy gap by age');
    const largest = Math.max(spread(binAcc), 1 / 3);
    close(report.sliceGaps.accuracy!.gap, largest, 'largest accuracy gap');
    close(evaluationMetricValues(report)['eval.slice_gap.accuracy'], largest, 'eval.slice_gap.accuracy');
  });

  test("Fairlearn's demographic parity and equalized odds differences", () => {
    const f = buildEvaluationReport({ rows, labelColumn: 'y', sensitive: 'group' }, output).fairness!;
    assert.equal(f.positiveLabel, '1');
    close(f.demographicParityDifference, spread(selection), 'demographic parity difference');
    close(f.demographicParityDifference, 1 / 6, 'by hand: 3/6 vs 2/6');
    close(f.truePositiveRateDifference, spread(tpr), 'TPR difference');
    close(f.falsePositiveRateDifference, spread(fpr), 'FPR difference');
    close(f.equalizedOddsDifference, Math.max(spread(tpr), spread(fpr)), 'equalized odds difference');
    close(f.equalizedOddsDifference, 1 / 3, 'by hand: TPR 2/3 vs 1, FPR 1/3 vs 0');
  });

  test('the report is plain JSON and carries the eval.* names gates use', () => {
    const report = buildEvaluationReport({ rows, labelColumn: 'y', sliceBy: ['group'], sensitive: 'group' }, output);
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
    const values = evaluationMetricValues(report);
    close(values['eval.accuracy'], 10 / 12, 'eval.accuracy');
    for (const name of ['eval.f1_macro', 'eval.precision_macro', 'eval.recall_weighted', 'eval.slice_gap.f1_macro', 'eval.demographic_parity_difference', 'eval.equalized_odds_difference']) {
      assert.equal(typeof values[name], 'number', name);
    }
    assert.equal(values['eval.roc_auc'], undefined, 'no probabilities, no AUC');
  });
});

describe('permutation importance', () => {
  const random = seededRandom(7);
  const rows: DataRow[] = Array.from({ length: 300 }, () => ({ x0: random(), x1: random(), x2: String(random()) }));
  for (const r of rows) r.label = (r.x0 as number) > 0.5 ? 'yes' : 'no';
  // A model that learned the rule and gives the noise features a little weight.
  let calls = 0;
  const predict = async (batch: DataRow[]): Promise<ModelOutput> => {
    calls++;
    return { predictions: batch.map((r) => ((r.x0 as number) + 0.02 * (r.x1 as number) + 0.02 * Number(r.x2) > 0.52 ? 'yes' : 'no')) };
  };

  test('ranks the only informative feature first, records repeats and seed, and is reproducible', async () => {
    calls = 0;
    const a = await permutationImportance({ rows, labelColumn: 'label', task: 'classification', predict, repeats: 4, seed: 42 });
    assert.equal(calls, 1 + 3 * 4, 'one baseline call and one per feature and repeat');
    assert.deepEqual([a.repeats, a.seed, a.scoring], [4, 42, 'accuracy']);
    assert.equal(a.features[0]!.feature, 'x0');
    assert.ok(a.features[0]!.mean > 0.3, `shuffling x0 costs accuracy: ${a.features[0]!.mean}`);
    for (const f of a.features.slice(1)) assert.ok(Math.abs(f.mean) < 0.05, `${f.feature} barely matters: ${f.mean}`);
    assert.equal(a.features[0]!.drops.length, 4);
    assert.ok(a.features[0]!.std > 0 && a.features[0]!.std < 0.1, `spread over repeats: ${a.features[0]!.std}`);
    const again = await permutationImportance({ rows, labelColumn: 'label', task: 'classification', predict, repeats: 4, seed: 42 });
    assert.deepEqual(again, a, 'same seed, same report');
    const other = await permutationImportance({ rows, labelColumn: 'label', task: 'classification', predict, repeats: 4, seed: 43 });
    assert.notDeepEqual(other.features[0]!.drops, a.features[0]!.drops, 'another seed shuffles differently');
  });

  test('evaluateModel runs the model and adds importance to the report', async () => {
    const report = await evaluateModel({ rows, labelColumn: 'label', predict, importance: { repeats: 2, seed: 1, features: ['x0', 'x1'] } });
    assert.equal(report.importance!.features[0]!.feature, 'x0');
    assert.equal(typeof evaluationMetricValues(report)['eval.importance.x0'], 'number');
  });
});

describe('bad input gets an error that says what to do', () => {
  const rows: DataRow[] = [
    { a: '1', y: 'p' },
    { a: '2', y: 'q' },
    { a: '3', y: 'p' },
  ];
  const ok: ModelOutput = { predictions: ['p', 'q', 'q'] };

  test('missing label column', () => {
    assert.throws(() => buildEvaluationReport({ rows, labelColumn: 'target' }, ok), /label column 'target' is not in the data \(columns: a, y\); pass .* --label/);
  });

  test('unknown slice or sensitive column', () => {
    assert.throws(() => buildEvaluationReport({ rows, labelColumn: 'y', sliceBy: ['region'] }, ok), /slice column 'region' is not in the data \(columns: a, y\); pass one of those to --slice-by/);
    assert.throws(() => buildEvaluationReport({ rows, labelColumn: 'y', sensitive: 'sex' }, ok), /sensitive column 'sex' .* --sensitive/);
  });

  test('wrong number of predictions, or probabilities that do not fit', async () => {
    await assert.rejects(
      evaluateModel({ rows, labelColumn: 'y', predict: async () => ({ predictions: ['p', 'q'] }) }),
      /returned 2 predictions for 3 rows; it must return exactly one prediction per input row/,
    );
    await assert.rejects(evaluateModel({ rows, labelColumn: 'y', predict: async () => ({}) as ModelOutput }), /no "predictions" list/);
    assert.throws(
      () => buildEvaluationReport({ rows, labelColumn: 'y' }, { predictions: ['p', 'q', 'q'], probabilities: [[0.5, 0.5], [0.1, 0.9], [1]] }),
      /Probability row 3 should hold 2 finite numbers \(one per class: p, q\)/,
    );
  });

  test('unlabelled rows, text labels in a regression, and fairness without a positive class', () => {
    assert.throws(() => buildEvaluationReport({ rows: [...rows, { a: '4', y: '' }], labelColumn: 'y' }, { predictions: ['p', 'q', 'q', 'p'] }), /Row 4 has no value in the label column 'y'; drop or fill/);
    assert.throws(() => buildEvaluationReport({ rows, labelColumn: 'y', task: 'regression' }, { predictions: [1, 2, 3] }), /'p', not a number/);
    const three: DataRow[] = [{ g: 'x', y: 'a' }, { g: 'y', y: 'b' }, { g: 'x', y: 'c' }];
    assert.throws(() => buildEvaluationReport({ rows: three, labelColumn: 'y', sensitive: 'g' }, { predictions: ['a', 'b', 'c'] }), /say which is the positive label/);
    assert.throws(() => buildEvaluationReport({ rows: three, labelColumn: 'y', sensitive: 'g', positiveLabel: 'z' }, { predictions: ['a', 'b', 'c'] }), /positive label 'z' is not a class/);
  });
});
