import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importRuns } from '../src/core/importers/run-import.ts';
import type { RunStore } from '../src/core/store/run-store.ts';
import type { Run } from '../src/core/store/types.ts';
import { copyFixture, fixture } from './helpers/import-fixtures.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir, tempStore } from './helpers/temp-store.ts';

function allRuns(store: RunStore): Run[] {
  const ids = store.listExperiments('ALL').map((e) => e.id);
  return store.searchRuns({ experimentIds: ids, viewType: 'ALL', maxResults: 1000 }).runs;
}

test('MLflow 16aryan store: 7 runs, 3 FINISHED with models, 4 stuck RUNNING, one point per metric', () => {
  const t = tempStore();
  try {
    const s = importRuns(t.store, { path: fixture('mlflow-filestore', '16aryan__MLFlow', 'mlruns') });
    assert.equal(s.format, 'mlflow');
    assert.deepEqual(s.runs, { read: 7, created: 7, updated: 0, unchanged: 0 });
    assert.deepEqual(s.skipped, []);
    const runs = allRuns(t.store);
    assert.equal(runs.length, 7);
    const finished = runs.filter((r) => r.info.status === 'FINISHED');
    const running = runs.filter((r) => r.info.status === 'RUNNING');
    assert.equal(finished.length, 3);
    assert.equal(running.length, 4);
    for (const r of running) {
      assert.equal(r.info.endTime, null);
      assert.ok(r.tags['mlflow.source.git.commit'], 'RUNNING runs carry their git commit');
    }
    for (const r of finished) {
      assert.ok(r.tags['mlflow.log-model.history']);
      const files = t.store.recordedArtifacts(r.info.id).map((a) => a.path);
      assert.ok(files.includes('model/MLmodel'), `model files copied: ${files}`);
      assert.ok(existsSync(join(t.store.artifactsRoot, r.info.id, 'model', 'MLmodel')));
    }
    for (const r of runs) {
      assert.deepEqual(Object.keys(r.params).sort(), ['alpha', 'l1_ratio']);
      assert.deepEqual(r.metrics.map((m) => [m.key, m.count, m.lastStep]), [['mae', 1, 0], ['r2', 1, 0], ['rmse', 1, 0]]);
      assert.equal(r.info.name, r.tags['mlflow.runName']);
      assert.equal(r.tags['loopline.import.format'], 'mlflow');
      assert.equal(r.tags['loopline.import.source_id'], r.info.id, 'MLflow run ids are kept');
    }
    const wise = runs.find((r) => r.info.id === '0d8653353e3e43beb89442a8bca1a94d')!;
    assert.equal(wise.info.name, 'wise-roo-476');
    assert.equal(wise.info.startTime, 1748257990910);
    assert.equal(wise.info.endTime, 1748257992525);
    assert.equal(wise.info.userId, 'aryan');
  } finally {
    t.cleanup();
  }
});

test('MLflow Packt store: .trash experiments and runs come in deleted, nested runs, old meta.yaml, URL-encoded artifact URI', () => {
  const t = tempStore();
  try {
    const s = importRuns(t.store, { path: fixture('mlflow-filestore', 'PacktPublishing__Hyperparameter-Tuning-with-Python', 'mlruns') });
    assert.equal(s.runs.created, 19);
    const deletedExps = t.store.listExperiments('DELETED_ONLY').map((e) => e.name).sort();
    assert.deepEqual(deletedExps, ['example', 'test', 'test1', 'test2', 'test3'], 'all 5 trashed experiments, the empty one too');
    const byExp = (name: string) => allRuns(t.store).filter((r) => r.info.experimentId === t.store.getExperimentByName(name).id);
    assert.deepEqual(['test1', 'test2', 'test3', 'example'].map((n) => byExp(n).length), [3, 9, 2, 2]);
    assert.equal(byExp('test').length, 0);
    for (const n of ['test1', 'test2', 'test3', 'example']) for (const r of byExp(n)) assert.equal(r.info.lifecycleStage, 'deleted');

    const defaultRuns = byExp('Default');
    assert.equal(defaultRuns.length, 1);
    assert.equal(defaultRuns[0]!.info.lifecycleStage, 'deleted');
    assert.equal(defaultRuns[0]!.info.status, 'RUNNING');
    assert.equal(defaultRuns[0]!.info.endTime, null);
    assert.equal(defaultRuns[0]!.info.name, 'bb55f3cea2cd4a61bfaa09714f19f792', 'no run_name and no runName tag: named by id');

    const child = t.store.getRun('f7d034672fce496d891b6f054749ea99');
    assert.equal(child.tags['mlflow.parentRunId'], 'a3112407148b4966b929bc9f8784a3d3');
    const parent = t.store.getRun('a3112407148b4966b929bc9f8784a3d3');
    assert.equal(parent.tags['release.version'], '2.2.0');
    const foo = t.store.metricHistory('a3112407148b4966b929bc9f8784a3d3', 'foo');
    assert.deepEqual(foo.map((p) => p.step), [1, 2, 3]);
    assert.equal(foo[0]!.value, 0.5957562753945062);
    assert.equal(foo[0]!.timestamp, 1656994881659);
    assert.ok(Object.keys(child.params).every((k) => ['param1', 'child'].includes(k)));
    assert.match(parent.tags['loopline.import.artifact_uri']!, /Louis%20Owen/);
    assert.ok(allRuns(t.store).some((r) => t.store.recordedArtifacts(r.info.id).some((a) => a.path === 'test.txt' && a.size === 12)));
    assert.deepEqual(s.skipped, [], 'the stray .ipynb_checkpoints file is not a problem');
  } finally {
    t.cleanup();
  }
});

