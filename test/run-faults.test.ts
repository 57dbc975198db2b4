import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../src/core/store/run-store.ts';
import { launchRun } from '../src/core/runs/run-launcher.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp-store.ts';

// Real faults need mount(8) as root: a 64 KB tmpfs that fills up, a read-only bind remount.
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const { dir, cleanup } = tempDir();
  try {
    return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]).status === 0 && spawnSync('umount', [dir]).status === 0;
  } finally {
    cleanup();
  }
})();
const skip = !canMount && 'needs root and mount(8) for a real full / read-only file system';

const mount = (...args: string[]) => execFileSync('mount', args);
const umount = (dir: string) => spawnSync('umount', [dir]);

test('a full disk under the output log does not kill `loopline run`: the script runs to the end and the run is FINISHED', { skip }, async (t) => {
  const { dir, cleanup } = tempDir();
  const artifacts = join(dir, '.loopline', 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  mount('-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', artifacts);
  t.after(() => {
    umount(artifacts);
    cleanup();
  });
  // ~400 KB of output into a 64 KB file system, then proof that the script was not cut short.
  const script = `
import sys
for i in range(4000):
    print("epoch %05d " % i + "x" * 90)
sys.stdout.flush()
open(${JSON.stringify(join(dir, 'done.txt'))}, "w").write("ok")
print("last line")
`;
  const r = await runCli(['run', '--store', join(dir, '.loopline', 'loopline.db'), '--', 'python3', '-c', script], { cwd: dir, timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(dir, 'done.txt'), 'utf8'), 'ok', 'the script ran to its end');
  assert.match(r.stdout, /epoch 03999 x+\nlast line\n$/, 'all output still reached the terminal');
  assert.match(r.stderr, /writing the output log .*no space left on device/i);
  assert.match(r.stderr, /run [0-9a-f]{32} .*finished/i);
  const store = RunStore.open(join(dir, '.loopline', 'loopline.db'));
  try {
    const [run] = store.searchRuns({ experimentIds: ['0'] }).runs;
    assert.equal(run?.info.status, 'FINISHED');
    assert.notEqual(run?.info.endTime, null);
  } finally {
    store.close();
  }
});

test('a store made read-only while the run goes on: the end is retried until it is writable, then recorded and reported', { skip }, async (t) => {
  const { dir, cleanup } = tempDir();
  const dot = join(dir, '.loopline');
  const dbPath = join(dot, 'loopline.db');
  const store = RunStore.open(dbPath);
  let bound = false;
  t.after(() => {
    if (bound) umount(dot);
    if (store.db.open) store.close();
    cleanup();
  });
  const active = await launchRun({ store, command: ['sleep', '0.5'], cwd: dir, tracking: { url: 'http://127.0.0.1:9', token: 't' }, spoolDir: join(dot, 'spool') });
  store.close(); // the window that launched it closes
  const logFile = join(dot, 'artifacts', active.runId, 'logs', 'output.log');
  while (!existsSync(logFile)) await new Promise((r) => setTimeout(r, 10));
  mount('--bind', dot, dot);
  bound = true;
  mount('-o', 'remount,ro,bind', dot);
  await active.process.exited;
  await new Promise((r) => setTimeout(r, 900));
  mount('-o', 'remount,rw,bind', dot);
  const outcome = await active.finished;
  assert.equal(outcome.statusRecorded, true, outcome.problems.join('\n'));
  assert.ok(!outcome.problems.some((p) => /output log/.test(p)), outcome.problems.join('\n'));
  assert.ok(outcome.problems.some((p) => /recording the final status needed [3-6] attempts \(first failure: .*(read-?only|cannot open the store)/i.test(p)), outcome.problems.join('\n'));
  const again = RunStore.open(dbPath);
  try {
    const run = again.getRun(active.runId);
    assert.equal(run.info.status, 'FINISHED');
    assert.ok(again.recordedArtifacts(active.runId).some((a) => a.path === 'logs/output.log'), 'the log artifact was recorded on the retry too');
  } finally {
    again.close();
  }
});

test('a store that stays unwritable: the launcher still ends, says the status could not be recorded and leaves it RUNNING', { skip }, async (t) => {
  const { dir, cleanup } = tempDir();
  const dot = join(dir, '.loopline');
  const dbPath = join(dot, 'loopline.db');
  const store = RunStore.open(dbPath);
  let bound = false;
  t.after(() => {
    if (bound) umount(dot);
    if (store.db.open) store.close();
    cleanup();
  });
  const active = await launchRun({
    store,
    command: ['sleep', '0.3'],
    cwd: dir,
    tracking: { url: 'http://127.0.0.1:9', token: 't' },
    spoolDir: join(dot, 'spool'),
    finishAttempts: 2,
  });
  store.close();
  mount('--bind', dot, dot);
  bound = true;
  mount('-o', 'remount,ro,bind', dot);
  const outcome = await active.finished;
  assert.equal(outcome.status, 'FINISHED');
  assert.equal(outcome.statusRecorded, false);
  assert.match(outcome.problems.at(-1) ?? '', new RegExp(`could not record that run ${active.runId} ended FINISHED after 2 attempts: .+ It still shows RUNNING`));
  umount(dot);
  bound = false;
  const again = RunStore.open(dbPath);
  try {
    assert.equal(again.getRun(active.runId).info.status, 'RUNNING', 'nothing pretends the end was recorded');
  } finally {
    again.close();
  }
  assert.ok(existsSync(dbPath));
});
