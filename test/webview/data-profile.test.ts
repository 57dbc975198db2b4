// The Data Profile webview in headless Chromium under the real CSP, fed profiles the core made
// from real files: a CSV with missing values and categories, hostile column names and values
// (rendered as text), the comparison mode with each column's drift, progress and cancel.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileFile } from '../../src/core/monitoring/data-profiler.ts';
import { profileDrift } from '../../src/core/monitoring/feature-drift.ts';
import { normalDraw, seededRandom } from '../../src/core/monitoring/seeded-random.ts';
import { toProfileMsg } from '../../src/protocol/data-profile-protocol.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { openWebview, type WebviewHarness } from './webview-harness.ts';

const SHOTS = join(REPO_ROOT, 'test-results', 'webview');
const XSS_NAME = '<img src=x onerror="window.__xss=1">';
const XSS_VALUE = '<script>window.__xss=2</script>';
let dir: string;

function writeCsv(name: string, rows: number, shift: number, seed: number): string {
  const rnd = seededRandom(seed);
  const lines = [`age,income,city,member,"${XSS_NAME.replace(/"/g, '""')}"`];
  for (let i = 0; i < rows; i++) {
    const age = i % 9 === 0 ? '' : (40 + shift + 12 * normalDraw(rnd)).toFixed(1);
    const income = (50_000 + 900 * Number(age || 40) + 5000 * normalDraw(rnd)).toFixed(0);
    const city = i % 13 === 0 ? 'NA' : ['Oslo', 'Bergen', 'Tromsø', 'Stavanger'][Math.floor(rnd() * 4)];
    lines.push(`${age},${income},${city},${rnd() < 0.4 ? 'true' : 'false'},${i % 2 ? XSS_VALUE : 'plain'}`);
  }
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'loopline-profile-webview-'));
  mkdirSync(SHOTS, { recursive: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function assertClean(h: WebviewHarness): Promise<void> {
  assert.deepEqual(await h.cspViolations(), [], 'no CSP violations');
  assert.deepEqual(h.pageErrors, [], 'no page errors');
  assert.equal(await h.page.evaluate(() => (window as any).__xss), undefined, 'no injected script ran');
  assert.equal(await h.page.locator('#app img, #app script').count(), 0, 'data never becomes markup');
}

const cardStat = (h: WebviewHarness, column: string, label: string) =>
  h.page.$$eval(
    'article.column-card',
    (cards, [c, l]) => {
      const card = cards.find((x) => (x as HTMLElement).dataset.column === c);
      const tr = [...(card?.querySelectorAll('table.stats tr') ?? [])].find((r) => r.querySelector('th')?.textContent === l);
      return tr?.querySelector('td')?.textContent ?? null;
    },
    [column, label] as const,
  );

describe('data profile webview', { timeout: 180_000 }, () => {
  test('one card per column with type, missing values, distribution and stats; correlations; hostile names stay text', async () => {
    const profile = await profileFile(writeCsv('people.csv', 300, 0, 1));
    const h = await openWebview('data-profile', { theme: 'light', width: 1300, height: 1000 });
    try {
      await h.waitForPosted('ready');
      await h.send({ type: 'profile', profile: toProfileMsg(profile) });
      await h.page.waitForSelector('article.column-card');
      assert.equal(await h.page.locator('h1').textContent(), 'people.csv');
      assert.match((await h.page.locator('.summary').textContent())!, /^300 rows × 5 columns · CSV · /);
      assert.deepEqual(
        await h.page.$$eval('article.column-card', (cards) => cards.map((c) => [c.querySelector('.column-name')!.textContent, c.querySelector('.type-badge')!.textContent])),
        [
          ['age', 'numeric'],
          ['income', 'numeric'],
          ['city', 'categorical'],
          ['member', 'boolean'],
          [XSS_NAME, 'categorical'],
        ],
      );
      assert.equal(await cardStat(h, 'age', 'missing'), '34 (11.3%)', 'every 9th age is empty');
      assert.equal(await cardStat(h, 'city', 'missing'), '24 (8.0%)', '"NA" is missing');
      assert.equal(await cardStat(h, XSS_NAME, 'most frequent'), `${XSS_VALUE} (50.0%)`);
      const charts: Record<string, any> = await h.page.evaluate(() =>
        Object.fromEntries(Object.entries((window as any).__looplineCharts).map(([k, c]: [string, any]) => [k, { type: c.config.type, labels: c.data.labels, sum: c.data.datasets[0].data.reduce((a: number, b: number) => a + b, 0) }])),
      );
      assert.equal(charts.age.type, 'bar');
      assert.equal(charts.age.sum, 266, 'the histogram holds every non-missing age');
      assert.deepEqual(charts.city.labels.slice().sort(), ['Bergen', 'Oslo', 'Stavanger', 'Tromsø']);
      assert.ok(charts[XSS_NAME].labels.includes(XSS_VALUE), 'the hostile value is a chart label (drawn as text on the canvas)');
      assert.deepEqual(await h.page.$$eval('table.correlation thead th', (ths) => ths.map((t) => t.textContent)), ['', 'age', 'income']);
      const r = Number(await h.page.locator('table.correlation tbody tr').first().locator('td').nth(1).textContent());
      assert.ok(r > 0.8, `age ~ income correlate (r = ${r})`);
      await h.page.click('#compare-with');
      assert.deepEqual(await h.waitForPosted('compareWith'), { type: 'compareWith' });
      await h.page.screenshot({ path: join(SHOTS, 'data-profile-light.png'), fullPage: true });
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('comparison mode: each column gets its drift; only the shifted column drifts', async () => {
    const reference = await profileFile(writeCsv('train.csv', 800, 0, 2));
    const current = await profileFile(writeCsv('test.csv', 1200, 15, 3));
    const drift = profileDrift(reference, current);
    const h = await openWebview('data-profile', { theme: 'dark', width: 1300, height: 1000 });
    try {
      await h.waitForPosted('ready');
      await h.send({ type: 'comparison', reference: toProfileMsg(reference), current: toProfileMsg(current), drift });
      await h.page.waitForSelector('.dataset-drift');
      assert.equal(await h.page.locator('h1').textContent(), 'train.csv vs test.csv');
      const statuses = await h.page.$$eval('article.column-card', (cards) => cards.map((c) => [(c as HTMLElement).dataset.column, c.querySelector('.drift')?.getAttribute('data-status') ?? c.querySelector('.drift')?.textContent]));
      // income follows age, so it moves too; city, member and the text column do not.
      assert.deepEqual(statuses, [
        ['age', 'drift'],
        ['income', 'drift'],
        ['city', 'ok'],
        ['member', 'ok'],
        [XSS_NAME, 'ok'],
      ]);
      assert.match((await h.page.locator('article[data-column="age"] .drift').textContent())!, /^drift · ks · p < 1e-12 \(drift if < 0\.05\) · n = 1,066/);
      assert.match((await h.page.locator('.dataset-drift').textContent())!, /^No dataset drift: 2 of 5 columns drifted \(40%/);
      assert.deepEqual(await h.page.$$eval('article[data-column="age"] table.stats thead th', (t) => t.map((x) => x.textContent)), ['', 'reference', 'current']);
      const age = await h.page.evaluate(() => {
        const c = (window as any).__looplineCharts.age;
        return { type: c.config.type, datasets: c.data.datasets.map((d: any) => d.label) };
      });
      assert.deepEqual(age, { type: 'line', datasets: ['train.csv', 'test.csv'] });
      await h.page.click('#close-comparison');
      assert.deepEqual(await h.waitForPosted('closeComparison'), { type: 'closeComparison' });
      await h.page.screenshot({ path: join(SHOTS, 'data-profile-compare-dark.png'), fullPage: true });
      await assertClean(h);
    } finally {
      await h.close();
    }
  });

  test('progress with cancel; a cancelled or failed read says so', async () => {
    const h = await openWebview('data-profile', { theme: 'light' });
    try {
      await h.waitForPosted('ready');
      await h.send({ type: 'progress', file: 'big.csv', fraction: 0.42, rows: 1_234_567 });
      await h.page.waitForSelector('.progress:not([hidden])');
      assert.equal(await h.page.locator('.progress-text').textContent(), 'Reading big.csv: 42% · 1,234,567 rows');
      assert.equal(await h.page.evaluate(() => (document.querySelector('.progress progress') as HTMLProgressElement).value), 0.42);
      await h.page.click('#cancel');
      assert.deepEqual(await h.waitForPosted('cancel'), { type: 'cancel' });
      await h.send({ type: 'cancelled', file: 'big.csv' });
      await h.page.waitForSelector('.banner:not([hidden])');
      assert.equal(await h.page.locator('.banner').textContent(), 'Profiling big.csv was cancelled.');
      assert.equal(await h.page.locator('.progress').isHidden(), true);
      await h.send({ type: 'error', message: `'x.xlsx' <b>bad</b>` });
      assert.equal(await h.page.locator('.banner').textContent(), `'x.xlsx' <b>bad</b>`);
      await assertClean(h);
    } finally {
      await h.close();
    }
  });
});
