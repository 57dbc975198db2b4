// The Run Detail webview in headless Chromium under the real CSP: summary, git, params, tags,
// charts, artifacts and the live log tail; text-only rendering of run data; state across reloads.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.ts';
import { openWebview, type ThemeKind, type WebviewHarness } from './webview-harness.ts';

const SHOTS = join(REPO_ROOT, 'test-results', 'webview');
const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const RUN_ID = 'd'.repeat(32);

function runDetail(overrides: Record<string, unknown> = {}) {
  return {
    id: RUN_ID,
    name: 'resnet-lr0.01',
    experimentId: '1',
    status: 'RUNNING',
    startTime: T0,
    endTime: null,
    params: { lr: '0.01', epochs: '10', optimizer: 'adam' },
    tags: { team: 'vision' },
    metrics: [
      { key: 'accuracy', last: 0.9, lastStep: 99, min: 0.1, minStep: 0, max: 0.92, maxStep: 95, count: 100 },
      { key: 'loss', last: 0.1, lastStep: 99, min: 0.05, minStep: 90, max: 2, maxStep: 0, count: 100 },
    ],
    colorIndex: 1,
    command: 'python train.py --lr 0.01 --epochs 10',
    exitCode: null,
    backend: 'local',
    git: { isRepo: true, commit: '3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39', branch: 'main', dirty: true, patchTruncated: false },
    artifacts: [
      { path: 'model/model.pt', size: 4_404_019 },
      { path: 'plots/confusion.png', size: 20_480 },
    ],
    ...overrides,
  };
}

const logLines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `epoch ${from + i}: loss=${(1 / (from + i + 1)).toFixed(4)}\n`).join('');

function series(key: string, from = 0, to = 99) {
  const steps: number[] = [];
  const times: number[] = [];
  const values: number[] = [];
  for (let s = from; s <= to; s++) {
    steps.push(s);
    times.push(T0 + s * 2000);
    values.push(key === 'loss' ? Math.exp(-s / 25) : 1 - Math.exp(-s / 30));
  }
  return { runId: RUN_ID, key, steps, times, values, downsampled: false, sourcePoints: steps.length, minStep: from, maxStep: to };
}

