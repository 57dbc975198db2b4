import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportToMlflow } from '../src/core/importers/mlflow-export.ts';
import { importRuns } from '../src/core/importers/run-import.ts';
import type { RunStore } from '../src/core/store/run-store.ts';
import type { Run } from '../src/core/store/types.ts';
import { runCli } from './helpers/cli.ts';
import { fixture } from './helpers/import-fixtures.ts';
import { tempDir, tempStore } from './helpers/temp-store.ts';

const SOURCES: Array<[string, ...string[]]> = [
  ['mlflow-filestore', 'PacktPublishing__Hyperparameter-Tuning-with-Python'],
  ['mlflow-filestore', 'Finnk11__bilevel-rl'],
  ['mlflow-filestore', '16aryan__MLFlow'],
  ['tensorboard', 'CarlSchader__labeled-contrastive-framework'],
  ['tensorboard', 'BozzoloLu__GAN'],
  ['tensorboard', 'janosh__tensorboard-reducer'],
  ['dvclive', 'iterative__magnetic-tiles-defect'],
  ['dvclive', 'dberenbaum__dvclive-fabric'],
  ['wandb', 'rishabhg97__robust-cartpole'],
];

/** What must survive export and re-import: everything but the tags an import adds about itself. */
function comparable(store: RunStore, run: Run) {
  const tags = Object.fromEntries(Object.entries(run.tags).filter(([k]) => !k.startsWith('loopline.import.')));
  const histories = Object.fromEntries(run.metrics.map((m) => [m.key, store.metricHistory(run.info.id, m.key)]));
  const { id, name, status, startTime, endTime, lifecycleStage, userId } = run.info;
  return { id, name, status, startTime, endTime, lifecycleStage, userId, experiment: store.getExperiment(run.info.experimentId).name, params: run.params, tags, histories };
}

test('export to an MLflow file store and re-import: every param, tag and point comes back, for runs of every format', () => {
  const a = tempStore();
  const b = tempStore();
  const out = tempDir();
  try {
    const ids: string[] = [];
    for (const src of SOURCES) ids.push(...importRuns(a.store, { path: fixture(...src) }).runIds);
    // Values MLflow writes specially, and a param with a newline, on a run of our own.
    const own = a.store.createRun({ experimentId: a.store.ensureExperiment('own').id, name: 'edge values', params: [{ key: 'prompt', value: 'line 1\nline 2' }] });
    a.store.logBatch(own.info.id, {
      metrics: [
        { key: 'odd/values', value: NaN, timestamp: 1, step: 0 },
        { key: 'odd/values', value: Infinity, timestamp: 2, step: 1 },
        { key: 'odd/values', value: -Infinity, timestamp: 3, step: 2 },
        { key: 'odd/values', value: 1e-7, timestamp: 4, step: 3 },
        { key: 'odd/values', value: -0.1 + 0.3, timestamp: 5, step: 4 },
      ],
    });
    ids.push(own.info.id);

    const exported = exportToMlflow(a.store, ids, join(out.dir, 'mlruns'));
    assert.equal(exported.runs, ids.length);
    assert.deepEqual(exported.skipped, []);
    assert.ok(existsSync(join(out.dir, 'mlruns', '.trash')), 'deleted experiments go to .trash like MLflow');

    const back = importRuns(b.store, { path: join(out.dir, 'mlruns') });
    assert.deepEqual(back.skipped, []);
    assert.equal(back.runs.created, ids.length);
    let points = 0;
    for (const id of ids) {
      const before = comparable(a.store, a.store.getRun(id));
      const after = comparable(b.store, b.store.getRun(id));
      assert.deepEqual(after, before, `run ${before.name} (${id})`);
      points += Object.values(before.histories).reduce((n, h) => n + h.length, 0);
    }
    assert.equal(exported.metricPoints, points);
    assert.ok(points > 30_000, `the round trip covered ${points} points`);
    const artifactRun = ids.find((id) => a.store.recordedArtifacts(id).length > 0)!;
    assert.deepEqual(b.store.recordedArtifacts(artifactRun), a.store.recordedArtifacts(artifactRun));
    // The files are MLflow's own layout: nested keys are folders, values as Python prints floats.
    const ownFile = join(out.dir, 'mlruns', a.store.getRun(own.info.id).info.experimentId, own.info.id, 'metrics', 'odd', 'values');
    assert.deepEqual(readFileSync(ownFile, 'utf8').split('\n').slice(0, 3), ['1 nan 0', '2 inf 1', '3 -inf 2']);
  } finally {
    a.cleanup();
    b.cleanup();
    out.cleanup();
  }
});

test('loopline export mlflow writes the runs and says how to open them; bad usage explains itself', async () => {
  const t = tempDir();
  try {
    const store = join(t.dir, 'store.db');
    const imp = await runCli(['import', 'tensorboard', fixture('tensorboard', 'janosh__tensorboard-reducer'), '--experiment', 'reducer', '--json', '--store', store], { cwd: t.dir });
    assert.equal(imp.code, 0, imp.stderr);
    const ids: string[] = JSON.parse(imp.stdout).runIds;
    const exp = await runCli(['export', 'mlflow', ids[0]!.slice(0, 8), '--to', join(t.dir, 'out'), '--store', store], { cwd: t.dir });
    assert.equal(exp.code, 0, exp.stderr);
    assert.match(exp.stdout, /Exported 1 runs \(reducer\)/);
    assert.match(exp.stdout, /mlflow ui --backend-store-uri/);
    const all = await runCli(['export', 'mlflow', '--experiment', 'reducer', '--to', join(t.dir, 'out'), '--json', '--store', store], { cwd: t.dir });
    assert.equal(JSON.parse(all.stdout).runs, 4);
    const noTo = await runCli(['export', 'mlflow', ids[0]!, '--store', store], { cwd: t.dir });
    assert.equal(noTo.code, 2);
    assert.match(noTo.stderr, /--to DIR/);
  } finally {
    t.cleanup();
  }
});