test('MLflow bilevel-rl store: nested metric keys with spaces, non-contiguous steps, FAILED runs with params only', () => {
  const t = tempStore();
  try {
    importRuns(t.store, { path: fixture('mlflow-filestore', 'Finnk11__bilevel-rl') }); // the project folder: mlruns found inside
    const runs = allRuns(t.store);
    assert.equal(runs.length, 5);
    assert.ok(runs.every((r) => r.info.name === 'qb' && r.tags['mlflow.source.git.commit']));
    assert.deepEqual(t.store.listExperiments('ALL').map((e) => e.name).sort(), ['DQN', 'Default']);
    const failed = runs.filter((r) => r.info.status === 'FAILED');
    assert.equal(failed.length, 2);
    for (const r of failed) assert.equal(Object.keys(r.params).length, 26), assert.equal(r.metrics.length, 0);
    const finished = runs.filter((r) => r.info.status === 'FINISHED');
    assert.equal(finished.length, 3);
    for (const r of finished) {
      const keys = r.metrics.map((m) => m.key);
      assert.ok(keys.includes('rollout/exploration rate') && keys.includes('time/total timesteps') && keys.includes('eval/mean_reward'));
      for (const m of r.metrics) assert.ok(m.count >= 6 && m.count <= 36, `${m.key}: ${m.count}`);
      const expl = t.store.metricHistory(r.info.id, 'rollout/exploration rate');
      assert.equal(expl.length, 36);
      assert.deepEqual(expl.slice(0, 3).map((p) => p.step), [720, 1440, 2160]);
      assert.equal(expl.at(-1)!.step, 21600);
    }
  } finally {
    t.cleanup();
  }
});

