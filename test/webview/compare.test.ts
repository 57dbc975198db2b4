// The Compare webview in headless Chromium under the real CSP: charts (data, colours, axes, zoom,
// live appends, downsampling note), tables, exports, state across reloads, themes and XSS safety.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.ts';
import { firstChartBuckets } from '../../src/protocol/compare-protocol.ts';
import { openWebview, type ThemeKind, type WebviewHarness } from './webview-harness.ts';

const SHOTS = join(REPO_ROOT, 'test-results', 'webview');
const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const runId = (n: number) => n.toString(16).padStart(32, '0');
const A = runId(0xa1);
const B = runId(0xb2);
const C = runId(0xc3);

interface RunFixture {
  id: string;
  name: string;
  colorIndex: number;
  status?: string;
  params: Record<string, string>;
  metrics?: Array<{ key: string; last: number; min: number; minStep: number; max: number; maxStep: number }>;
}

function runMsg(r: RunFixture, i: number) {
  return {
    id: r.id,
    name: r.name,
    experimentId: '1',
    status: r.status ?? 'FINISHED',
    startTime: T0 + i * 600_000,
    endTime: r.status === 'RUNNING' ? null : T0 + i * 600_000 + 100_000,
    params: r.params,
    tags: { team: 'vision' },
    metrics: (r.metrics ?? []).map((m) => ({ key: m.key, last: m.last, lastStep: 99, min: m.min, minStep: m.minStep, max: m.max, maxStep: m.maxStep, count: 100 })),
    colorIndex: r.colorIndex,
  };
}

const RUNS = [
  runMsg({ id: A, name: 'baseline', colorIndex: 0, params: { lr: '0.01', batch: '32', optimizer: 'adam' }, metrics: [{ key: 'accuracy', last: 0.9, min: 0.1, minStep: 0, max: 0.92, maxStep: 95 }, { key: 'loss', last: 0.1, min: 0.05, minStep: 90, max: 2, maxStep: 0 }] }, 0),
  runMsg({ id: B, name: 'lr-0.1', colorIndex: 1, params: { lr: '0.1', batch: '32', optimizer: 'adam' }, metrics: [{ key: 'accuracy', last: 0.85, min: 0.1, minStep: 0, max: 0.87, maxStep: 97 }, { key: 'loss', last: 0.2, min: 0.1, minStep: 80, max: 2.2, maxStep: 0 }] }, 1),
  runMsg({ id: C, name: 'sgd-wide', colorIndex: 2, status: 'RUNNING', params: { lr: '0.01', batch: '32', optimizer: 'sgd', width: '512' }, metrics: [{ key: 'accuracy', last: 0.8, min: 0.1, minStep: 0, max: 0.82, maxStep: 99 }, { key: 'loss', last: 0.3, min: 0.04, minStep: 70, max: 2.5, maxStep: 0 }] }, 2),
];
const RUN_IDS = [A, B, C];

function init(overrides: Record<string, unknown> = {}) {
  return { type: 'init', mode: 'panel', runs: RUNS, metricKeys: ['accuracy', 'loss'], paramKeys: ['batch', 'lr', 'optimizer', 'width'], sweepParams: ['lr', 'optimizer'], live: true, ...overrides };
}

function valueAt(key: string, run: number, step: number): number {
  return key === 'loss' ? Math.exp(-step / (20 + run * 10)) + 0.02 * Math.sin(step) + 0.01 : 1 - Math.exp(-step / (25 + run * 5));
}

/** A series for run index `run` over [from, to], every `every` steps. */
function series(key: string, run: number, from = 0, to = 99, every = 1, extra: Record<string, unknown> = {}) {
  const steps: number[] = [];
  const times: number[] = [];
  const values: Array<number | null> = [];
  for (let s = from; s <= to; s += every) {
    steps.push(s);
    times.push(T0 + run * 600_000 + s * 1000);
    values.push(valueAt(key, run, s));
  }
  return { runId: RUN_IDS[run]!, key, steps, times, values, downsampled: false, sourcePoints: steps.length, minStep: from, maxStep: to, ...extra };
}

/** Answers every requestSeries the app posted and that was not answered yet. */
async function answerRequests(h: WebviewHarness, answered: Set<number>, make?: (req: any) => unknown[]): Promise<any[]> {
  const reqs = (await h.posted()).filter((m) => m.type === 'requestSeries' && !answered.has(m.requestId));
  for (const r of reqs) {
    answered.add(r.requestId);
    const lo = r.range?.minStep ?? 0;
    const hi = r.range?.maxStep ?? 99;
    const list = make ? make(r) : [0, 1, 2].map((i) => series(r.key, i, lo, Math.min(hi, 99)));
    await h.send({ type: 'series', requestId: r.requestId, key: r.key, xAxis: r.xAxis, range: r.range, series: list });
  }
  return reqs;
}

