import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../src/core/store/run-store.ts';
import type { Run } from '../src/core/store/types.ts';
import { aggregateFolds } from '../src/core/sweeps/cross-validation.ts';
import { gitRepo, runCli } from './helpers/cli.ts';
import { IRIS_EXAMPLE, PYTHON_CLIENT_DIR } from './helpers/paths.ts';
import { tempDir } from './helpers/temp-store.ts';

// A fold: accuracy = 0.5 + 0.1 * fold, loss = 2 - fold (last values; an earlier point checks that
// the last one is taken), and a crash when the fold is listed in CRASH_FOLDS.
const FOLD_SCRIPT = `
import os, sys
sys.path.insert(0, ${JSON.stringify(PYTHON_CLIENT_DIR)})
import loopline
fold, folds, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
assert folds == 4 and seed == 11, (folds, seed)
with loopline.start_run() as run:
    run.log_metric("accuracy", 0.0, step=0)
    if str(fold) in os.environ.get("CRASH_FOLDS", "").split(","):
        raise SystemExit("fold %d: out of memory (on purpose)" % fold)
    run.log_metric("accuracy", 0.5 + 0.1 * fold, step=1)
    run.log_metric("loss", 2.0 - fold, step=1)
print("fold", fold, "done")
`;

function project(files: Record<string, string>) {
  const t = tempDir('loopline-cv-');
  gitRepo(t.dir, { ...files, '.gitignore': '.loopline/\n' });
  return { ...t, store: () => RunStore.open(join(t.dir, '.loopline', 'loopline.db')) };
}

function cvIdFrom(stderr: string): string {
  const m = /cross-validation ([0-9a-f]{32})/.exec(stderr);
  assert.ok(m, `no cross-validation id in:\n${stderr}`);
  return m[1]!;
}

function folds(store: RunStore, parentId: string): Run[] {
  const exps = store.listExperiments().map((e) => e.id);
  return store
    .searchRuns({ experimentIds: exps, filter: `tags.mlflow.parentRunId = '${parentId}'`, maxResults: 100 })
    .runs.sort((a, b) => Number(a.params.fold) - Number(b.params.fold));
}

function metric(run: Run, key: string): number | undefined {
  return run.metrics.find((m) => m.key === key)?.last;
}

test('aggregation: mean, population std and per-fold values over finished folds only', () => {
  const r = aggregateFolds([
    { fold: 2, runId: 'c', status: 'FINISHED', metrics: { acc: 1.0, loss: 0.5 } },
    { fold: 0, runId: 'a', status: 'FINISHED', metrics: { acc: 0.8 } },
    { fold: 1, runId: 'b', status: 'FINISHED', metrics: { acc: 0.9, loss: 1.5 } },
    { fold: 3, runId: 'd', status: 'FAILED', reason: 'exited with code 1', metrics: { acc: 0.1, loss: 9 } },
  ]);
  assert.equal(r.folds, 4);
  assert.equal(r.finished, 3);
  assert.deepEqual(r.failed.map((f) => f.fold), [3]);
  const acc = r.metrics.find((m) => m.key === 'acc')!;
  // (0.8 + 0.9 + 1.0) / 3 = 0.9; deviations -0.1, 0, 0.1 → sqrt(0.02 / 3)
  assert.ok(Math.abs(acc.mean - 0.9) < 1e-12);
  assert.ok(Math.abs(acc.std - Math.sqrt(0.02 / 3)) < 1e-12);
  assert.deepEqual(acc.values, [0.8, 0.9, 1.0, null]);
  assert.equal(acc.n, 3);
  // loss: only folds 1 and 2 logged it → mean 1, std 0.5; the failed fold's 9 is left out
  const loss = r.metrics.find((m) => m.key === 'loss')!;
  assert.deepEqual([loss.mean, loss.std, loss.n], [1, 0.5, 2]);
  assert.deepEqual(loss.values, [null, 1.5, 0.5, null]);
});

