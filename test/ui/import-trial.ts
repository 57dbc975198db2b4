// A new user's import, driven as they would: `loopline import` of a TensorBoard log dir in a
// workspace, then the workspace opened in code-server with the packaged extension, the imported
// run's charts opened from the Experiments view, screenshot at test-results/ui/import-trial.png.
// Not a pass/fail test: a trial to look at (the importers' tests assert the counts).
//
//   node test/ui/import-trial.ts
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.ts';
import { openLoopline, packageExtension } from './trial-workbench.ts';
import { fileVersionRecord, scalarEventRecord } from '../helpers/tfevents-writer.ts';

const SHOT = join(REPO_ROOT, 'test-results', 'ui', 'import-trial.png');

const vsix = await packageExtension();
const scratch = mkdtempSync(join(tmpdir(), 'loopline-import-trial-'));
const workspace = join(scratch, 'project');
const logdir = join(workspace, 'runs', 'resnet-lr0.1');
mkdirSync(logdir, { recursive: true });
const records: Buffer[] = [fileVersionRecord(1_700_000_000)];
for (let step = 0; step < 200_000; step++) {
  const t = 1_700_000_000 + step * 0.05;
  records.push(scalarEventRecord(t, step, 'train/loss', Math.exp(-step / 40_000) * (1 + 0.1 * Math.sin(step / 300)) + (step % 50_000 === 0 ? 2 : 0)));
  if (step % 10 === 0) records.push(scalarEventRecord(t, step, 'train/accuracy', 1 - 0.9 * Math.exp(-step / 30_000)));
}
writeFileSync(join(logdir, 'events.out.tfevents.1700000000.host.1.0'), Buffer.concat(records));
writeFileSync(join(workspace, 'train.py'), 'print("training")\n');
const t0 = performance.now();
const out = execFileSync(join(REPO_ROOT, 'bin', 'loopline'), ['import', 'runs', '--json'], { cwd: workspace, encoding: 'utf8' });
const summary = JSON.parse(out) as { runs: { created: number }; metricPoints: { added: number } };
console.log(`loopline import: ${summary.runs.created} run(s), ${summary.metricPoints.added} points in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const { page, close } = await openLoopline(vsix, scratch, workspace);
try {
  const experiment = page.locator('.part.sidebar .monaco-list-row', { hasText: 'runs' }).first();
  await experiment.waitFor({ timeout: 60_000 });
  await experiment.click();
  const run = page.locator('.part.sidebar .monaco-list-row', { hasText: 'resnet-lr0.1' }).first();
  await run.waitFor({ timeout: 30_000 });
  await run.click();
  // Compare Selected Runs (the Experiments view's chart button) opens the run's metric charts.
  await page.locator('.part.sidebar .actions-container a[aria-label^="Compare Selected Runs"]').first().click({ timeout: 30_000 });
  // The run's page draws its metric charts (canvases inside a webview frame).
  const deadline = Date.now() + 60_000;
  let canvases = 0;
  while (Date.now() < deadline && canvases < 1) {
    canvases = 0;
    for (const f of page.frames()) if (f !== page.mainFrame()) canvases += await f.locator('canvas').count().catch(() => 0);
    await page.waitForTimeout(500);
  }
  await page.waitForTimeout(2000);
  mkdirSync(join(REPO_ROOT, 'test-results', 'ui'), { recursive: true });
  await page.screenshot({ path: SHOT });
  console.log(`charts drawn: ${canvases}; screenshot ${SHOT}`);
} finally {
  await close();
  if (process.env.LOOPLINE_KEEP_SCRATCH) console.error(`kept ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