async function waitForRequests(h: WebviewHarness, answered: Set<number>, count: number, pred: (m: any) => boolean = () => true, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const open = (await h.posted()).filter((m) => m.type === 'requestSeries' && !answered.has(m.requestId) && pred(m));
    if (open.length >= count) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${count} requestSeries; posted: ${JSON.stringify(await h.posted())}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface DatasetView {
  runId: string;
  role: string;
  label: string;
  borderColor: string;
  hidden: boolean;
  xs: number[];
  ys: Array<number | null>;
}

async function datasets(h: WebviewHarness, key: string): Promise<DatasetView[]> {
  return h.page.evaluate((k) => {
    const chart = (window as any).__looplineCharts[k];
    return chart.data.datasets.map((d: any) => ({ runId: d.runId, role: d.role, label: d.label, borderColor: d.borderColor, hidden: !chart.isDatasetVisible(chart.data.datasets.indexOf(d)), xs: d.data.map((p: any) => p.x), ys: d.data.map((p: any) => p.y) }));
  }, key);
}

const mains = (ds: DatasetView[]) => ds.filter((d) => d.role === 'main');

async function scaleX(h: WebviewHarness, key: string): Promise<{ min: number; max: number; type: string; optMin: unknown; optMax: unknown }> {
  return h.page.evaluate((k) => {
    const c = (window as any).__looplineCharts[k];
    return { min: c.scales.x.min, max: c.scales.x.max, type: c.scales.x.type, optMin: c.options.scales.x.min ?? null, optMax: c.options.scales.x.max ?? null };
  }, key);
}

async function chooseOption(h: WebviewHarness, selectId: string, label: string): Promise<void> {
  await h.page.click(`#${selectId}`);
  await h.page.locator(`#${selectId}`).getByRole('option', { name: label, exact: true }).click();
}

async function themeColors(h: WebviewHarness): Promise<string[]> {
  return h.page.evaluate(() => ['red', 'blue', 'yellow'].map((c) => getComputedStyle(document.body).getPropertyValue(`--vscode-charts-${c}`).trim()));
}

async function assertClean(h: WebviewHarness): Promise<void> {
  assert.deepEqual(await h.cspViolations(), [], 'no CSP violations');
  assert.deepEqual(h.pageErrors, [], 'no page errors');
}

/** The toolbar, tables and sweep view are built after the charts on screen have drawn (aria-busy until then). */
async function pageBuilt(h: WebviewHarness): Promise<void> {
  await h.page.waitForSelector('#app:not([aria-busy])', { state: 'attached' });
}

async function openLoaded(theme: ThemeKind = 'light', initMsg = init(), opts: { width?: number; height?: number } = {}) {
  const h = await openWebview('compare', { theme, ...opts });
  const answered = new Set<number>();
  await h.waitForPosted('ready');
  await h.send(initMsg);
  await waitForRequests(h, answered, (initMsg.metricKeys as string[]).length);
  await answerRequests(h, answered);
  await pageBuilt(h);
  return { h, answered };
}

describe('compare webview', { timeout: 600_000 }, () => {
  before(() => mkdirSync(SHOTS, { recursive: true }));

  describe('charts', () => {
    let h: WebviewHarness;
    const answered = new Set<number>();
    before(async () => {
      h = await openWebview('compare', { theme: 'light' });
    });
    after(() => h.close());

    test('says ready, then requests each metric with its pixel width and draws a series per run in its colour', async () => {
      const ready = await h.waitForPosted('ready');
      assert.equal(ready.type, 'ready');
      await h.send(init());
      await waitForRequests(h, answered, 2);
      const reqs = (await h.posted()).filter((m) => m.type === 'requestSeries');
      assert.deepEqual(reqs.map((r) => r.key).sort(), ['accuracy', 'loss']);
      // `ready` told the extension how wide two charts would be, before they existed: the first
      // chart's read can start with it and answer this request.
      assert.equal(ready.firstChart.xAxis, 'step');
      assert.deepEqual(ready.firstChart.zoomed, []);
      assert.equal(reqs[0]!.buckets, Math.floor(ready.firstChart.widths[1] / 2), `hint ${JSON.stringify(ready.firstChart.widths)}, asked ${reqs[0]!.buckets}`);
      for (const r of reqs) {
        // The chart box the canvas fills (chart.js is built when the data comes).
        const width = await h.page.evaluate((k) => (document.querySelector(`section[data-metric="${k}"] .chart-box`) as HTMLElement).clientWidth, r.key);
        assert.equal(r.buckets, Math.floor(width / 2));
        assert.equal(r.xAxis, 'step');
        assert.equal(r.range, null);
      }
      await answerRequests(h, answered);
      await pageBuilt(h);
      const colors = await themeColors(h);
      for (const key of ['accuracy', 'loss']) {
        const m = mains(await datasets(h, key));
        assert.deepEqual(m.map((d) => d.runId), RUN_IDS);
        assert.deepEqual(m.map((d) => d.label), ['baseline', 'lr-0.1', 'sgd-wide']);
        assert.deepEqual(m.map((d) => d.borderColor), colors, 'runs keep their colour slot in every chart');
        m.forEach((d, i) => {
          assert.equal(d.xs.length, 100);
          assert.deepEqual(d.xs.slice(0, 3), [0, 1, 2]);
          assert.ok(Math.abs(d.ys[10]! - valueAt(key, i, 10)) < 1e-12);
        });
      }
      assert.equal(await h.page.locator('section[data-metric="loss"] .chart-note').isVisible(), false);
    });

    test('ignores a stale answer', async () => {
      const before = mains(await datasets(h, 'loss'))[0]!.ys.slice();
      await h.send({ type: 'series', requestId: 9999, key: 'loss', xAxis: 'step', range: null, series: [series('loss', 0, 0, 5)] });
      assert.deepEqual(mains(await datasets(h, 'loss'))[0]!.ys, before);
    });

    test('shows a note when the host downsampled', async () => {
      await chooseOption(h, 'x-axis-select', 'Relative time');
      await waitForRequests(h, answered, 2, (m) => m.xAxis === 'relative');
      await answerRequests(h, answered, (r) =>
        [0, 1, 2].map((i) => series(r.key, i, 0, 99, 1, r.key === 'loss' ? { downsampled: true, sourcePoints: 5000 } : {})),
      );
      const note = h.page.locator('section[data-metric="loss"] .chart-note');
      assert.equal(await note.isVisible(), true);
      assert.equal(await note.textContent(), 'downsampled: 300 of 15,000 points shown');
      assert.equal(await h.page.locator('section[data-metric="accuracy"] .chart-note').isVisible(), false);
    });

    test('x-axis switch re-requests and re-plots against relative and wall time', async () => {
      // Relative (answered above): seconds since each run's start.
      let m = mains(await datasets(h, 'accuracy'));
      assert.deepEqual(m[1]!.xs.slice(0, 3), [0, 1, 2]);
      assert.equal(m[1]!.xs[99], 99);
      await chooseOption(h, 'x-axis-select', 'Wall time');
      await waitForRequests(h, answered, 2, (r) => r.xAxis === 'wall');
      await answerRequests(h, answered);
      m = mains(await datasets(h, 'accuracy'));
      assert.equal(m[1]!.xs[0], T0 + 600_000);
      const ticks = await h.page.evaluate(() => (window as any).__looplineCharts.accuracy.scales.x.ticks.map((t: any) => t.label));
      assert.ok(ticks.every((t: string) => /^\d\d:\d\d/.test(t)), `wall-clock tick labels: ${ticks.join(' ')}`);
      await chooseOption(h, 'x-axis-select', 'Step');
      await waitForRequests(h, answered, 2, (r) => r.xAxis === 'step');
      await answerRequests(h, answered);
      assert.equal(mains(await datasets(h, 'accuracy'))[1]!.xs[0], 0);
    });

    test('log scale and smoothing', async () => {
      await h.page.click('#log-scale');
      assert.equal(await h.page.evaluate(() => (window as any).__looplineCharts.loss.scales.y.type), 'logarithmic');
      await h.page.click('#log-scale');
      assert.equal(await h.page.evaluate(() => (window as any).__looplineCharts.loss.scales.y.type), 'linear');

      await h.page.evaluate(() => {
        const s = document.querySelector('#smoothing') as HTMLInputElement;
        s.value = '0.8';
        s.dispatchEvent(new Event('input', { bubbles: true }));
      });
      const ds = await datasets(h, 'loss');
      const raw = ds.filter((d) => d.role === 'raw');
      assert.equal(raw.length, 3);
      assert.ok(raw.every((d) => !d.hidden), 'raw series drawn behind the smoothed one');
      assert.ok(raw.every((d) => d.borderColor.startsWith('rgba(') && d.borderColor.endsWith(', 0.25)')), 'raw series faint');
      const main = mains(ds)[0]!;
      assert.ok(Math.abs(raw[0]!.ys[50]! - valueAt('loss', 0, 50)) < 1e-12, 'raw keeps exact values');
      assert.notEqual(main.ys[50], raw[0]!.ys[50]);
      assert.equal(await h.page.locator('.smoothing-value').textContent(), '0.80');
      await h.page.evaluate(() => {
        const s = document.querySelector('#smoothing') as HTMLInputElement;
        s.value = '0';
        s.dispatchEvent(new Event('input', { bubbles: true }));
      });
      assert.ok((await datasets(h, 'loss')).filter((d) => d.role === 'raw').every((d) => d.hidden));
    });

    test('tooltip lists every run at the hovered x', async () => {
      const box = (await h.page.locator('section[data-metric="accuracy"] canvas').boundingBox())!;
      const area = await h.page.evaluate(() => (window as any).__looplineCharts.accuracy.chartArea);
      await h.page.mouse.move(box.x + (area.left + area.right) / 2, box.y + (area.top + area.bottom) / 2);
      const items = await h.page.evaluate(() => (window as any).__looplineCharts.accuracy.tooltip.dataPoints.map((p: any) => ({ label: p.dataset.label, x: p.parsed.x })));
      assert.deepEqual(items.map((i: any) => i.label), ['baseline', 'lr-0.1', 'sgd-wide']);
      assert.equal(new Set(items.map((i: any) => i.x)).size, 1);
      await h.page.mouse.move(1, 1);
    });

    test('hiding a run from the legend hides it in every chart', async () => {
      await h.page.click(`button.run-chip[data-run-id="${B}"]`);
      for (const key of ['accuracy', 'loss']) assert.deepEqual(mains(await datasets(h, key)).map((d) => d.hidden), [false, true, false]);
      assert.equal(await h.page.getAttribute(`button.run-chip[data-run-id="${B}"]`, 'aria-pressed'), 'false');
      // Clicking the chart's own legend entry shows it again, everywhere. The chart must be on
      // screen (a click outside the viewport goes nowhere) and laid out before its hit boxes are read.
      await h.page.locator('section[data-metric="loss"] canvas').scrollIntoViewIfNeeded();
      await h.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(undefined)))));
      const hit = await h.page.evaluate(() => {
        const c = (window as any).__looplineCharts.loss;
        const i = c.legend.legendItems.findIndex((it: any) => it.text === 'lr-0.1');
        const b = c.legend.legendHitBoxes[i];
        return { x: b.left + b.width / 2, y: b.top + b.height / 2 };
      });
      const box = (await h.page.locator('section[data-metric="loss"] canvas').boundingBox())!;
      await h.page.mouse.click(box.x + hit.x, box.y + hit.y);
      for (const key of ['accuracy', 'loss']) {
        // The legend click is handled asynchronously by chart.js's event loop: poll briefly.
        let hidden: boolean[] = [];
        for (let i = 0; i < 20; i++) {
          hidden = mains(await datasets(h, key)).map((d) => d.hidden);
          if (!hidden.some(Boolean)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.deepEqual(hidden, [false, false, false]);
      }
    });

    test('theme switch redraws with the new theme colours', async () => {
      const light = await themeColors(h);
      await h.setTheme('dark');
      const dark = await themeColors(h);
      assert.notDeepEqual(light, dark);
      await h.page.waitForFunction((c) => (window as any).__looplineCharts.loss.data.datasets.find((d: any) => d.role === 'main').borderColor === c, dark[0]);
      assert.deepEqual(mains(await datasets(h, 'loss')).map((d) => d.borderColor), dark);
      const tickColor = await h.page.evaluate(() => (window as any).__looplineCharts.loss.options.scales.x.ticks.color);
      assert.equal(tickColor, await h.page.evaluate(() => getComputedStyle(document.body).getPropertyValue('--vscode-charts-foreground').trim()));
      await h.setTheme('high-contrast');
      await h.page.waitForFunction(() => (window as any).__looplineCharts.loss.options.scales.x.ticks.color === '#ffffff');
      await h.setTheme('light');
    });

    test('PNG and data exports', async () => {
      await h.page.click('section[data-metric="loss"] button.chart-action:has-text("PNG")');
      const png = await h.waitForPosted('savePng');
      assert.equal(png.fileName, 'loss.png');
      assert.match(png.dataUrl, /^data:image\/png;base64,[A-Za-z0-9+/=]{100,}/);
      await h.page.click('#export-data');
      const data = await h.waitForPosted('exportData');
      assert.deepEqual(data.keys, ['accuracy', 'loss']);
      await assertClean(h);
    });
  });

  test('drag to zoom requests exact points for the window; appends keep the zoom; double-click resets', async () => {
    const { h, answered } = await openLoaded('dark');
    try {
      const canvas = h.page.locator('section[data-metric="loss"] canvas');
      const box = (await canvas.boundingBox())!;
      const area = await h.page.evaluate(() => (window as any).__looplineCharts.loss.chartArea);
      const y = box.y + (area.top + area.bottom) / 2;
      const x1 = box.x + area.left + (area.right - area.left) * 0.3;
      const x2 = box.x + area.left + (area.right - area.left) * 0.6;
      await h.page.mouse.move(x1, y);
      await h.page.mouse.down();
      await h.page.mouse.move((x1 + x2) / 2, y, { steps: 3 });
      assert.equal(await h.page.locator('section[data-metric="loss"] .zoom-rect').isVisible(), true, 'drag rectangle follows the mouse');
      await h.page.mouse.move(x2, y, { steps: 3 });
      await h.page.mouse.up();
      assert.equal(await h.page.locator('section[data-metric="loss"] .zoom-rect').isVisible(), false);
      await waitForRequests(h, answered, 1, (m) => m.key === 'loss' && m.range !== null);
      const req = (await h.posted()).filter((m) => m.type === 'requestSeries' && m.key === 'loss').at(-1);
      assert.ok(req.range.minStep >= 25 && req.range.minStep <= 32, `minStep ${req.range.minStep}`);
      assert.ok(req.range.maxStep >= 57 && req.range.maxStep <= 62, `maxStep ${req.range.maxStep}`);
      const zoomed = await scaleX(h, 'loss');
      assert.ok(zoomed.min > 25 && zoomed.max < 62 && zoomed.min < zoomed.max);

      // The answer (exact points, every step in the window, shifted values) replaces the data.
      await answerRequests(h, answered, (r) => [0, 1, 2].map((i) => ({ ...series(r.key, i, r.range.minStep, r.range.maxStep), values: new Array(r.range.maxStep - r.range.minStep + 1).fill(i + 10) })));
      let m = mains(await datasets(h, 'loss'));
      assert.equal(m[0]!.xs[0], req.range.minStep);
      assert.equal(m[0]!.xs.length, req.range.maxStep - req.range.minStep + 1);
      assert.ok(m.every((d, i) => d.ys.every((v) => v === i + 10)));
      assert.deepEqual(await scaleX(h, 'loss'), zoomed, 'answer keeps the zoom window');
      assert.equal(await h.page.locator('section[data-metric="loss"] button:has-text("Reset zoom")').isVisible(), true);

      // Live points of the running run are appended; the zoom stays.
      const beforeLen = m[2]!.xs.length;
      await h.send({ type: 'append', key: 'loss', series: [series('loss', 2, 100, 104)] });
      m = mains(await datasets(h, 'loss'));
      assert.equal(m[2]!.xs.length, beforeLen + 5);
      assert.deepEqual(m[2]!.xs.slice(-2), [103, 104]);
      assert.deepEqual(await scaleX(h, 'loss'), zoomed, 'append keeps the zoom window');
      // An unzoomed chart grows with the append.
      const acc = mains(await datasets(h, 'accuracy'))[2]!.xs.length;
      await h.send({ type: 'append', key: 'accuracy', series: [series('accuracy', 2, 100, 119)] });
      assert.equal(mains(await datasets(h, 'accuracy'))[2]!.xs.length, acc + 20);
      assert.equal((await scaleX(h, 'accuracy')).max, 119);
      await h.send({ type: 'runs', runs: RUNS.map((r) => (r.id === C ? { ...r, status: 'FINISHED', endTime: T0 + 1_300_000 } : r)), live: false });
      assert.equal(await h.page.locator('.live-badge').isVisible(), false);
      assert.equal(await h.page.locator(`button.run-chip[data-run-id="${C}"] .run-chip-status`).count(), 0);

      // Double-click resets: full range requested again.
      await h.page.mouse.dblclick(box.x + (area.left + area.right) / 2, y);
      await waitForRequests(h, answered, 1, (r) => r.key === 'loss' && r.range === null);
      await answerRequests(h, answered);
      const reset = await scaleX(h, 'loss');
      assert.equal(reset.optMin, null);
      assert.equal(reset.max, 99);

      // On a time axis the window becomes the step range of the loaded points inside it.
      await chooseOption(h, 'x-axis-select', 'Relative time');
      await waitForRequests(h, answered, 2, (r) => r.xAxis === 'relative');
      await answerRequests(h, answered);
      await h.page.mouse.move(x1, y);
      await h.page.mouse.down();
      await h.page.mouse.move(x2, y, { steps: 4 });
      await h.page.mouse.up();
      await waitForRequests(h, answered, 1, (r) => r.key === 'loss' && r.range !== null && r.xAxis === 'relative');
      const timeReq = (await h.posted()).filter((r) => r.type === 'requestSeries' && r.key === 'loss').at(-1);
      assert.ok(Number.isInteger(timeReq.range.minStep) && Number.isInteger(timeReq.range.maxStep));
      assert.ok(timeReq.range.minStep >= 20 && timeReq.range.minStep <= 32 && timeReq.range.maxStep >= 55 && timeReq.range.maxStep <= 65, JSON.stringify(timeReq.range));
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('params diff highlights differing params; hide equal; summary marks the best and deltas to the baseline; CSV', async () => {
    const { h } = await openLoaded('light');
    try {
      const rows = await h.page.$$eval('.params-table tbody tr[data-param]', (trs) => trs.map((tr) => ({ param: (tr as HTMLElement).dataset.param, cls: tr.className, differing: tr.querySelectorAll('td.differs').length, cells: [...tr.querySelectorAll('td')].map((td) => td.textContent) })));
      assert.deepEqual(rows, [
        { param: 'batch', cls: 'equal', differing: 0, cells: ['32', '32', '32'] },
        { param: 'lr', cls: 'differs', differing: 3, cells: ['0.01', '0.1', '0.01'] },
        { param: 'optimizer', cls: 'differs', differing: 3, cells: ['adam', 'adam', 'sgd'] },
        { param: 'width', cls: 'differs', differing: 3, cells: ['—', '—', '512'] },
      ]);
      const bg = await h.page.$eval('.params-table td.differs', (td) => getComputedStyle(td).backgroundColor);
      assert.notEqual(bg, 'rgba(0, 0, 0, 0)', 'differing cells are highlighted');
      await h.page.click('#hide-equal');
      assert.equal(await h.page.locator('.params-table tr[data-param="batch"]').isVisible(), false);
      assert.equal(await h.page.locator('.params-table tr[data-param="lr"]').isVisible(), true);
      assert.equal(await h.page.locator('.params-table caption').textContent(), '3 of 4 params differ across the runs (equal ones hidden).');
      assert.equal(await h.page.locator('.params-table thead th').count(), 4, 'a header per run');

      // Summary: best per metric (accuracy: highest max; loss: lowest min), deltas vs the baseline (first run by default).
      const best = await h.page.$$eval('.summary-table td.best', (tds) => tds.map((td) => ({ metric: td.closest('tbody')!.dataset.metric, run: td.closest('tr')!.dataset.runId, col: (td as HTMLElement).dataset.col, text: td.textContent })));
      assert.deepEqual(best, [
        { metric: 'accuracy', run: A, col: 'max', text: '★ best: 0.92' },
        { metric: 'loss', run: C, col: 'min', text: '★ best: 0.04' },
      ]);
      const deltas = async () => h.page.$$eval('.summary-table td[data-col="delta"]', (tds) => tds.map((td) => `${td.closest('tbody')!.dataset.metric}/${td.closest('tr')!.dataset.runId!.slice(-2)}: ${td.textContent} ${td.className}`));
      assert.deepEqual(await deltas(), [
        'accuracy/a1: baseline num muted',
        'accuracy/b2: −0.05 (−5.6%) num worse',
        'accuracy/c3: −0.1 (−11.1%) num worse',
        'loss/a1: baseline num muted',
        'loss/b2: +0.1 (+100.0%) num worse',
        'loss/c3: +0.2 (+200.0%) num worse',
      ]);
      const bestStep = await h.page.$eval(`.summary-table tbody[data-metric="loss"] tr[data-run-id="${B}"] td[data-col="best-step"]`, (td) => td.textContent);
      assert.equal(bestStep, '80');
      await chooseOption(h, 'baseline-select', 'sgd-wide');
      assert.deepEqual(await deltas(), [
        'accuracy/a1: +0.1 (+12.5%) num better',
        'accuracy/b2: +0.05 (+6.2%) num better',
        'accuracy/c3: baseline num muted',
        'loss/a1: −0.2 (−66.7%) num better',
        'loss/b2: −0.1 (−33.3%) num better',
        'loss/c3: baseline num muted',
      ]);

      await h.page.click('#export-csv');
      const csv = await h.waitForPosted('saveCsv');
      assert.equal(csv.fileName, 'loopline-compare.csv');
      const lines = csv.csv.trimEnd().split('\r\n');
      assert.equal(
        lines[0],
        'run_id,run_name,status,param:batch,param:lr,param:optimizer,param:width,accuracy:last,accuracy:min,accuracy:max,accuracy:best_step,accuracy:delta_vs_baseline,loss:last,loss:min,loss:max,loss:best_step,loss:delta_vs_baseline',
      );
      assert.equal(lines.length, 4);
      const row = (id: string) => lines.find((l: string) => l.startsWith(id))!.split(',');
      assert.deepEqual(row(A).slice(1, 7), ['baseline', 'FINISHED', '32', '0.01', 'adam', '']);
      assert.deepEqual(row(C).slice(7, 12), ['0.8', '0.1', '0.82', '99', '']);
      assert.equal(Number(row(A)[11]).toFixed(3), '0.100');
      assert.deepEqual(row(C).slice(12, 16), ['0.3', '0.04', '2.5', '70']);
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('sweep view: parallel coordinates and a param/metric scatter', async () => {
    const { h } = await openLoaded('light');
    try {
      const painted = await h.page.$eval('.parallel-canvas', (c) => {
        const canvas = c as HTMLCanvasElement;
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
        return n;
      });
      assert.ok(painted > 1000, `parallel coordinates drawn (${painted} px)`);
      const scatter = async () => h.page.evaluate(() => (window as any).__looplineSweep.scatter.data.datasets.map((d: any) => ({ runId: d.runId, x: d.data[0].x, y: d.data[0].y })));
      assert.deepEqual(await scatter(), [
        { runId: A, x: 0.01, y: 0.9 },
        { runId: B, x: 0.1, y: 0.85 },
        { runId: C, x: 0.01, y: 0.8 },
      ]);
      await chooseOption(h, 'scatter-param', 'optimizer');
      await chooseOption(h, 'scatter-metric', 'loss');
      assert.deepEqual(await scatter(), [
        { runId: A, x: 0, y: 0.1 },
        { runId: B, x: 0, y: 0.2 },
        { runId: C, x: 1, y: 0.3 },
      ]);
      const ticks = await h.page.evaluate(() => (window as any).__looplineSweep.scatter.scales.x.ticks.map((t: any) => t.label).filter(Boolean));
      assert.deepEqual(ticks, ['adam', 'sgd']);
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('state (axis, log, smoothing, hidden runs, baseline, zoom, sweep choices) survives a reload', async () => {
    const { h, answered } = await openLoaded('light');
    try {
      await chooseOption(h, 'x-axis-select', 'Relative time');
      await waitForRequests(h, answered, 2, (r) => r.xAxis === 'relative');
      await answerRequests(h, answered);
      await h.page.click('#log-scale');
      await h.page.evaluate(() => {
        const s = document.querySelector('#smoothing') as HTMLInputElement;
        s.value = '0.6';
        s.dispatchEvent(new Event('input', { bubbles: true }));
      });
      await h.page.click(`button.run-chip[data-run-id="${C}"]`);
      await chooseOption(h, 'baseline-select', 'lr-0.1');
      await chooseOption(h, 'sweep-metric', 'loss');
      await h.page.locator('section[data-metric="accuracy"]').scrollIntoViewIfNeeded();
      const box = (await h.page.locator('section[data-metric="accuracy"] canvas').boundingBox())!;
      const area = await h.page.evaluate(() => (window as any).__looplineCharts.accuracy.chartArea);
      const y = box.y + (area.top + area.bottom) / 2;
      await h.page.mouse.move(box.x + area.left + 40, y);
      await h.page.mouse.down();
      await h.page.mouse.move(box.x + area.left + 160, y, { steps: 4 });
      await h.page.mouse.up();
      await waitForRequests(h, answered, 1, (r) => r.key === 'accuracy' && r.range !== null);
      const zoomReq = (await h.posted()).filter((m) => m.type === 'requestSeries' && m.key === 'accuracy').at(-1);
      await answerRequests(h, answered);
      const zoomed = await scaleX(h, 'accuracy');

      await h.page.reload();
      await h.waitForPosted('ready');
      const answered2 = new Set<number>();
      await h.send(init());
      await waitForRequests(h, answered2, 2);
      const reqs = (await h.posted()).filter((m) => m.type === 'requestSeries');
      assert.ok(reqs.every((r) => r.xAxis === 'relative'));
      assert.deepEqual(reqs.find((r) => r.key === 'accuracy').range, zoomReq.range, 'zoomed chart asks for its window again');
      assert.equal(reqs.find((r) => r.key === 'loss').range, null);
      await answerRequests(h, answered2);
      await pageBuilt(h);
      assert.equal(await h.page.evaluate(() => (document.querySelector('#x-axis-select') as any).value), 'relative');
      assert.equal(await h.page.evaluate(() => (document.querySelector('#log-scale') as any).checked), true);
      assert.equal(await h.page.evaluate(() => (document.querySelector('#smoothing') as HTMLInputElement).value), '0.6');
      assert.equal(await h.page.evaluate(() => (window as any).__looplineCharts.loss.scales.y.type), 'logarithmic');
      assert.deepEqual(mains(await datasets(h, 'loss')).map((d) => d.hidden), [false, false, true]);
      assert.equal(await h.page.getAttribute(`button.run-chip[data-run-id="${C}"]`, 'aria-pressed'), 'false');
      assert.equal(await h.page.evaluate(() => (document.querySelector('#baseline-select') as any).value), B);
      assert.equal(await h.page.evaluate(() => (document.querySelector('#sweep-metric') as any).value), 'loss');
      const restored = await scaleX(h, 'accuracy');
      assert.ok(Math.abs(restored.min - zoomed.min) < 1e-9 && Math.abs(restored.max - zoomed.max) < 1e-9, 'zoom window restored');
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('run names, params and keys are shown as text, never as markup (XSS)', async () => {
    const evilName = '<img src=x onerror="window.__pwned=1">';
    const evilParam = '</script><script>window.__pwned=2</script>';
    const evilKey = '<svg onload="window.__pwned=3">';
    const runs = [
      { ...RUNS[0]!, name: evilName, params: { ...RUNS[0]!.params, [evilKey]: evilParam }, tags: { note: evilParam } },
      { ...RUNS[1]!, metrics: [...RUNS[1]!.metrics, { key: evilKey, last: 1, lastStep: 1, min: 1, minStep: 1, max: 1, maxStep: 1, count: 1 }] },
    ];
    const h = await openWebview('compare', { theme: 'dark' });
    const answered = new Set<number>();
    try {
      await h.waitForPosted('ready');
      await h.send(init({ runs, metricKeys: ['accuracy', evilKey], paramKeys: ['batch', 'lr', evilKey], sweepParams: ['lr', evilKey] }));
      await waitForRequests(h, answered, 2);
      await answerRequests(h, answered, (r) => [{ ...series('accuracy', 0), key: r.key }]);
      await pageBuilt(h);
      await h.page.waitForTimeout(300);
      assert.equal(await h.page.evaluate(() => (window as any).__pwned), undefined);
      assert.equal(await h.page.locator('#app img, #app script, #app svg[onload]').count(), 0);
      assert.equal(await h.page.locator(`button.run-chip[data-run-id="${A}"] .run-chip-name`).textContent(), evilName);
      assert.equal(await h.page.locator(`.params-table th[data-run-id="${A}"] button`).textContent(), evilName);
      const cell = await h.page.$$eval('.params-table tbody tr[data-param]', (trs, key) => trs.find((tr) => (tr as HTMLElement).dataset.param === key)!.querySelector('td')!.textContent, evilKey);
      assert.equal(cell, evilParam);
      assert.ok((await h.page.locator('.params-table tbody').textContent())!.includes(evilKey));
      assert.equal(await h.page.locator('section.chart-card h3').nth(1).textContent(), evilKey);
      assert.ok((await h.page.locator('#baseline-select').textContent())!.includes(evilName));
      assert.equal(await h.page.evaluate(() => (window as any).__looplineCharts.accuracy.data.datasets[0].label), evilName);
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('inline mode: compact (two charts a row, params only) and rebuilt on a new init', async () => {
    const { h, answered } = await openLoaded('dark', init({ mode: 'inline', metricKeys: ['accuracy', 'loss', 'lr'] }), { width: 700, height: 700 });
    try {
      assert.equal(await h.page.locator('.params-table').count(), 1);
      assert.equal(await h.page.locator('.summary-table').count(), 0);
      assert.equal(await h.page.locator('.sweep').count(), 0);
      const cols = await h.page.$eval('.chart-grid', (g) => getComputedStyle(g).gridTemplateColumns.split(' ').length);
      assert.equal(cols, 2);
      const height = await h.page.$eval('.chart-box', (b) => b.getBoundingClientRect().height);
      assert.ok(height < 200, `compact charts (${height}px)`);
      await h.page.screenshot({ path: join(SHOTS, 'compare-inline-dark.png'), fullPage: true });

      // The tree selection changed: the host sends init again with other runs.
      const other = [{ ...RUNS[1]!, colorIndex: 0 }];
      await h.send(init({ mode: 'inline', runs: other, metricKeys: ['loss'], paramKeys: ['lr'], sweepParams: [] }));
      await waitForRequests(h, answered, 1, (r) => r.key === 'loss');
      await answerRequests(h, answered, (r) => [series(r.key, 1)]);
      await pageBuilt(h);
      assert.deepEqual(await h.page.evaluate(() => Object.keys((window as any).__looplineCharts)), ['loss']);
      assert.equal(await h.page.locator('button.run-chip').count(), 1);
      assert.equal(await h.page.locator('button.run-chip .run-chip-name').textContent(), 'lr-0.1');
      assert.deepEqual(mains(await datasets(h, 'loss')).map((d) => d.runId), [B]);
      assert.equal(await h.page.locator('.params-table thead th').count(), 2);
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('keyboard: controls are reachable with Tab and show a focus outline', async () => {
    const { h } = await openLoaded('light');
    try {
      const seen: string[] = [];
      for (let i = 0; i < 14; i++) {
        await h.page.keyboard.press('Tab');
        seen.push(await h.page.evaluate(() => {
          const a = document.activeElement as HTMLElement;
          return a.id || a.className || a.tagName;
        }));
      }
      for (const id of ['x-axis-select', 'log-scale', 'smoothing', 'export-csv', 'export-data']) assert.ok(seen.includes(id), `${id} reachable: ${seen.join(', ')}`);
      assert.ok(seen.some((s) => s.startsWith('run-chip')), 'legend buttons reachable');
      await h.page.focus('button.run-chip');
      await h.page.keyboard.press('Tab');
      const outline = await h.page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      assert.notEqual(outline, 'none');
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('series arrive as Float64Array columns (as the extension sends them); NaN is a gap', async () => {
    const h = await openWebview('compare', { theme: 'light' });
    const answered = new Set<number>();
    try {
      await h.waitForPosted('ready');
      await h.send(init());
      await waitForRequests(h, answered, 2);
      for (const r of (await h.posted()).filter((m) => m.type === 'requestSeries')) {
        answered.add(r.requestId);
        const list = [0, 1, 2].map((i) => series(r.key, i));
        // Built as typed arrays inside the page and posted there: structured clone keeps them binary.
        await h.page.evaluate(
          ([req, ls]) => {
            const typed = (ls as any[]).map((x) => ({ ...x, steps: Float64Array.from(x.steps), times: Float64Array.from(x.times), values: Float64Array.from(x.values, (v: number, i: number) => (i === 50 ? NaN : v)) }));
            window.postMessage({ type: 'series', requestId: req.requestId, key: req.key, xAxis: req.xAxis, range: req.range, series: typed }, '*');
          },
          [r, list] as const,
        );
      }
      await h.page.waitForFunction(() => !!(window as any).__looplineCharts.loss?.data.datasets.length);
      const m = mains(await datasets(h, 'loss'));
      assert.deepEqual(m.map((d) => d.runId), RUN_IDS);
      for (const [i, d] of m.entries()) {
        assert.equal(d.xs.length, 100);
        assert.equal(d.ys[50], null, 'NaN drawn as a gap');
        assert.ok(Math.abs(d.ys[49]! - valueAt('loss', i, 49)) < 1e-12);
        assert.deepEqual(d.xs.slice(97), [97, 98, 99]);
      }
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('while its data is on its way a chart shows only "Loading…" (nothing is built or drawn behind it), then draws the data', async () => {
    const h = await openWebview('compare', { theme: 'light' });
    const answered = new Set<number>();
    try {
      await h.waitForPosted('ready');
      await h.send(init());
      await waitForRequests(h, answered, 2);
      // The page's first chart (the others are drawn when their data comes).
      const card = 'section[data-metric="accuracy"]';
      await h.page.waitForTimeout(300);
      assert.equal(await h.page.locator(`${card} .chart-status`).textContent(), 'Loading…');
      assert.equal(await h.page.evaluate(() => (window as any).__looplineCharts.accuracy), undefined, 'no chart with data yet');
      assert.equal(await h.page.locator(`${card}[data-drawn]`).count(), 0, 'nothing drawn yet');
      await answerRequests(h, answered);
      await h.page.waitForFunction(() => !!(window as any).__looplineCharts.accuracy?.data.datasets.length);
      assert.equal(await h.page.locator(`${card} .chart-status`).isVisible(), false);
      const m = mains(await datasets(h, 'accuracy'));
      assert.deepEqual(m.map((d) => d.runId), RUN_IDS);
      assert.deepEqual(m.map((d) => d.xs.length), [100, 100, 100]);
      const x = await scaleX(h, 'accuracy');
      assert.deepEqual([x.min, x.max], [0, 99], 'the x axis spans the data');
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('a page\'s first chart is painted at once (from init\'s series without asking, or from the first answer); chart.js then takes over with the same axes, legend and plot area', async () => {
    // Eight runs: the legend needs two rows.
    const many = Array.from({ length: 8 }, (_, i) => ({ ...RUNS[i % 3]!, id: runId(0x100 + i), name: `run-${i}-${'x'.repeat(i)}`, colorIndex: i, startTime: T0 + i * 600_000 }));
    const seriesOf = (runs: typeof RUNS) => runs.map((r, i) => ({ ...series('accuracy', i % 3), runId: r.id, values: series('accuracy', i % 3).values.map((v) => v! * (1 - i / 20)) }));
    const cases = [
      { name: 'step axis, series with init', state: { xAxis: 'step' }, runs: RUNS, mode: 'panel', withInit: true },
      { name: 'relative time, smoothed (a raw copy under each line)', state: { xAxis: 'relative', smoothing: 0.6 }, runs: RUNS, mode: 'panel', withInit: true },
      { name: 'wall time, eight runs (two legend rows)', state: { xAxis: 'wall' }, runs: many, mode: 'panel', withInit: true },
      { name: 'the docked view (compact, no legend), from the first answer', state: { xAxis: 'step' }, runs: RUNS, mode: 'inline', withInit: false },
    ] as const;
    const h = await openWebview('compare', { theme: 'light' });
    try {
      for (const c of cases) {
        // The page's saved view (as after a reload); the page starts again.
        await h.page.evaluate((st) => sessionStorage.setItem('__vscodeState', JSON.stringify({ ...st, runIds: [] })), c.state);
        await h.page.evaluate(() => ((window as any).__posted = []));
        await h.page.reload();
        const ready = await h.waitForPosted('ready');
        assert.equal(ready.firstChart.xAxis, c.state.xAxis);
        // Animation frames held: chart.js takes over only after a frame, so the first paint stays to be looked at.
        await h.page.evaluate(() => {
          const held: FrameRequestCallback[] = [];
          const raf = window.requestAnimationFrame.bind(window);
          window.requestAnimationFrame = (cb) => (held.push(cb), 0);
          (window as any).__releaseFrames = () => {
            window.requestAnimationFrame = raf;
            for (const cb of held) raf(cb);
          };
        });
        const runs = c.runs as typeof RUNS;
        const buckets = firstChartBuckets(ready.firstChart, 2)!;
        if (c.withInit) {
          await h.send(init({ runs, firstSeries: { key: 'accuracy', xAxis: c.state.xAxis, buckets, series: seriesOf(runs) } }));
        } else {
          await h.send(init({ runs, mode: c.mode }));
          const req = await h.page.waitForFunction(() => (window as any).__posted.find((m: any) => m.type === 'requestSeries' && m.key === 'accuracy'), null, { timeout: 10_000 });
          const r = await req.jsonValue();
          await h.send({ type: 'series', requestId: r.requestId, key: r.key, xAxis: r.xAxis, range: r.range, series: seriesOf(runs) });
        }
        const card = 'section[data-metric="accuracy"]';
        await h.page.waitForSelector(`${card}[data-drawn="true"]`, { timeout: 10_000 });
        assert.equal(await h.page.locator(`${card} .chart-status`).isVisible(), false, `${c.name}: no "Loading…" over the data`);
        assert.equal(await h.page.evaluate(() => (window as any).__looplineCharts.accuracy), undefined, `${c.name}: drawn before chart.js was built`);
        if (c.withInit) assert.ok(!(await h.posted()).some((m) => m.type === 'requestSeries' && m.key === 'accuracy'), `${c.name}: the chart did not ask for what came with init`);
        // The lines are on the canvas, inside the plot.
        const quick = await h.page.evaluate(() => (window as any).__looplineQuickPaints.accuracy);
        const inked = await h.page.$eval(
          `${card} canvas`,
          (canvas, q) => {
            const ctx = (canvas as HTMLCanvasElement).getContext('2d')!;
            const dpr = window.devicePixelRatio || 1;
            const d = ctx.getImageData(q.left * dpr, q.top * dpr, (q.right - q.left) * dpr, (q.bottom - q.top) * dpr).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
            return n;
          },
          quick,
        );
        assert.ok(inked > 500, `${c.name}: the lines are painted (${inked} pixels)`);
        const shot = c.name.split(',')[0]!.replace(/\W+/g, '-');
        await h.page.locator(card).screenshot({ path: join(SHOTS, `first-paint-${shot}.png`) });

        await h.page.evaluate(() => (window as any).__releaseFrames());
        await h.page.waitForFunction(() => !!(window as any).__looplineCharts.accuracy?.data.datasets.length);
        const drawn = await h.page.evaluate(() => {
          const ch = (window as any).__looplineCharts.accuracy;
          return { area: ch.chartArea, x: ch.scales.x.ticks.map((t: any) => t.value), y: ch.scales.y.ticks.map((t: any) => t.value), points: ch.data.datasets.filter((d: any) => d.role === 'main').map((d: any) => d.data.length) };
        });
        assert.deepEqual(drawn.points, runs.map(() => 100), `${c.name}: chart.js has the same points`);
        assert.deepEqual(quick.yTicks, drawn.y, `${c.name}: the same y ticks`);
        assert.deepEqual(quick.xTicks, drawn.x, `${c.name}: the same x ticks`);
        for (const side of ['left', 'right', 'top', 'bottom'] as const) assert.ok(Math.abs(quick[side] - drawn.area[side]) <= 1.5, `${c.name}: the plot's ${side} edge stays put: ${quick[side]} then ${drawn.area[side]}`);
        await h.page.locator(card).screenshot({ path: join(SHOTS, `first-paint-${shot}-chartjs.png`) });
      }

      // A series for another width (the panel was resized since) is not used: the chart asks.
      await h.send(init({ runs: RUNS.slice(0, 2), firstSeries: { key: 'accuracy', xAxis: 'step', buckets: 7, series: [0, 1].map((i) => series('accuracy', i)) } }));
      await h.page.waitForFunction(() => (window as any).__posted.some((m: any) => m.type === 'requestSeries' && m.key === 'accuracy'), null, { timeout: 10_000 });
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('init with the first chart\'s series draws it without asking; initCheck: a page without that init says ready again', async () => {
    const h = await openWebview('compare', { theme: 'light' });
    try {
      // The series read at the width the page says it has (as the extension reads it at the remembered width).
      const ready = await h.waitForPosted('ready');
      const buckets = firstChartBuckets(ready.firstChart, 2);
      await h.send(init({ initId: 3, firstSeries: { key: 'accuracy', xAxis: 'step', buckets, series: [0, 1, 2].map((i) => series('accuracy', i)) } }));
      await h.page.waitForSelector('.chart-card[data-metric="accuracy"][data-drawn="true"]');
      await waitForRequests(h, new Set(), 1, (m) => m.key === 'loss');
      assert.deepEqual(
        (await h.posted()).filter((m) => m.type === 'requestSeries').map((m) => m.key),
        ['loss'],
        'the chart whose series came with init does not ask for it',
      );
      // The extension answers `ready` with initCheck: this page has init 3, so it stays quiet; a
      // check meant for another page (this one's predecessor, before a reload) is not its to answer.
      await h.send({ type: 'initCheck', initId: 3, page: ready.page });
      await h.send({ type: 'initCheck', initId: 4, page: 'another-page' });
      // A later init went out that this page never got: it says ready again, with its widths.
      await h.send({ type: 'initCheck', initId: 4, page: ready.page });
      await h.page.waitForFunction(() => (window as any).__posted.filter((m: any) => m.type === 'ready').length >= 2);
      await new Promise((r) => setTimeout(r, 100));
      const readies = (await h.posted()).filter((m) => m.type === 'ready');
      assert.equal(readies.length, 2, 'ready again once, for its own check only');
      assert.deepEqual(readies[1], readies[0]);
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('a message that arrives before the app\'s script has run is kept for it (VS Code may post early messages then)', async () => {
    let postEarly!: (p: import('playwright-core').Page) => void;
    const posted = new Promise<void>((resolve) => {
      // Once the page's head has been parsed, while compare.js (served late) has not run: as VS Code
      // posts what was sent early 200 ms after the page started loading.
      postEarly = (p) =>
        void p
          .evaluate(async (m) => {
            while (!(window as any).__looplineEarlyMessages) await new Promise((r) => setTimeout(r, 1));
            window.postMessage(m, '*');
          }, init({ initId: 1 }) as any)
          .then(() => resolve());
    });
    const h = await openWebview('compare', { theme: 'light', onDocumentStart: (p) => postEarly(p), slow: { '/webview/compare.js': 500 } });
    try {
      await posted;
      const answered = new Set<number>();
      await waitForRequests(h, answered, 2);
      await answerRequests(h, answered);
      await h.page.waitForSelector('.chart-card[data-metric="loss"][data-drawn="true"]');
      assert.equal((await h.posted()).filter((m) => m.type === 'ready').length, 1, 'ready once: the early init was kept');
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('chart.js failing to load: the first chart still shows its data, the card says what to do, the controls still come', async () => {
    const h = await openWebview('compare', { theme: 'light', notFound: ['/webview/chart-engine.js'] });
    try {
      const answered = new Set<number>();
      await h.waitForPosted('ready');
      await h.send(init({ sweepParams: [] }));
      await waitForRequests(h, answered, 2);
      await answerRequests(h, answered);
      await h.page.waitForSelector('.chart-card[data-metric="accuracy"][data-drawn="true"]');
      await h.page.waitForFunction(() => /could not load chart-engine\.js/.test(document.querySelector('.chart-card[data-metric="accuracy"] .chart-status')?.textContent ?? ''));
      assert.match((await h.page.locator('.chart-card[data-metric="accuracy"] .chart-status').textContent()) ?? '', /close the view and open it again/);
      // The toolbar's web components come from their own script, which loaded.
      await h.page.waitForSelector('#x-axis-select');
      assert.equal(await h.page.evaluate(() => !!customElements.get('vscode-single-select')), true);
      assert.equal(await h.page.evaluate(() => Object.values((window as any).__looplineCharts).filter(Boolean).length), 0, 'no chart.js instance');
    } finally {
      await h.close();
    }
  });

  test('charts below the fold ask for their data when scrolled to, and draw it; the toolbar and tables come even while the data is pending, without moving the charts', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    const h = await openWebview('compare', { theme: 'light', width: 1200, height: 700 });
    const answered = new Set<number>();
    try {
      await h.waitForPosted('ready');
      await h.send(init({ metricKeys: keys }));
      await h.page.waitForSelector('section.chart-card');
      const chartTop = () => h.page.evaluate(() => document.querySelector('section.chart-card')!.getBoundingClientRect().top);
      const topBefore = await chartTop();
      // No answer yet: the params and summary tables (and the toolbar) are built anyway.
      await h.page.waitForSelector('.params-table tbody tr[data-param="lr"]', { timeout: 10_000 });
      await h.page.waitForSelector('#x-axis-select');
      await pageBuilt(h);
      assert.equal(await chartTop(), topBefore, 'the toolbar arriving later does not push the charts down');
      const requested = (await h.posted()).filter((m) => m.type === 'requestSeries').map((m) => m.key);
      assert.ok(requested.includes('m00'), `the first chart asked for its data: ${requested.join(', ')}`);
      assert.ok(!requested.includes('m11'), `the last chart, far below, did not ask yet: ${requested.join(', ')}`);
      await answerRequests(h, answered, (r) => [0, 1, 2].map((i) => ({ ...series('loss', i), key: r.key })));
      await h.page.waitForFunction(() => !!(window as any).__looplineCharts.m00?.data.datasets.length);
      assert.equal(await h.page.locator('section.chart-card[data-metric="m11"] .chart-status').textContent(), 'Loading…');
      await h.page.locator('section.chart-card[data-metric="m11"]').scrollIntoViewIfNeeded();
      await waitForRequests(h, answered, 1, (m) => m.key === 'm11');
      const req = (await h.posted()).find((m) => m.type === 'requestSeries' && m.key === 'm11');
      // Asked with the chart's own width (2 px per bucket), like the charts on screen.
      const w = await h.page.$eval('section.chart-card[data-metric="m11"] .chart-box', (b) => b.clientWidth);
      assert.equal(req.buckets, Math.floor(w / 2));
      await answerRequests(h, answered, (r) => [0, 1, 2].map((i) => ({ ...series('loss', i), key: r.key })));
      await h.page.waitForFunction(() => !!(window as any).__looplineCharts.m11?.data.datasets.length);
      const m = mains(await datasets(h, 'm11'));
      assert.deepEqual(m.map((d) => d.runId), RUN_IDS);
      assert.equal(m[0]!.xs.length, 100);
      assert.equal(await h.page.locator('section.chart-card[data-metric="m11"] .chart-status').isVisible(), false);
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('a run contributes to the tooltip only within its own step range', async () => {
    const h = await openWebview('compare', { theme: 'light' });
    const answered = new Set<number>();
    try {
      await h.waitForPosted('ready');
      await h.send(init());
      await waitForRequests(h, answered, 2);
      // lr-0.1 stopped at step 40; the others ran to 99.
      await answerRequests(h, answered, (r) => [0, 1, 2].map((i) => series(r.key, i, 0, i === 1 ? 40 : 99)));
      const canvas = h.page.locator('section[data-metric="accuracy"] canvas');
      await canvas.scrollIntoViewIfNeeded();
      const hoverAt = async (step: number) => {
        const box = (await canvas.boundingBox())!;
        const { px, py } = await h.page.evaluate((st) => {
          const c = (window as any).__looplineCharts.accuracy;
          return { px: c.scales.x.getPixelForValue(st), py: (c.chartArea.top + c.chartArea.bottom) / 2 };
        }, step);
        await h.page.mouse.move(box.x + px, box.y + py);
        return h.page.evaluate(() => (window as any).__looplineCharts.accuracy.tooltip.dataPoints.map((p: any) => ({ label: p.dataset.label, x: p.parsed.x })));
      };
      const late = await hoverAt(80);
      assert.deepEqual(late.map((i: any) => i.label), ['baseline', 'sgd-wide'], 'the run that ended at step 40 is not in the tooltip at step 80');
      assert.ok(late.every((i: any) => i.x === 80));
      const early = await hoverAt(20);
      assert.deepEqual(early.map((i: any) => i.label), ['baseline', 'lr-0.1', 'sgd-wide']);
      const atEnd = await hoverAt(40);
      assert.deepEqual(atEnd.map((i: any) => i.label), ['baseline', 'lr-0.1', 'sgd-wide'], 'its last step still counts');
      await h.page.mouse.move(1, 1);
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('sweep axes: padded so extreme runs are off the frame, log for params over two decades, never past the data\'s sign', async () => {
    const withLr = (lrs: string[]) => RUNS.map((r, i) => ({ ...r, params: { ...r.params, lr: lrs[i]! } }));
    // Three decades of lr: log axes.
    let { h } = await openLoaded('light', init({ runs: withLr(['0.0001', '0.1', '0.003']) }));
    try {
      const axes = await h.page.evaluate(() => (window as any).__looplineSweep.parallel());
      const lr = axes.find((a: any) => a.label.startsWith('lr'));
      assert.equal(lr.label, 'lr (log)');
      assert.equal(lr.log, true);
      for (const a of axes) {
        const ps = Object.values(a.positions).filter((p) => p !== null) as number[];
        assert.ok(ps.every((p) => p >= 0.05 && p <= 0.95), `${a.label}: every line inside the frame (${ps.join(', ')})`);
      }
      // On a log axis 0.003 sits near the middle of 0.0001..0.1 (linear would put it at 3%).
      assert.ok(Math.abs(lr.positions[C] - 0.5) < 0.05, `0.003 near the middle: ${lr.positions[C]}`);
      const x = await h.page.evaluate(() => { const s = (window as any).__looplineSweep.scatter.scales.x; return { type: s.type, min: s.min, max: s.max, labels: s.ticks.map((t: any) => t.label).filter(Boolean) }; });
      assert.equal(x.type, 'logarithmic');
      assert.ok(x.min > 0 && x.min < 0.0001 && x.max > 0.1, `padded log bounds ${x.min}..${x.max}`);
      assert.ok(x.labels.length >= 3, `powers of ten labelled: ${x.labels.join(' ')}`);
      await assertClean(h);
    } finally {
      await h.close();
    }
    // Two decades: linear, padded, but not below zero for all-positive values.
    ({ h } = await openLoaded('light', init({ runs: withLr(['0.001', '0.1', '0.05']) })));
    try {
      const x = await h.page.evaluate(() => { const s = (window as any).__looplineSweep.scatter.scales; return { type: s.x.type, min: s.x.min, max: s.x.max, ymin: s.y.min, ymax: s.y.max }; });
      assert.equal(x.type, 'linear');
      assert.equal(x.min, 0, 'an axis of positive values starts at 0 at the lowest');
      assert.ok(x.max > 0.1, 'padded above the largest value');
      assert.ok(x.ymin < 0.8 && x.ymax > 0.9, `y padded around 0.8..0.9: ${x.ymin}..${x.ymax}`);
      assert.ok(x.ymin >= 0);
    } finally {
      await h.close();
    }
  });

  for (const theme of ['light', 'dark', 'high-contrast'] as const) {
    test(`screenshot: ${theme}`, async () => {
      const { h } = await openLoaded(theme, init(), { width: 1280, height: 1000 });
      try {
        await h.page.evaluate(() => {
          const s = document.querySelector('#smoothing') as HTMLInputElement;
          s.value = '0.6';
          s.dispatchEvent(new Event('input', { bubbles: true }));
        });
        await h.page.screenshot({ path: join(SHOTS, `compare-${theme}.png`), fullPage: true });
        await assertClean(h);
      } finally {
        await h.close();
      }
    });
  }
});