test('loopline cv runs one fold per trial in parallel and records mean, std and per-fold values on the parent', async () => {
  const p = project({ 'fold.py': FOLD_SCRIPT });
  try {
    const r = await runCli(['cv', '--folds', '4', '--seed', '11', '--parallel', '2', '--name', 'cv4', '--', 'python3', 'fold.py', '{fold}', '{folds}', '{seed}'], { cwd: p.dir, timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    const id = cvIdFrom(r.stderr);
    assert.match(r.stderr, /FINISHED: 4 of 4 folds finished/);
    assert.match(r.stderr, /accuracy\s+0\.65\s+0\.1118/);
    const store = p.store();
    try {
      const parent = store.getRun(id);
      assert.equal(parent.info.status, 'FINISHED');
      assert.deepEqual([parent.params['cv.folds'], parent.params['cv.seed']], ['4', '11']);
      assert.equal(parent.tags['loopline.cv.foldsFinished'], '4/4');
      // accuracy 0.5, 0.6, 0.7, 0.8: mean 0.65, deviations ±0.05, ±0.15 → sqrt((2·0.0025 + 2·0.0225) / 4)
      assert.ok(Math.abs(metric(parent, 'cv.accuracy.mean')! - 0.65) < 1e-9);
      assert.ok(Math.abs(metric(parent, 'cv.accuracy.std')! - Math.sqrt(0.0125)) < 1e-9);
      assert.ok(Math.abs(metric(parent, 'cv.loss.mean')! - 0.5) < 1e-9);
      const perFold = store.metricHistory(id, 'cv.accuracy.folds').map((pt) => [pt.step, Math.round(pt.value * 100) / 100]);
      assert.deepEqual(perFold, [[0, 0.5], [1, 0.6], [2, 0.7], [3, 0.8]]);
      const children = folds(store, id);
      assert.deepEqual(children.map((c) => [c.params.fold, c.params.folds, c.params.seed, c.info.status]), [
        ['0', '4', '11', 'FINISHED'],
        ['1', '4', '11', 'FINISHED'],
        ['2', '4', '11', 'FINISHED'],
        ['3', '4', '11', 'FINISHED'],
      ]);
      assert.equal(children[2]!.info.command, 'python3 fold.py 2 4 11');
    } finally {
      store.close();
    }
  } finally {
    p.cleanup();
  }
});

test('a fold that crashes: the others still run, the parent is FAILED naming the fold, and the report says what the means cover', async () => {
  const p = project({ 'fold.py': FOLD_SCRIPT });
  try {
    const r = await runCli(['cv', '--folds', '4', '--seed', '11', '--parallel', '2', '--', 'python3', 'fold.py', '{fold}', '{folds}', '{seed}'], {
      cwd: p.dir,
      timeoutMs: 90_000,
      env: { CRASH_FOLDS: '2' },
    });
    assert.equal(r.code, 1, r.stderr);
    const id = cvIdFrom(r.stderr);
    assert.match(r.stderr, /FAILED: 3 of 4 folds finished/);
    assert.match(r.stderr, /fold 2 \(run [0-9a-f]{8}\) FAILED: exited with code 1/);
    assert.match(r.stderr, /out of memory \(on purpose\)/, 'the fold\'s own error reaches the terminal');
    const store = p.store();
    try {
      const parent = store.getRun(id);
      assert.equal(parent.info.status, 'FAILED');
      assert.match(parent.tags['loopline.statusReason']!, /fold 2 of 4 did not finish .*cover the 3 finished folds/);
      assert.equal(parent.tags['loopline.cv.foldsFinished'], '3/4');
      // Folds 0, 1, 3: accuracy 0.5, 0.6, 0.8 → mean 0.6333…; the crashed fold's 0.0 is not in it.
      assert.ok(Math.abs(metric(parent, 'cv.accuracy.mean')! - 1.9 / 3) < 1e-9);
      assert.deepEqual(store.metricHistory(id, 'cv.accuracy.folds').map((pt) => pt.step), [0, 1, 3]);
      assert.deepEqual(folds(store, id).map((c) => c.info.status), ['FINISHED', 'FINISHED', 'FAILED', 'FINISHED']);
    } finally {
      store.close();
    }
  } finally {
    p.cleanup();
  }
});

test("the Iris example's --fold/--folds: 3 folds validate on disjoint parts and the parent's mean is the folds' mean", async () => {
  const t = tempDir('loopline-cv-iris-');
  try {
    gitRepo(t.dir, { '.gitignore': '.loopline/\nmodel.json\n' });
    mkdirSync(join(t.dir, 'iris'));
    copyFileSync(IRIS_EXAMPLE, join(t.dir, 'iris', 'train.py'));
    copyFileSync(join(IRIS_EXAMPLE, '..', 'iris.csv'), join(t.dir, 'iris', 'iris.csv'));
    const r = await runCli(['cv', '--folds', '3', '--seed', '5', '--', 'python3', 'iris/train.py', '--fold', '{fold}', '--folds', '{folds}', '--seed', '{seed}', '--epochs', '15', '--out', 'model.json'], {
      cwd: t.dir,
      timeoutMs: 90_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const id = cvIdFrom(r.stderr);
    const store = RunStore.open(join(t.dir, '.loopline', 'loopline.db'));
    try {
      const children = folds(store, id);
      assert.equal(children.length, 3);
      const acc = children.map((c) => metric(c, 'val_accuracy')!);
      assert.ok(Math.abs(metric(store.getRun(id), 'cv.val_accuracy.mean')! - (acc[0]! + acc[1]! + acc[2]!) / 3) < 1e-12);
      // 150 rows, 50 per class dealt round-robin into 3 parts: each fold holds out 51, 51 or 48 rows,
      // so a fold's accuracy is a multiple of 1/51 or 1/48 — and the parts differ, so the folds do.
      for (const a of acc) assert.ok([51, 48].some((n) => Math.abs(a * n - Math.round(a * n)) < 1e-9), `accuracy ${a}`);
      assert.ok(new Set(children.map((c) => c.params.fold)).size === 3);
    } finally {
      store.close();
    }
  } finally {
    t.cleanup();
  }
});