async function answerAll(h: WebviewHarness, answered: Set<number>, expect: number): Promise<any[]> {
  const until = Date.now() + 10_000;
  let reqs: any[] = [];
  while (Date.now() < until) {
    reqs = (await h.posted()).filter((m) => m.type === 'requestSeries' && !answered.has(m.requestId));
    if (reqs.length >= expect) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.ok(reqs.length >= expect, `expected ${expect} requestSeries, got ${JSON.stringify(await h.posted())}`);
  for (const r of reqs) {
    answered.add(r.requestId);
    await h.send({ type: 'series', requestId: r.requestId, key: r.key, xAxis: r.xAxis, range: r.range, series: [series(r.key)] });
  }
  return reqs;
}

async function open(theme: ThemeKind = 'light', run = runDetail(), logTail = logLines(0, 200), logTruncated = true) {
  const h = await openWebview('run-detail', { theme, width: 1200, height: 900 });
  const answered = new Set<number>();
  await h.waitForPosted('ready');
  await h.send({ type: 'init', run, logTail, logTruncated });
  return { h, answered };
}

async function assertClean(h: WebviewHarness): Promise<void> {
  assert.deepEqual(await h.cspViolations(), [], 'no CSP violations');
  assert.deepEqual(h.pageErrors, [], 'no page errors');
}

const rowValue = (h: WebviewHarness, table: string, label: string) =>
  h.page.$$eval(`${table} tr`, (trs, l) => trs.find((tr) => tr.querySelector('th')?.textContent === l)?.querySelector('td')?.textContent ?? null, label);

describe('run detail webview', { timeout: 300_000 }, () => {
  test('shows summary, git, params, tags, artifacts and a chart per metric; buttons post their messages', async () => {
    mkdirSync(SHOTS, { recursive: true });
    const { h, answered } = await open('light');
    try {
      assert.equal(await h.page.locator('h1').textContent(), 'resnet-lr0.01');
      assert.equal(await rowValue(h, '.summary-kv', 'Status'), '● running');
      assert.equal(await rowValue(h, '.summary-kv', 'Command'), 'python train.py --lr 0.01 --epochs 10');
      assert.equal(await rowValue(h, '.summary-kv', 'Backend'), 'local');
      assert.equal(await rowValue(h, '.summary-kv', 'Exit code'), '—');
      assert.equal(await rowValue(h, '.summary-kv', 'Ended'), 'still running');
      assert.equal(await rowValue(h, '.summary-kv', 'Run ID'), RUN_ID);
      assert.equal(await rowValue(h, '.git-info', 'Commit'), '3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39');
      assert.equal(await rowValue(h, '.git-info', 'Branch'), 'main');
      assert.equal(await rowValue(h, '.git-info', 'Uncommitted changes'), 'yes');
      assert.deepEqual(await h.page.$$eval('.params-kv tbody tr', (trs) => trs.map((tr) => [tr.querySelector('th')!.textContent, tr.querySelector('td')!.textContent])), [
        ['epochs', '10'],
        ['lr', '0.01'],
        ['optimizer', 'adam'],
      ]);
      assert.equal(await rowValue(h, '.tags-kv', 'team'), 'vision');
      assert.equal(await h.page.locator('.params-kv thead th').count(), 2, 'tables have headers');

      const reqs = await answerAll(h, answered, 2);
      assert.deepEqual(reqs.map((r) => r.key).sort(), ['accuracy', 'loss']);
      for (const r of reqs) {
        const width = await h.page.evaluate((k) => (document.querySelector(`section[data-metric="${k}"] canvas`) as HTMLCanvasElement).clientWidth, r.key);
        assert.equal(r.buckets, Math.floor(width / 2));
      }
      // chart.js takes the quick paint over once its script has loaded.
      await h.page.waitForFunction(() => !!(window as any).__looplineCharts.loss);
      const ds = await h.page.evaluate(() => (window as any).__looplineCharts.loss.data.datasets.filter((d: any) => d.role === 'main').map((d: any) => ({ runId: d.runId, color: d.borderColor, n: d.data.length })));
      const blue = await h.page.evaluate(() => getComputedStyle(document.body).getPropertyValue('--vscode-charts-blue').trim());
      assert.deepEqual(ds, [{ runId: RUN_ID, color: blue, n: 100 }]);
      assert.equal(await h.page.locator('section[data-metric="loss"] button:has-text("PNG")').count(), 0);

      await h.page.click('button[data-path="plots/confusion.png"]');
      assert.deepEqual(await h.waitForPosted('openArtifact'), { type: 'openArtifact', path: 'plots/confusion.png' });
      assert.equal(await h.page.locator('.artifact-list li').first().textContent(), 'model/model.pt4.2 MB');
      await h.page.click('#show-code-diff');
      assert.deepEqual(await h.waitForPosted('showCodeDiff'), { type: 'showCodeDiff' });

      // Keyboard: the artifact buttons and the diff button are in the tab order.
      await h.page.focus('#show-code-diff');
      assert.equal(await h.page.evaluate(() => document.activeElement?.id), 'show-code-diff');
      await h.page.screenshot({ path: join(SHOTS, 'run-detail-light.png'), fullPage: true });
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('log tail: appends while running, stays pinned to the bottom only if it was there', async () => {
    const { h, answered } = await open('dark');
    try {
      await answerAll(h, answered, 2);
      const pre = h.page.locator('pre.log-tail');
      assert.equal(await h.page.locator('section.section-log p.muted').isVisible(), true, 'truncation note');
      const atBottom = () => pre.evaluate((p) => Math.abs(p.scrollTop + p.clientHeight - p.scrollHeight) < 4);
      assert.ok((await pre.textContent())!.startsWith('epoch 0: '));
      assert.equal(await atBottom(), true);
      await h.send({ type: 'update', run: runDetail(), logAppend: logLines(200, 220) });
      assert.ok((await pre.textContent())!.endsWith('epoch 219: loss=0.0045\n'));
      assert.equal(await atBottom(), true, 'follows the tail');
      await pre.evaluate((p) => (p.scrollTop = 100));
      await h.send({ type: 'update', run: runDetail(), logAppend: logLines(220, 240) });
      assert.equal(await pre.evaluate((p) => p.scrollTop), 100, 'reader scrolled up: stays put');
      assert.ok((await pre.textContent())!.includes('epoch 239:'));
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('updates: new points reload the chart, a new metric gets a chart, the run finishing updates the summary', async () => {
    const { h, answered } = await open('light');
    try {
      await answerAll(h, answered, 2);
      const metrics = runDetail().metrics as any[];
      await h.send({
        type: 'update',
        run: runDetail({ metrics: [{ ...metrics[0], count: 120, lastStep: 119 }, metrics[1], { key: 'val_loss', last: 0.2, lastStep: 9, min: 0.2, minStep: 9, max: 1, maxStep: 0, count: 10 }] }),
        logAppend: '',
      });
      const reqs = await answerAll(h, answered, 2);
      assert.deepEqual(reqs.map((r) => r.key).sort(), ['accuracy', 'val_loss'], 'only the changed metric reloads; the new one loads');
      assert.deepEqual(await h.page.evaluate(() => Object.keys((window as any).__looplineCharts).sort()), ['accuracy', 'loss', 'val_loss']);
      await h.send({ type: 'update', run: runDetail({ status: 'FAILED', endTime: T0 + 3_723_000, exitCode: 1 }), logAppend: 'Traceback: boom\n' });
      assert.equal(await rowValue(h, '.summary-kv', 'Status'), '✗ failed');
      assert.equal(await rowValue(h, '.summary-kv', 'Exit code'), '1');
      assert.equal(await rowValue(h, '.summary-kv', 'Duration'), '1 h 02 m');
      assert.equal(await h.page.locator('.run-header .status-badge').textContent(), '✗ failed');
      await h.send({ type: 'error', message: 'Could not read the log' });
      assert.equal(await h.page.locator('[role="alert"]').textContent(), 'Could not read the log');
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('x axis, log scale and zoom survive a reload', async () => {
    const { h, answered } = await open('light');
    try {
      await answerAll(h, answered, 2);
      await h.page.click('#x-axis-select');
      await h.page.locator('#x-axis-select').getByRole('option', { name: 'Wall time', exact: true }).click();
      await answerAll(h, answered, 2);
      await h.page.click('#log-scale');
      const box = (await h.page.locator('section[data-metric="accuracy"] canvas').boundingBox())!;
      await h.page.waitForFunction(() => !!(window as any).__looplineCharts.accuracy);
      const area = await h.page.evaluate(() => (window as any).__looplineCharts.accuracy.chartArea);
      const y = box.y + (area.top + area.bottom) / 2;
      await h.page.mouse.move(box.x + area.left + 50, y);
      await h.page.mouse.down();
      await h.page.mouse.move(box.x + area.left + 200, y, { steps: 4 });
      await h.page.mouse.up();
      const [zoomReq] = await answerAll(h, answered, 1);
      assert.equal(zoomReq.key, 'accuracy');
      assert.ok(zoomReq.range && zoomReq.range.minStep > 0 && zoomReq.range.maxStep < 99, JSON.stringify(zoomReq.range));

      await h.page.reload();
      await h.waitForPosted('ready');
      await h.send({ type: 'init', run: runDetail(), logTail: '', logTruncated: false });
      const again = await answerAll(h, new Set(), 2);
      assert.ok(again.every((r) => r.xAxis === 'wall'));
      assert.deepEqual(again.find((r) => r.key === 'accuracy').range, zoomReq.range);
      // A log axis is drawn by chart.js itself, once its script has loaded.
      await h.page.waitForFunction(() => (window as any).__looplineCharts.loss?.scales.y.type === 'logarithmic');
      assert.equal(await h.page.locator('section.section-log p.muted').isVisible(), false);
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('run data is rendered as text, never as markup (XSS)', async () => {
    const evil = '<img src=x onerror="window.__pwned=1">';
    const evilScript = '</script><script>window.__pwned=2</script>';
    const run = runDetail({
      name: evil,
      params: { [evil]: evilScript },
      tags: { note: evilScript },
      command: evilScript,
      backend: evil,
      git: { isRepo: true, commit: evil, branch: evilScript, dirty: false, patchTruncated: false },
      artifacts: [{ path: evil, size: null }],
      metrics: [{ key: evil, last: 1, lastStep: 1, min: 1, minStep: 1, max: 1, maxStep: 1, count: 2 }],
    });
    const { h } = await open('high-contrast', run, `${evil}\n${evilScript}\n`, false);
    try {
      await h.send({ type: 'update', run, logAppend: `${evil}\n` });
      await h.page.waitForTimeout(300);
      assert.equal(await h.page.evaluate(() => (window as any).__pwned), undefined);
      assert.equal(await h.page.locator('#app img, #app script').count(), 0);
      assert.equal(await h.page.locator('h1').textContent(), evil);
      assert.equal(await h.page.locator('pre.log-tail').textContent(), `${evil}\n${evilScript}\n${evil}\n`);
      assert.equal(await rowValue(h, '.params-kv', evil), evilScript);
      assert.equal(await rowValue(h, '.summary-kv', 'Command'), evilScript);
      assert.equal(await h.page.locator('.artifact-list button').textContent(), evil);
      assert.equal(await h.page.locator('section.chart-card h3').textContent(), evil);
      await h.page.click('.artifact-list button');
      assert.deepEqual(await h.waitForPosted('openArtifact'), { type: 'openArtifact', path: evil });
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  for (const theme of ['dark', 'high-contrast'] as const) {
    test(`screenshot: ${theme}`, async () => {
      const { h, answered } = await open(theme);
      try {
        await answerAll(h, answered, 2);
        await h.page.screenshot({ path: join(SHOTS, `run-detail-${theme}.png`), fullPage: true });
        await assertClean(h);
      } finally {
        await h.close();
      }
    });
  }
});
