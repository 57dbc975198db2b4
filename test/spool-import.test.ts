import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempStore } from './helpers/temp-store.ts';
import { importSpool } from '../src/core/tracking/spool-import.ts';
import type { RunStore } from '../src/core/store/run-store.ts';

const RID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const T0 = 1_700_000_000_000;

/** A temp store plus a spool folder with one artifact source file, as the Python client leaves it. */
function setup() {
  const t = tempStore();
  const spoolDir = join(t.dir, 'spool');
  mkdirSync(join(spoolDir, `${RID}-1.artifacts`, 'model'), { recursive: true });
  const source = join(spoolDir, `${RID}-1.artifacts`, 'model', 'model.pkl');
  const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) % 256));
  writeFileSync(source, bytes);
  const write = (lines: Array<object | string>, opts: { trailingNewline?: boolean } = {}) => {
    const file = join(spoolDir, `${RID}-1.jsonl`);
    const text = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
    writeFileSync(file, text + (opts.trailingNewline ?? true ? '\n' : ''));
    return file;
  };
  return { ...t, spoolDir, source, bytes, write };
}

const createRun = { v: 1, op: 'create-run', run_id: RID, experiment_id: '0', start_time: T0, tags: [{ key: 'mlflow.source.name', value: 'train.py' }], run_name: 'offline-1' };
const logBatch = {
  v: 1,
  op: 'log-batch',
  run_id: RID,
  metrics: [
    { key: 'loss', value: 0.5, timestamp: T0 + 1, step: 0 },
    { key: 'loss', value: 0.25, timestamp: T0 + 2, step: 1 },
    { key: 'loss', value: 'NaN', timestamp: T0 + 3, step: 2 },
  ],
  params: [{ key: 'lr', value: '0.01' }],
  tags: [{ key: 'k', value: 'v' }],
};
const updateRun = { v: 1, op: 'update-run', run_id: RID, status: 'FINISHED', end_time: T0 + 10 };
const artifact = (source: string) => ({ v: 1, op: 'artifact', run_id: RID, path: 'model/model.pkl', source });

/** Everything a user could see about the store, for before/after comparisons. */
function snapshot(store: RunStore) {
  const runs = store.searchRuns({ experimentIds: ['0'], viewType: 'ALL' }).runs;
  return JSON.stringify(
    runs.map((r) => ({
      run: r,
      history: r.metrics.map((m) => store.metricHistory(r.info.id, m.key).map((p) => [p.step, p.timestamp, String(p.value)])),
      artifacts: store.recordedArtifacts(r.info.id),
    })),
  );
}

test('a valid spool file creates the run with its metrics, params, tags, status and artifact', async () => {
  const t = setup();
  try {
    const file = t.write([createRun, logBatch, artifact(t.source), updateRun]);
    const r = await importSpool(t.store, file);
    assert.deepEqual(r, { runs: [RID], lines: 4, points: 3, artifacts: 1, problems: [] });

    const run = t.store.getRun(RID);
    assert.equal(run.info.name, 'offline-1');
    assert.equal(run.info.status, 'FINISHED');
    assert.equal(run.info.startTime, T0);
    assert.equal(run.info.endTime, T0 + 10);
    assert.deepEqual(run.params, { lr: '0.01' });
    assert.deepEqual(run.tags, { 'mlflow.source.name': 'train.py', 'mlflow.runName': 'offline-1', k: 'v' });
    const [loss] = run.metrics;
    assert.equal(loss!.count, 3);
    assert.ok(Number.isNaN(loss!.last), 'the NaN at the highest step is the last value');
    assert.deepEqual([loss!.min, loss!.max], [0.25, 0.5]);

    const copied = join(t.store.artifactsRoot, RID, 'model', 'model.pkl');
    assert.ok(readFileSync(copied).equals(t.bytes), 'artifact is byte-identical');
    assert.deepEqual(t.store.recordedArtifacts(RID), [
      { path: 'model/model.pkl', size: t.bytes.length, sha256: createHash('sha256').update(t.bytes).digest('hex') },
    ]);
  } finally {
    t.cleanup();
  }
});

test('importing the same spool twice changes nothing', async () => {
  const t = setup();
  try {
    const file = t.write([createRun, logBatch, artifact(t.source), updateRun]);
    await importSpool(t.store, file);
    const before = snapshot(t.store);
    const second = await importSpool(t.store, file);
    assert.deepEqual(second.problems, []);
    assert.equal(snapshot(t.store), before);
    assert.equal(t.store.countRuns('0'), 1);
    assert.equal(t.store.metricHistory(RID, 'loss').length, 3);
    assert.ok(readFileSync(join(t.store.artifactsRoot, RID, 'model', 'model.pkl')).equals(t.bytes));
  } finally {
    t.cleanup();
  }
});

