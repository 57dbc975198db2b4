// The Evaluation Report webview in headless Chromium under the real CSP, fed reports the evaluation
// core built from small fixed data whose confusion matrix can be checked by eye; class names and
// slice values are hostile markup (they must stay text).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EvaluationRecord } from '../../src/core/evaluate/evaluation-record.ts';
import { buildEvaluationReport } from '../../src/core/evaluate/evaluation-report.ts';
import { permutationImportance } from '../../src/core/evaluate/permutation-importance.ts';
import type { DataRow } from '../../src/core/evaluate/evaluation-types.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { openWebview, type WebviewHarness } from './webview-harness.ts';

const SHOTS = join(REPO_ROOT, 'test-results', 'webview');
const XSS_CLASS = '<img src=x onerror="window.__xss=1">';
const XSS_SLICE = '<script>window.__xss=2</script>';

// 10 rows, classes cat / dog / XSS_CLASS. True → predicted:
//   cat: cat, cat, cat, dog          (3 right, 1 as dog)
//   dog: dog, dog, cat               (2 right, 1 as cat)
//   XSS: XSS, XSS, dog               (2 right, 1 as dog)
const TRUE = ['cat', 'cat', 'cat', 'cat', 'dog', 'dog', 'dog', XSS_CLASS, XSS_CLASS, XSS_CLASS];
const PRED_A = ['cat', 'cat', 'cat', 'dog', 'dog', 'dog', 'cat', XSS_CLASS, XSS_CLASS, 'dog'];
// The challenger gets one more cat right.
const PRED_B = ['cat', 'cat', 'cat', 'cat', 'dog', 'dog', 'cat', XSS_CLASS, XSS_CLASS, 'dog'];
const SITE = ['north', XSS_SLICE, 'north', XSS_SLICE, 'north', XSS_SLICE, XSS_SLICE, 'north', 'north', XSS_SLICE];
const rows: DataRow[] = TRUE.map((y, i) => ({ x: i, site: SITE[i], label: y }));

function probabilities(pred: string[]): number[][] {
  const classes = ['cat', 'dog', XSS_CLASS].sort();
  return pred.map((p) => classes.map((c) => (c === p ? 0.8 : 0.1)));
}

async function record(pred: string[], version: number, sha = 'abc'): Promise<EvaluationRecord> {
  const report = buildEvaluationReport({ rows, labelColumn: 'label', sliceBy: ['site'], sensitive: 'site', positiveLabel: 'cat' }, { predictions: pred, probabilities: probabilities(pred) });
  // Importance through the core, with a "model" that reads x only through a lookup: x matters, site does not.
  report.importance = await permutationImportance({ rows, labelColumn: 'label', task: 'classification', repeats: 3, seed: 1, features: ['x', 'site'], predict: async (rs) => ({ predictions: rs.map((r) => pred[Number(r.x)]!) }) });
  return { ...report, model: 'pets', version, alias: version === 1 ? 'champion' : null, data: { file: '/data/test.csv', sha256: sha, rows: 10, columns: ['x', 'site', 'label'] }, runId: 'f'.repeat(32), createdTime: Date.UTC(2026, 11, 1, 12), durationMs: 1234, scoring: { rowsPerSecond: 1000, batchSize: 1000 } };
}

before(() => mkdirSync(SHOTS, { recursive: true }));

async function assertClean(h: WebviewHarness): Promise<void> {
  assert.deepEqual(await h.cspViolations(), [], 'no CSP violations');
  assert.deepEqual(h.pageErrors, [], 'no page errors');
  assert.equal(await h.page.evaluate(() => (window as any).__xss), undefined, 'no injected script ran');
  assert.equal(await h.page.locator('#app img, #app script').count(), 0, 'data never becomes markup');
}