test('MLflow import is idempotent, and a re-import after the store grew adds only the new run and points', () => {
  const t = tempStore();
  const src = tempDir();
  try {
    const root = copyFixture(join(src.dir, 'mlruns'), 'mlflow-filestore', 'Finnk11__bilevel-rl', 'mlruns');
    const first = importRuns(t.store, { path: root });
    const again = importRuns(t.store, { path: root });
    assert.deepEqual(again.runs, { read: 5, created: 0, updated: 0, unchanged: 5 });
    assert.equal(again.metricPoints.added, 0);
    assert.equal(allRuns(t.store).length, 5);

    const runDir = join(root, '1', 'f60ab17eafd546f28a8135f8ac5b21e7');
    appendFileSync(join(runDir, 'metrics', 'train', 'loss'), '1675442000000 0.001 22320\n1675442100000 0.0009 23040\n');
    cpSync(runDir, join(root, '1', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'), { recursive: true });
    const meta = readFileSync(join(runDir, 'meta.yaml'), 'utf8').replaceAll('f60ab17eafd546f28a8135f8ac5b21e7', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    writeFileSync(join(root, '1', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'meta.yaml'), meta);
    const grown = importRuns(t.store, { path: root });
    assert.equal(grown.runs.created, 1);
    assert.equal(grown.runs.updated, 1);
    assert.equal(grown.metricPoints.added, 2 + first.metricPoints.read / 3 + 2);
    const loss = t.store.metricHistory('f60ab17eafd546f28a8135f8ac5b21e7', 'train/loss');
    assert.deepEqual(loss.slice(-2).map((p) => [p.step, p.value]), [[22320, 0.001], [23040, 0.0009]]);
    assert.equal(allRuns(t.store).length, 6);
  } finally {
    t.cleanup();
    src.cleanup();
  }
});

test('a malformed meta.yaml and bad metric lines are skipped and reported with file and line; the rest imports', async () => {
  const t = tempStore();
  const src = tempDir();
  try {
    const root = copyFixture(join(src.dir, 'mlruns'), 'mlflow-filestore', '16aryan__MLFlow', 'mlruns');
    const bad = join(root, '0', '12ffb4f0709f437784bd8d63a270d702', 'meta.yaml');
    writeFileSync(bad, 'artifact_uri: [unclosed\nrun_id: 12ffb4f0709f437784bd8d63a270d702\n  status: : 3\n');
    appendFileSync(join(root, '0', '0d8653353e3e43beb89442a8bca1a94d', 'metrics', 'mae'), '\n1748257992600 not-a-number 1\n1748257992700 0.5 2\n');
    const s = importRuns(t.store, { path: root });
    assert.equal(s.runs.created, 6, 'the other runs are imported');
    const metaProblem = s.skipped.find((p) => p.file === bad);
    assert.ok(metaProblem, JSON.stringify(s.skipped));
    assert.match(metaProblem.position!, /^line \d+, column \d+$/);
    assert.match(metaProblem.message, /malformed YAML/);
    const lineProblem = s.skipped.find((p) => p.file.endsWith(join('metrics', 'mae')));
    assert.equal(lineProblem?.position, 'line 3');
    assert.deepEqual(t.store.metricHistory('0d8653353e3e43beb89442a8bca1a94d', 'mae').map((p) => p.step), [0, 2]);
    assert.throws(() => t.store.getRun('12ffb4f0709f437784bd8d63a270d702'), /not found/);

    // The CLI prints the same in JSON, and the dry run writes nothing.
    const dry = await runCli(['import', root, '--dry-run', '--json', '--store', join(src.dir, 'dry.db')], { cwd: src.dir });
    assert.equal(dry.code, 0, dry.stderr);
    const summary = JSON.parse(dry.stdout);
    assert.equal(summary.dryRun, true);
    assert.equal(summary.runs.read, 6);
    assert.equal(summary.skipped.length, 2);
    assert.equal(existsSync(join(src.dir, 'dry.db')), false);
    rmSync(join(root, '0'), { recursive: true });
    const none = await runCli(['import', join(src.dir, 'nothing-here')], { cwd: src.dir });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /Nothing to import at .*nothing-here/);
  } finally {
    t.cleanup();
    src.cleanup();
  }
});

test('MLflow 2/3 dataset inputs and logged models are kept as tags and artifacts; legacy two-column metric lines read as step 0', () => {
  const t = tempStore();
  const src = tempDir();
  try {
    const exp = join(src.dir, 'mlruns', '3');
    const runId = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    const run = join(exp, runId);
    const write = (path: string, text: string) => {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, text);
    };
    write(join(exp, 'meta.yaml'), "artifact_location: file:///elsewhere/3\nexperiment_id: '3'\nlifecycle_stage: active\nname: mlflow3\n");
    write(join(run, 'meta.yaml'), `artifact_uri: file:///elsewhere/3/${runId}/artifacts\nend_time: 1700000009000\nexperiment_id: '3'\nlifecycle_stage: active\nrun_id: ${runId}\nrun_name: with-inputs\nrun_uuid: ${runId}\nstart_time: 1700000000000\nstatus: 5\nuser_id: me\n`);
    write(join(run, 'metrics', 'legacy'), '1700000001000 0.25\n1700000002000 0.5\n');
    write(join(run, 'inputs', 'in1', 'meta.yaml'), 'destination_id: ' + runId + '\ndestination_type: RUN\nsource_id: ds1\nsource_type: DATASET\ntags:\n  mlflow.data.context: training\n');
    write(join(exp, 'datasets', 'ds1', 'meta.yaml'), "digest: abc123\nname: iris\nsource: '{\"uri\": \"iris.csv\"}'\nsource_type: local\n");
    write(join(exp, 'models', 'm-1', 'meta.yaml'), `model_id: m-1\nname: model\nsource_run_id: ${runId}\nexperiment_id: '3'\n`);
    write(join(exp, 'models', 'm-1', 'artifacts', 'MLmodel'), 'flavors: {}\n');
    const s = importRuns(t.store, { path: join(src.dir, 'mlruns') });
    assert.deepEqual(s.skipped, []);
    const r = t.store.getRun(runId);
    assert.equal(r.info.status, 'KILLED');
    const input = JSON.parse(r.tags['loopline.import.inputs.in1']!);
    assert.equal(input.dataset.name, 'iris');
    assert.equal(input.dataset.digest, 'abc123');
    assert.equal(JSON.parse(r.tags['loopline.import.model.m-1']!).name, 'model');
    assert.deepEqual(t.store.recordedArtifacts(runId).map((a) => a.path), ['models/m-1/MLmodel']);
    assert.equal(r.tags['loopline.import.artifacts_missing'], `file:///elsewhere/3/${runId}/artifacts`, "the run's own artifact folder is not on this machine");
    assert.deepEqual(t.store.metricHistory(runId, 'legacy').map((p) => [p.step, p.timestamp, p.value]), [[0, 1700000001000, 0.25], [0, 1700000002000, 0.5]]);
  } finally {
    t.cleanup();
    src.cleanup();
  }
});