test('a torn last line (writer crashed mid-write) is skipped and reported as incomplete', async () => {
  const t = setup();
  try {
    const torn = JSON.stringify({ v: 1, op: 'log-batch', run_id: RID, metrics: [{ key: 'acc', value: 0.9, timestamp: T0, step: 5 }] }).slice(0, 50);
    const file = t.write([createRun, logBatch, torn], { trailingNewline: false });
    const r = await importSpool(t.store, file);
    assert.equal(r.lines, 2);
    assert.equal(r.points, 3);
    assert.deepEqual(r.problems.map((p) => p.line), [3]);
    assert.match(r.problems[0]!.message, /incomplete last line/);
    assert.deepEqual(t.store.getRun(RID).metrics.map((m) => m.key), ['loss'], 'nothing from the torn line');
  } finally {
    t.cleanup();
  }
});

test('a garbage middle line is reported with its line number; the valid lines are still imported', async () => {
  const t = setup();
  try {
    const file = t.write([createRun, '}{ not json at all', logBatch, '[1, 2, 3]', '', updateRun, '{"v":1,"op":"log-ba']);
    const r = await importSpool(t.store, file);
    assert.deepEqual(
      r.problems.map((p) => [p.line, p.message.slice(0, 18)]),
      [[2, 'not valid JSON (Un'], [4, 'not valid JSON (no'], [7, 'not valid JSON (Un']],
    );
    assert.match(r.problems[1]!.message, /not a JSON object/);
    assert.ok(!/incomplete/.test(r.problems[2]!.message), 'a bad line that ends with a newline is complete, so not reported as torn');
    assert.equal(r.lines, 3);
    const run = t.store.getRun(RID);
    assert.equal(run.info.status, 'FINISHED');
    assert.deepEqual(run.params, { lr: '0.01' });
    assert.equal(run.metrics[0]!.count, 3);
  } finally {
    t.cleanup();
  }
});

test('unknown operations, wrong versions and bad records are reported per line; the rest is imported', async () => {
  const t = setup();
  try {
    const outside = join(t.dir, 'escaped.pkl');
    const file = t.write([
      createRun,
      logBatch,
      { ...logBatch, v: 2 },
      { v: 1, op: 'frobnicate', run_id: RID },
      { v: 1, op: 'log-batch', metrics: [] },
      { ...logBatch, params: [{ key: 'lr', value: '0.5' }], metrics: [{ key: 'acc', value: 1, timestamp: T0, step: 0 }] },
      { ...artifact(t.source), path: '../../escaped.pkl' },
      { ...artifact(join(t.dir, 'gone.bin')) },
      { v: 1, op: 'update-run', run_id: RID, status: 'DONE' },
      { v: 1, op: 'log-batch', run_id: 'f'.repeat(32), metrics: [] },
    ]);
    const r = await importSpool(t.store, file);
    const byLine = new Map(r.problems.map((p) => [p.line, p.message]));
    assert.deepEqual([...byLine.keys()], [3, 4, 5, 6, 7, 8, 9, 10]);
    assert.match(byLine.get(3)!, /Unsupported spool record version 2.*reads version 1/);
    assert.match(byLine.get(4)!, /Unknown spool operation "frobnicate"/);
    assert.match(byLine.get(5)!, /no run_id/);
    assert.match(byLine.get(6)!, /Changing param values is not allowed/);
    assert.match(byLine.get(7)!, /may not contain '\.\.'/);
    assert.match(byLine.get(8)!, /no longer exists/);
    assert.match(byLine.get(9)!, /Unknown run status 'DONE'/);
    assert.match(byLine.get(10)!, /not found/);
    assert.equal(r.lines, 2);
    assert.deepEqual(r.runs, [RID]);
    assert.ok(!existsSync(outside), 'nothing written outside the run folder');

    const run = t.store.getRun(RID);
    assert.deepEqual(run.params, { lr: '0.01' }, 'the conflicting batch was rejected whole');
    assert.deepEqual(run.metrics.map((m) => m.key), ['loss']);
    assert.equal(run.info.status, 'RUNNING');
    assert.deepEqual(t.store.recordedArtifacts(RID), []);
  } finally {
    t.cleanup();
  }
});

test('a missing spool file is a clear RESOURCE_DOES_NOT_EXIST error', async () => {
  const t = setup();
  try {
    await assert.rejects(importSpool(t.store, join(t.spoolDir, 'nope.jsonl')), { code: 'RESOURCE_DOES_NOT_EXIST', message: /Spool file .*nope\.jsonl' not found/ });
  } finally {
    t.cleanup();
  }
});