const heatmap = (h: WebviewHarness, nth = 0) =>
  h.page.$$eval(
    'table.heatmap',
    (tables, i) => {
      const t = tables[i as number]!;
      return {
        columns: [...t.querySelectorAll('thead th')].slice(1).map((x) => x.textContent),
        rows: [...t.querySelectorAll('tbody tr')].map((tr) => [tr.querySelector('th')!.textContent, ...[...tr.querySelectorAll('td')].map((td) => td.textContent)]),
        counts: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => Number((td as HTMLElement).dataset.count))),
        shaded: [...t.querySelectorAll('tbody td')].map((td) => (td as HTMLElement).style.backgroundColor !== ''),
      };
    },
    nth,
  );

describe('evaluation report webview', { timeout: 180_000 }, () => {
  test('confusion matrix heatmap (counts and row-normalised), per-class bars, slices sorted worst first, importance with spread, calibration; hostile names stay text', async () => {
    const a = await record(PRED_A, 1);
    const h = await openWebview('evaluation', { theme: 'dark', width: 1300, height: 1200 });
    try {
      await h.waitForPosted('ready');
      await h.send({ type: 'report', evaluations: [a] });
      await h.page.waitForSelector('table.heatmap');
      assert.equal(await h.page.locator('h1').textContent(), 'pets/1 @champion on test.csv');
      // Classes sort as text: '<img…' < 'cat' < 'dog'.
      const m = await heatmap(h);
      assert.deepEqual(m.columns, [XSS_CLASS, 'cat', 'dog']);
      assert.deepEqual(m.rows, [
        [XSS_CLASS, '2', '0', '1'],
        ['cat', '0', '3', '1'],
        ['dog', '0', '1', '2'],
      ]);
      assert.deepEqual(m.shaded, [true, false, true, false, true, true, false, true, true], 'zero cells are not shaded');
      await h.page.click('#normalize');
      await h.page.waitForSelector('table.heatmap[data-mode="normalized"]');
      assert.deepEqual((await heatmap(h)).rows, [
        [XSS_CLASS, '0.67', '0.00', '0.33'],
        ['cat', '0.00', '0.75', '0.25'],
        ['dog', '0.00', '0.33', '0.67'],
      ]);
      assert.deepEqual((await heatmap(h)).counts, [[2, 0, 1], [0, 3, 1], [0, 1, 2]], 'counts stay on the cells');
      // Headline metrics: accuracy 7/10.
      assert.equal(await h.page.locator('tr[data-metric="accuracy"] td').first().textContent(), '0.7');
      // Per-class bars: precision, recall, F1 for each class; cat recall 3/4.
      const perClass = await h.page.evaluate(() => {
        const c = (window as any).__looplineCharts.perClass;
        return { labels: c.data.labels, sets: c.data.datasets.map((d: any) => [d.label, d.data]) };
      });
      assert.deepEqual(perClass.labels, [XSS_CLASS, 'cat', 'dog']);
      assert.deepEqual(perClass.sets[1], ['recall', [2 / 3, 0.75, 2 / 3]]);
      // Slices: north (5 rows: cat✓ cat✓ dog✓ XSS✓ XSS✓ → 1.0) and XSS_SLICE (cat✓ cat✗ dog✓ dog✗ XSS✗ → 0.4); worst first.
      const slices = await h.page.$$eval('table.slices tbody tr.slice', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      assert.deepEqual(slices, [
        [XSS_SLICE, '5', '0.4'],
        ['north', '5', '1'],
      ]);
      assert.equal(await h.page.locator('tr.slice.worst td.slice-value').textContent(), XSS_SLICE);
      assert.match((await h.page.locator('tr.slice-column td.gap').textContent())!, /^gap 0\.6 · worst <script>/);
      // Importance: bars of the mean drop and floating bars mean ± std; x matters most.
      const imp = await h.page.evaluate(() => {
        const c = (window as any).__looplineCharts.importance;
        return { labels: c.data.labels, mean: c.data.datasets[0].data, spread: c.data.datasets[1].data };
      });
      assert.deepEqual(imp.labels, a.importance!.features.map((f) => f.feature));
      assert.equal(imp.labels[0], 'x');
      const x = a.importance!.features[0]!;
      assert.deepEqual(imp.spread[0], [x.mean - x.std, x.mean + x.std]);
      assert.equal(imp.mean[0], x.mean);
      // Calibration: the diagonal and one line of the non-empty bins.
      const cal = await h.page.evaluate(() => (window as any).__looplineCharts.calibration.data.datasets.map((d: any) => d.data.length));
      assert.equal(cal[0], 2);
      assert.equal(cal[1], (a.metrics as any).calibration.bins.filter((b: any) => b.count > 0).length);
      // Fairness groups as text too.
      assert.deepEqual(await h.page.$$eval('table.fairness tbody td:first-child', (tds) => tds.map((t) => t.textContent).sort()), [XSS_SLICE, 'north'].sort());
      await h.page.click('#compare-with');
      assert.deepEqual(await h.waitForPosted('compareWith'), { type: 'compareWith' });
      await h.page.screenshot({ path: join(SHOTS, 'evaluation-dark.png'), fullPage: true });
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('two evaluations side by side: both heatmaps, differences marked better/worse by metric direction; a data mismatch is flagged', async () => {
    const a = await record(PRED_A, 1);
    const b = await record(PRED_B, 2, 'other');
    const h = await openWebview('evaluation', { theme: 'light', width: 1400, height: 1200 });
    try {
      await h.waitForPosted('ready');
      await h.send({ type: 'report', evaluations: [a, b] });
      await h.page.waitForSelector('table.heatmap');
      assert.equal(await h.page.locator('h1').textContent(), 'pets/1 @champion vs pets/2');
      assert.equal(await h.page.locator('table.heatmap').count(), 2);
      assert.deepEqual((await heatmap(h, 1)).counts, [[2, 0, 1], [0, 4, 0], [0, 1, 2]]);
      const row = (metric: string) => h.page.$$eval(`tr[data-metric="${metric}"] td`, (tds) => tds.map((t) => [t.textContent, (t as HTMLElement).dataset.verdict ?? null]));
      assert.deepEqual(await row('accuracy'), [['0.7', null], ['0.8', null], ['▲ +0.1', 'better']]);
      // The slice gap grew (north stays 1.0, the other slice improved to 0.6 → gap 0.4): smaller gap is better.
      const gap = await row('slice_gap.accuracy');
      assert.equal(gap[2]![1], 'better');
      assert.equal(gap[2]![0], "▲ −0.2", "a smaller gap is an improvement (formatDelta writes a real minus)");
      const perClass = await h.page.evaluate(() => (window as any).__looplineCharts.perClass.data.datasets.map((d: any) => d.label));
      assert.deepEqual(perClass, ['F1 pets/1 @champion', 'F1 pets/2']);
      assert.match((await h.page.locator('p.warning').textContent())!, /different data files/);
      await h.page.click('#close-comparison');
      assert.deepEqual(await h.waitForPosted('closeComparison'), { type: 'closeComparison' });
      await h.page.screenshot({ path: join(SHOTS, 'evaluation-compare-light.png'), fullPage: true });
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('progress with cancel; an error is shown as text', async () => {
    const h = await openWebview('evaluation', { theme: 'light' });
    try {
      await h.waitForPosted('ready');
      await h.send({ type: 'progress', message: 'Scoring 150 rows…', fraction: 0.25 });
      await h.page.waitForSelector('.progress:not([hidden])');
      assert.equal(await h.page.locator('.progress-text').textContent(), 'Scoring 150 rows…');
      await h.page.click('#cancel');
      assert.deepEqual(await h.waitForPosted('cancel'), { type: 'cancel' });
      await h.send({ type: 'error', message: `iris/2 refused 1 of 20 rows <b>bad</b>` });
      await h.page.waitForSelector('.banner:not([hidden])');
      assert.equal(await h.page.locator('.banner').textContent(), 'iris/2 refused 1 of 20 rows <b>bad</b>');
      await assertClean(h);
    } finally {
      await h.close();
    }
  });
});
