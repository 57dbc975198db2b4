// The Monitoring webview in headless Chromium under the real CSP: a deployment's drift history
// (made by the core from real captured exchanges against a real reference profile) as per-feature
// trend charts, prediction drift, live accuracy, side-by-side distributions and the window table;
// hostile names stay text.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriftWindow } from '../../src/core/capture/drift-history.ts';
import { monitorReport } from '../../src/core/capture/deployment-monitor.ts';
import { DEFAULT_HISTORY_SETTINGS } from '../../src/core/capture/history-settings.ts';
import { DEFAULT_DRIFT_SETTINGS } from '../../src/core/monitoring/feature-drift.ts';
import { profileFile, profileRows } from '../../src/core/monitoring/data-profiler.ts';
import { normalDraw, seededRandom } from '../../src/core/monitoring/seeded-random.ts';
import { toProfileMsg } from '../../src/protocol/data-profile-protocol.ts';
import type { MonitoringView } from '../../src/protocol/monitoring-protocol.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { openWebview, type WebviewHarness } from './webview-harness.ts';

const SHOTS = join(REPO_ROOT, 'test-results', 'webview');
const XSS = '<img src=x onerror="window.__xss=1">';
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'loopline-monitoring-webview-'));
  mkdirSync(SHOTS, { recursive: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A reference file and 6 windows of 200 captured requests; windows 4-6 shift `size`. */
async function history(): Promise<MonitoringView> {
  const rnd = seededRandom(5);
  const row = (shift: number) => [+(10 + shift + 2 * normalDraw(rnd)).toFixed(2), ['a', 'b', XSS][Math.floor(rnd() * 3)]!, rnd() < 0.5 ? 'yes' : 'no'];
  const lines = [`size,"${XSS.replace(/"/g, '""')}",label`];
  for (let i = 0; i < 600; i++) lines.push(row(0).map((v) => (typeof v === 'string' && v.includes('"') ? `"${v.replace(/"/g, '""')}"` : v)).join(','));
  const file = join(dir, 'train.csv');
  writeFileSync(file, lines.join('\n') + '\n');
  const reference = await profileFile(file);
  const windows: DriftWindow[] = [];
  let lastProfile = reference;
  for (let k = 0; k < 6; k++) {
    const shift = k >= 3 ? 3 : 0;
    const captured = Array.from({ length: 200 }, (_, i) => {
      const r = row(shift);
      const pred = shift ? 'yes' : rnd() < 0.5 ? 'yes' : 'no';
      return { id: k * 200 + i + 1, requestId: `r${k}-${i}`, time: 1_700_000_000_000 + (k * 200 + i) * 1000, version: 1, status: 200, latencyMs: 3, request: JSON.stringify({ instances: [[r[0], r[1]]] }), response: JSON.stringify({ predictions: [pred] }) };
    });
    const feedback = new Map(captured.filter((_, i) => k >= 1 && i % 2 === 0).map((c) => [c.requestId, { requestId: c.requestId, label: k >= 3 ? 'no' : JSON.parse(c.response).predictions[0], time: 0, source: 'test' }]));
    const rep = monitorReport({ deployment: 'web', model: 'm', version: null, reference, captured, stored: 0, feedback, capture: { enabled: true, sampling: 1, ring: 1000 }, settings: DEFAULT_DRIFT_SETTINGS, window: { last: 200 } });
    const slim = (f: any) => ({ name: f.name, test: f.test, statistic: f.statistic, ...('pValue' in f ? { pValue: f.pValue } : { distance: f.distance }), threshold: f.threshold, sampleSize: f.sampleSize, drifted: f.drifted, status: f.status, psi: f.psi.value });
    const p = rep.prediction as any;
    const alert = rep.drifted || p.status === 'drift';
    windows.push({
      id: k + 1, deployment: 'web', model: 'm', version: 1, firstRequest: k * 200 + 1, lastRequest: k * 200 + 200, from: captured[0]!.time, to: captured[199]!.time, requests: 200,
      status: rep.status, share: rep.share, alert, episode: alert ? 1 : null, features: rep.features.map(slim), prediction: 'test' in p ? { ...slim(p), reference: p.reference } : null,
      accuracy: { labelled: rep.accuracy.labelled, correct: rep.accuracy.correct, value: rep.accuracy.value }, computedTime: 0,
    });
    lastProfile = profileRows('window', ['size', XSS], captured.map((c) => JSON.parse(c.request).instances[0]));
  }
  return {
    deployment: 'web', model: 'm', liveVersion: 1, settings: { ...DEFAULT_HISTORY_SETTINGS, windowRequests: 200, windowStep: 200 }, windows,
    episode: { deployment: 'web', episode: 1, firstWindow: 4, startedTime: windows[3]!.to, drifted: ['size', 'prediction'], announcedTime: null, windows: 3, ongoing: true },
    reference: { name: 'reference (train.csv)', columns: toProfileMsg(reference).columns }, current: { name: 'newest window (200 requests)', columns: toProfileMsg(lastProfile).columns },
  };
}

async function assertClean(h: WebviewHarness): Promise<void> {
  assert.deepEqual(await h.cspViolations(), [], 'no CSP violations');
  assert.deepEqual(h.pageErrors, [], 'no page errors');
  assert.equal(await h.page.evaluate(() => (window as any).__xss), undefined, 'no injected script ran');
  assert.equal(await h.page.locator('#app img, #app script').count(), 0, 'data never becomes markup');
}

describe('monitoring webview', { timeout: 180_000 }, () => {
  test('drift over time per feature, prediction drift, live accuracy, distributions side by side; hostile names stay text', async () => {
    const view = await history();
    const h = await openWebview('monitoring', { theme: 'dark', width: 1300, height: 1100 });
    try {
      await h.waitForPosted('ready');
      await h.send({ type: 'view', view });
      await h.page.waitForSelector('figure[data-chart="prediction"] canvas');
      await h.page.waitForFunction(() => Object.keys((window as any).__looplineCharts ?? {}).length >= 5);
      assert.equal(await h.page.locator('h1').textContent(), 'web: m v1');
      assert.equal(await h.page.locator('.status').textContent(), 'drifting (3 windows)');
      assert.match((await h.page.locator('.episode').textContent())!, /^Drift episode 1 since .*: size, prediction \(3 windows\)\.$/);
      const sparkline = (await h.page.locator('.sparkline').textContent())!;
      assert.equal(sparkline.length, 6, 'one bar per window');
      const charts = await h.page.evaluate(() =>
        Object.fromEntries(Object.entries((window as any).__looplineCharts).map(([k, c]: [string, any]) => [k, { type: c.config.type, labels: c.data.labels.length, sets: c.data.datasets.map((d: any) => ({ label: d.label, data: d.data })) }])),
      );
      assert.deepEqual(Object.keys(charts).sort(), ['accuracy', 'distribution', `feature:${'<img src=x onerror="window.__xss=1">'}`, 'feature:size', 'prediction'].sort());
      const size = charts['feature:size']!;
      assert.equal(size.labels, 6);
      assert.equal(size.sets[0].label, 'ks p-value');
      assert.ok(size.sets[0].data.slice(0, 3).every((p: number) => p > 0.05), `calm windows: ${size.sets[0].data}`);
      assert.ok(size.sets[0].data.slice(3).every((p: number) => p < 1e-6), `shifted windows: ${size.sets[0].data}`);
      assert.deepEqual(size.sets[1].data, [0.05, 0.05, 0.05, 0.05, 0.05, 0.05], 'the threshold line');
      assert.equal(charts.accuracy!.sets[0].data[0], null, 'no labels in the first window');
      assert.equal(charts.accuracy!.sets[0].data[1], 1);
      assert.equal(charts.accuracy!.sets[0].data[5], 0, 'labels disagree with the shifted predictions');
      // The distribution picker starts on the drifted feature: reference vs the newest window.
      assert.equal(await h.page.locator('#feature-picker').inputValue(), 'size');
      assert.deepEqual(charts.distribution!.sets.map((s: any) => s.label), ['reference (train.csv)', 'newest window (200 requests)']);
      await h.page.selectOption('#feature-picker', XSS);
      await h.page.waitForFunction((x) => (document.querySelector('figure[data-chart="distribution"] figcaption')?.textContent ?? '').startsWith(x), XSS);
      assert.deepEqual(await h.page.evaluate(() => (window as any).__looplineCharts.distribution.data.labels.slice().sort()), [XSS, 'a', 'b'].sort(), 'hostile category is a label drawn on the canvas');
      assert.equal(await h.page.locator('table.windows tbody tr').count(), 6);
      assert.equal(await h.page.locator('table.windows tbody tr').first().getAttribute('data-status'), 'drift');
      await h.page.click('#retrain');
      assert.deepEqual(await h.waitForPosted('retrain'), { type: 'retrain' });
      await h.page.click('#refresh');
      assert.deepEqual(await h.waitForPosted('refresh'), { type: 'refresh' });
      await h.page.screenshot({ path: join(SHOTS, 'monitoring-dark.png'), fullPage: true });
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('no complete window yet, and an error, are said in words', async () => {
    const view = await history();
    const h = await openWebview('monitoring', { theme: 'light' });
    try {
      await h.waitForPosted('ready');
      await h.send({ type: 'view', view: { ...view, windows: [], episode: null } });
      await h.page.waitForSelector('.empty');
      assert.equal(await h.page.locator('.empty').textContent(), 'No complete window yet: a window needs 200 captured requests.');
      assert.equal(await h.page.locator('.status').textContent(), 'no drift windows yet');
      await h.send({ type: 'error', message: `m/1 has no reference profile <b>x</b>` });
      await h.page.waitForSelector('.banner:not([hidden])');
      assert.equal(await h.page.locator('.banner').textContent(), 'm/1 has no reference profile <b>x</b>');
      await assertClean(h);
    } finally {
      await h.close();
    }
  });
});
