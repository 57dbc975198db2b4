// A large experiment's table, as a user meets it: `loopline import` of an MLflow store of 5,000
// runs (the import leaves the table's columnar copy beside the store), then the workspace opened in
// code-server with the packaged extension and the experiment's table opened from the Experiments
// view. Prints the time from the click to the last row's status line (the page load included), screenshot at
// test-results/ui/table-trial.png. Then picks the metrics' min (sent only when asked for) and checks
// a cell against the source files, and again after another process logs to that run (the table is
// read again; the min must be the new rows'). Not a pass/fail test for the figures: a trial to look
// at (test/table-copy.test.ts asserts what the copy holds); it fails when a value shown is wrong.
//
//   node test/ui/table-trial.ts
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { RunStore } from '../../src/core/store/run-store.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { openLoopline, packageExtension } from './trial-workbench.ts';

const RUNS = 5000;
const SHOT = join(REPO_ROOT, 'test-results', 'ui', 'table-trial.png');

const vsix = await packageExtension();
const scratch = mkdtempSync(join(tmpdir(), 'loopline-table-trial-'));
const workspace = join(scratch, 'project');
const exp = join(workspace, 'mlruns', '1');
mkdirSync(exp, { recursive: true });
writeFileSync(join(exp, 'meta.yaml'), "artifact_location: file:///nowhere/1\nexperiment_id: '1'\nlifecycle_stage: active\nname: big-sweep\n");
for (let r = 0; r < RUNS; r++) {
  const id = (0xa000 + r).toString(16).padStart(32, '0');
  const dir = join(exp, id);
  for (const d of ['metrics', 'params', 'tags']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(
    join(dir, 'meta.yaml'),
    `artifact_uri: file:///nowhere/1/${id}/artifacts\nend_time: ${1_700_000_100_000 + r * 7}\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: ${id}\nrun_name: trial-${r}\nrun_uuid: ${id}\nsource_type: 4\nstart_time: ${1_700_000_000_000 + r * 1000}\nstatus: 3\nuser_id: trial\n`,
  );
  for (let p = 0; p < 8; p++) writeFileSync(join(dir, 'params', `p${p}`), String((r * (p + 3)) % 17));
  for (let m = 0; m < 6; m++) writeFileSync(join(dir, 'metrics', `m${m}`), `1700000000000 ${Math.sin(r + m)} 0\n1700000001000 ${Math.cos(r * m)} 1\n`);
}
writeFileSync(join(workspace, 'train.py'), 'print("training")\n');
let t0 = performance.now();
execFileSync(join(REPO_ROOT, 'bin', 'loopline'), ['import', 'mlruns', '--json'], { cwd: workspace, encoding: 'utf8' });
const copies = join(workspace, '.loopline', 'loopline.db.tables');
console.log(`loopline import: ${RUNS} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s; table copy kept: ${existsSync(copies)}`);

const { page, close } = await openLoopline(vsix, scratch, workspace);
try {
  const experiment = page.locator('.part.sidebar .monaco-list-row', { hasText: 'big-sweep' }).first();
  await experiment.waitFor({ timeout: 60_000 });
  await experiment.hover();
  // The experiment row's own table button.
  const button = experiment.locator('a[aria-label^="Open Experiment Table"]').first();
  await button.waitFor({ timeout: 10_000 });
  t0 = performance.now();
  await button.click();
  // The table's status line says how many runs it holds once every row is in.
  const deadline = Date.now() + 60_000;
  let status = '';
  while (Date.now() < deadline && status !== `${RUNS.toLocaleString('en-US')} runs`) {
    for (const f of page.frames()) {
      const s = await f.locator('.status-line').first().textContent({ timeout: 100 }).catch(() => null);
      if (s) status = s;
    }
    await page.waitForTimeout(50);
  }
  console.log(`table: "${status}" ${((performance.now() - t0) / 1000).toFixed(2)} s after the command (panel creation and page load included)`);
  let frame: Frame | undefined;
  for (const f of page.frames()) if ((await f.locator('.status-line').count().catch(() => 0)) > 0) frame = f;
  if (!frame) throw new Error('the table webview was not found');
  // The first row is the newest run, trial-4999; its m0 cell's tooltip holds the exact value shown.
  const m0 = (f: Frame) =>
    f.evaluate(() => {
      const col = document.querySelector('[role=columnheader][data-column-id="metrics.m0"]')?.getAttribute('aria-colindex');
      const row = document.querySelector('.grid-body [role=row][aria-rowindex="2"]');
      const cell = row?.querySelector(`[role=gridcell][aria-colindex="${col}"]`);
      return { name: row ? document.getElementById((row.getAttribute('aria-owns') ?? '').split(' ')[0] ?? '')?.textContent : null, text: cell?.textContent ?? null, tip: (cell as HTMLElement | null)?.title ?? null, status: document.querySelector('.status-line')?.textContent ?? '' };
    });
  const settled = async (f: Frame, want: (c: Awaited<ReturnType<typeof m0>>) => boolean, what: string) => {
    const until = Date.now() + 30_000;
    let c = await m0(f);
    while (!want(c) && Date.now() < until) {
      await page.waitForTimeout(50);
      c = await m0(f);
    }
    console.log(`${what}: ${JSON.stringify(c)}`);
    if (!want(c)) throw new Error(`${what}: the table shows ${JSON.stringify(c)}`);
    return c;
  };
  t0 = performance.now();
  await frame.locator('.aggregate-switch [data-aggregate="min"]').click();
  // trial-4999 logged m0 = sin(4999) at step 0 and cos(0) = 1 at step 1.
  await settled(frame, (c) => c.name === 'trial-4999' && c.tip === `min: ${Math.sin(4999)}` && !/loading/.test(c.status), 'min picked');
  console.log(`min shown ${((performance.now() - t0) / 1000).toFixed(2)} s after the click`);
  // Another process logs a lower m0 to that run: the table is read again, and its min is the new rows'.
  const store = RunStore.open(join(workspace, '.loopline', 'loopline.db'));
  store.logBatch((0xa000 + 4999).toString(16).padStart(32, '0'), { metrics: [{ key: 'm0', value: -42, step: 2, timestamp: 1_700_000_002_000 }] });
  store.close();
  await settled(frame, (c) => c.name === 'trial-4999' && c.tip === 'min: -42' && !/loading/.test(c.status), 'after a write by another process');
  await page.waitForTimeout(1000);
  mkdirSync(join(REPO_ROOT, 'test-results', 'ui'), { recursive: true });
  await page.screenshot({ path: SHOT });
  console.log(`screenshot ${SHOT}`);
} finally {
  await close();
  if (process.env.LOOPLINE_KEEP_SCRATCH) console.error(`kept ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
