// A large experiment's table, as a user meets it: `loopline import` of an MLflow store of 5,000
// runs (the import leaves the table's columnar copy beside the store), then the workspace opened in
// code-server with the packaged extension and the experiment's table opened from the Experiments
// view. Prints the time from the click to the last row's status line (the page load included), screenshot at
// test-results/ui/table-trial.png. Not a pass/fail test: a trial to look at (test/table-copy.test.ts
// asserts what the copy holds).
//
//   node test/ui/table-trial.ts
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  await page.waitForTimeout(1000);
  mkdirSync(join(REPO_ROOT, 'test-results', 'ui'), { recursive: true });
  await page.screenshot({ path: SHOT });
  console.log(`screenshot ${SHOT}`);
} finally {
  await close();
  if (process.env.LOOPLINE_KEEP_SCRATCH) console.error(`kept ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
