import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir, tempStore } from './helpers/temp-store.ts';
import { MIGRATIONS } from '../src/core/store/migrations.ts';
import { RunStore } from '../src/core/store/run-store.ts';
import type { MetricPoint, MetricSummary } from '../src/core/store/types.ts';

/** Runs `fn` with a fresh temp store and always removes it. */
function withStore(fn: (t: ReturnType<typeof tempStore>) => void | Promise<void>) {
  return async () => {
    const t = tempStore();
    try {
      await fn(t);
    } finally {
      t.cleanup();
    }
  };
}

const err = (code: string, message: RegExp) => ({ name: 'LooplineError', code, message });

/** Small deterministic PRNG so a failing random case can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('Default experiment 0 exists in a new store', withStore((t) => {
  const e = t.store.getExperiment('0');
  assert.equal(e.name, 'Default');
  assert.deepEqual(t.store.listExperiments().map((x) => x.id), ['0']);
}));

test('experiments: create, get by id and name, rename, delete, restore', withStore((t) => {
  const s = t.store;
  const e = s.createExperiment('iris', { tags: [{ key: 'team', value: 'vision' }] });
  assert.equal(e.name, 'iris');
  assert.equal(e.lifecycleStage, 'active');
  assert.deepEqual(e.tags, { team: 'vision' });
  assert.equal(s.getExperimentByName('iris').id, e.id);
  assert.equal(s.getExperiment(e.id).artifactLocation, `mlflow-artifacts:/${e.id}`);

  s.renameExperiment(e.id, 'iris-v2');
  assert.equal(s.getExperiment(e.id).name, 'iris-v2');
  assert.equal(s.findExperimentByName('iris'), undefined);

  s.setExperimentLifecycle(e.id, 'deleted');
  assert.equal(s.getExperiment(e.id).lifecycleStage, 'deleted');
  assert.deepEqual(s.listExperiments().map((x) => x.id), ['0']);
  assert.deepEqual(s.listExperiments('DELETED_ONLY').map((x) => x.id), [e.id]);
  assert.throws(() => s.createRun({ experimentId: e.id }), err('INVALID_STATE', /deleted; restore it/));
  assert.throws(() => s.ensureExperiment('iris-v2'), err('INVALID_STATE', /is deleted/));

  s.setExperimentLifecycle(e.id, 'active');
  assert.deepEqual(s.listExperiments().map((x) => x.id), ['0', e.id]);
  assert.equal(s.createRun({ experimentId: e.id }).info.experimentId, e.id);
}));

test('experiments: Default cannot be deleted; duplicates and unknown ids give clear errors', withStore((t) => {
  const s = t.store;
  assert.throws(() => s.setExperimentLifecycle('0', 'deleted'), err('INVALID_PARAMETER_VALUE', /Default experiment.*cannot be deleted/));
  assert.equal(s.getExperiment('0').lifecycleStage, 'active');

  const a = s.createExperiment('a');
  assert.throws(() => s.createExperiment('a'), err('RESOURCE_ALREADY_EXISTS', new RegExp(`'a' already exists \\(id ${a.id}\\)`)));
  s.setExperimentLifecycle(a.id, 'deleted');
  assert.throws(() => s.createExperiment('a'), err('RESOURCE_ALREADY_EXISTS', /already exists in deleted state.*Restore it/));
  const b = s.createExperiment('b');
  assert.throws(() => s.renameExperiment(b.id, 'a'), err('RESOURCE_ALREADY_EXISTS', /'a' already exists/));
  assert.equal(s.getExperiment(b.id).name, 'b');
  assert.throws(() => s.createExperiment('  '), err('INVALID_PARAMETER_VALUE', /non-empty/));
  assert.throws(() => s.getExperiment('42'), err('RESOURCE_DOES_NOT_EXIST', /No experiment with id '42'/));
  assert.throws(() => s.getExperiment('abc'), err('INVALID_PARAMETER_VALUE', /experiment ids are numbers/));
  assert.throws(() => s.getExperimentByName('nope'), err('RESOURCE_DOES_NOT_EXIST', /No experiment named 'nope'/));
  // ensureExperiment creates once and then returns the same one.
  const c1 = s.ensureExperiment('c');
  assert.equal(s.ensureExperiment('c').id, c1.id);
}));

test('runs: create, update, soft delete and restore', withStore((t) => {
  const s = t.store;
  const run = s.createRun({ name: 'first', startTime: 1000, userId: 'me', tags: [{ key: 'k', value: 'v' }], params: [{ key: 'lr', value: '0.1' }] });
  assert.match(run.info.id, /^[0-9a-f]{32}$/);
  assert.equal(run.info.name, 'first');
  assert.equal(run.info.status, 'RUNNING');
  assert.equal(run.info.startTime, 1000);
  assert.equal(run.info.endTime, null);
  assert.equal(run.info.userId, 'me');
  assert.deepEqual(run.params, { lr: '0.1' });
  assert.deepEqual(run.tags, { k: 'v', 'mlflow.runName': 'first' });

  const unnamed = s.createRun({});
  assert.match(unnamed.info.name, /^[a-z]+-[a-z]+-\d+$/, 'a generated readable name');
  assert.equal(s.createRun({ tags: [{ key: 'mlflow.runName', value: 'from-tag' }] }).info.name, 'from-tag');

  const info = s.updateRun(run.info.id, { status: 'FINISHED', endTime: 2000, name: 'renamed' });
  assert.equal(info.status, 'FINISHED');
  assert.equal(info.endTime, 2000);
  assert.equal(s.getRun(run.info.id).tags['mlflow.runName'], 'renamed');
  assert.throws(() => s.updateRun(run.info.id, { status: 'DONE' as never }), err('INVALID_PARAMETER_VALUE', /Unknown run status 'DONE'/));
  assert.throws(() => s.updateRun('f'.repeat(32), { status: 'FAILED' }), err('RESOURCE_DOES_NOT_EXIST', /not found/));

  s.setRunLifecycle(run.info.id, 'deleted');
  assert.equal(s.getRun(run.info.id).info.lifecycleStage, 'deleted', 'soft delete keeps the run');
  assert.equal(s.countRuns('0'), 2);
  assert.equal(s.countRuns('0', 'DELETED_ONLY'), 1);
  assert.throws(() => s.logBatch(run.info.id, { tags: [{ key: 'a', value: 'b' }] }), err('INVALID_STATE', /deleted; restore it/));
  s.setRunLifecycle(run.info.id, 'active');
  s.logBatch(run.info.id, { tags: [{ key: 'a', value: 'b' }] });
  assert.equal(s.getRun(run.info.id).tags.a, 'b');
  assert.throws(() => s.setRunLifecycle('0'.repeat(32), 'deleted'), err('RESOURCE_DOES_NOT_EXIST', /not found/));
  assert.throws(() => s.createRun({ id: 'NOT-HEX' }), err('INVALID_PARAMETER_VALUE', /32 lowercase hex/));
}));

test('params are immutable: same value is fine, a new value rejects the whole batch', withStore((t) => {
  const s = t.store;
  const id = s.createRun({}).info.id;
  s.logBatch(id, { params: [{ key: 'lr', value: '0.01' }], metrics: [{ key: 'loss', value: 1, step: 0, timestamp: 1 }] });
  s.logBatch(id, { params: [{ key: 'lr', value: '0.01' }] });
  assert.throws(
    () =>
      s.logBatch(id, {
        params: [{ key: 'batch', value: '32' }, { key: 'lr', value: '0.1' }],
        metrics: [{ key: 'loss', value: 0.5, step: 1, timestamp: 2 }, { key: 'acc', value: 0.9, step: 1, timestamp: 2 }],
        tags: [{ key: 'note', value: 'x' }],
      }),
    err('INVALID_PARAMETER_VALUE', /key='lr' was already logged with value='0.01'.*new value '0.1'/),
  );
  const run = s.getRun(id);
  assert.deepEqual(run.params, { lr: '0.01' }, 'the new param of the rejected batch is not stored');
  assert.equal(run.tags.note, undefined);
  assert.deepEqual(run.metrics.map((m) => [m.key, m.count]), [['loss', 1]]);
  assert.equal(s.metricHistory(id, 'loss').length, 1);
  assert.deepEqual(s.metricHistory(id, 'acc'), []);
  assert.throws(
    () => s.logBatch(id, { params: [{ key: 'x', value: '1' }, { key: 'x', value: '2' }] }),
    err('INVALID_PARAMETER_VALUE', /Duplicate param key 'x'/),
  );
  assert.throws(() => s.logBatch(id, { params: [{ key: 'bad key!', value: '1' }] }), err('INVALID_PARAMETER_VALUE', /Invalid param name 'bad key!'/));
  assert.equal(s.getRun(id).params.x, undefined);
}));

test('tags upsert, and the mlflow.runName tag renames the run', withStore((t) => {
  const s = t.store;
  const id = s.createRun({ name: 'before' }).info.id;
  s.logBatch(id, { tags: [{ key: 'stage', value: 'a' }] });
  s.logBatch(id, { tags: [{ key: 'stage', value: 'b' }, { key: 'mlflow.runName', value: 'after' }] });
  const run = s.getRun(id);
  assert.equal(run.tags.stage, 'b');
  assert.equal(run.info.name, 'after');
  assert.equal(run.tags['mlflow.runName'], 'after');
  s.deleteTag(id, 'stage');
  assert.equal(s.getRun(id).tags.stage, undefined);
  assert.throws(() => s.deleteTag(id, 'stage'), err('RESOURCE_DOES_NOT_EXIST', /No tag with key 'stage'/));
}));

interface Expected {
  count: number;
  last: number;
  lastStep: number;
  min: number | null;
  max: number | null;
  minSteps: number[];
  maxSteps: number[];
}

/** The summary computed the slow way: dedupe identical points, last by (step, timestamp). */
function bruteForce(points: MetricPoint[]): Expected {
  const uniq = new Map<string, MetricPoint>();
  for (const p of points) uniq.set(`${p.step}|${p.timestamp}|${String(p.value)}`, p);
  const all = [...uniq.values()];
  const last = all.reduce((a, b) => (b.step > a.step || (b.step === a.step && b.timestamp > a.timestamp) ? b : a));
  const finite = all.filter((p) => !Number.isNaN(p.value));
  const min = finite.length ? Math.min(...finite.map((p) => p.value)) : null;
  const max = finite.length ? Math.max(...finite.map((p) => p.value)) : null;
  return {
    count: all.length,
    last: last.value,
    lastStep: last.step,
    min,
    max,
    minSteps: finite.filter((p) => p.value === min).map((p) => p.step),
    maxSteps: finite.filter((p) => p.value === max).map((p) => p.step),
  };
}

function checkSummary(got: MetricSummary | undefined, want: Expected, label: string): void {
  assert.ok(got, `${label}: summary exists`);
  assert.equal(got.count, want.count, `${label}: count`);
  assert.ok(Object.is(got.last, want.last), `${label}: last ${got.last} vs ${want.last}`);
  assert.equal(got.lastStep, want.lastStep, `${label}: lastStep`);
  assert.equal(got.min, want.min, `${label}: min`);
  assert.equal(got.max, want.max, `${label}: max`);
  if (want.min !== null) assert.ok(want.minSteps.includes(got.minStep!), `${label}: minStep ${got.minStep}`);
  else assert.equal(got.minStep, null);
  if (want.max !== null) assert.ok(want.maxSteps.includes(got.maxStep!), `${label}: maxStep ${got.maxStep}`);
  else assert.equal(got.maxStep, null);
}

test('metric summaries match a brute-force computation over random points (out of order, duplicates, NaN, ±Infinity)', withStore((t) => {
  const s = t.store;
  for (const seed of [1, 2, 3, 4, 5]) {
    const rnd = mulberry32(seed);
    const id = s.createRun({}).info.id;
    const sent: Record<string, MetricPoint[]> = { a: [], b: [], c: [] };
    let ts = 1_700_000_000_000;
    for (let batch = 0; batch < 20; batch++) {
      const points: MetricPoint[] = [];
      const n = 1 + Math.floor(rnd() * 15);
      for (let i = 0; i < n; i++) {
        const key = ['a', 'b', 'c'][Math.floor(rnd() * 3)]!;
        const prev = sent[key]!;
        let p: MetricPoint;
        if (prev.length && rnd() < 0.15) {
          p = { ...prev[Math.floor(rnd() * prev.length)]! }; // exact duplicate: must be ignored
        } else {
          const r = rnd();
          const value = r < 0.1 ? NaN : r < 0.13 ? Infinity : r < 0.16 ? -Infinity : Math.round((rnd() * 200 - 100) * 1000) / 1000 || 1;
          // Steps repeat and arrive out of order; timestamps are unique so "last" is well defined.
          p = { key, value, step: Math.floor(rnd() * 40), timestamp: (ts += 1 + Math.floor(rnd() * 3)) - Math.floor(rnd() * 1000) * 10_000 };
        }
        prev.push(p);
        points.push(p);
      }
      s.logBatch(id, { metrics: points });
    }
    const summaries = new Map(s.metricSummaries(id).map((m) => [m.key, m]));
    for (const [key, pts] of Object.entries(sent)) {
      if (!pts.length) continue;
      const want = bruteForce(pts);
      checkSummary(summaries.get(key), want, `seed ${seed} key ${key}`);
      assert.equal(s.metricHistory(id, key).length, want.count, `seed ${seed} key ${key}: history has each distinct point once`);
    }
  }
}));

test('metric summaries: NaN last, all-NaN series, ±Infinity extremes, and they survive a reopen', withStore((t) => {
  const id = t.store.createRun({}).info.id;
  t.store.logBatch(id, {
    metrics: [
      { key: 'loss', value: 3, step: 0, timestamp: 10 },
      { key: 'loss', value: 1, step: 1, timestamp: 11 },
      { key: 'loss', value: NaN, step: 2, timestamp: 12 },
      { key: 'nan', value: NaN, step: 0, timestamp: 10 },
      { key: 'inf', value: Infinity, step: 3, timestamp: 10 },
      { key: 'inf', value: -Infinity, step: 4, timestamp: 10 },
      { key: 'inf', value: 0, step: 5, timestamp: 10 },
    ],
  });
  t.store.logBatch(id, { metrics: [{ key: 'loss', value: NaN, step: 2, timestamp: 12 }] }); // duplicate NaN ignored
  t.store.close();
  const s = RunStore.open(t.dbPath);
  try {
    const m = new Map(s.metricSummaries(id).map((x) => [x.key, x]));
    assert.deepEqual({ ...m.get('loss'), last: String(m.get('loss')!.last) }, {
      key: 'loss', last: 'NaN', lastStep: 2, lastTimestamp: 12, min: 1, minStep: 1, max: 3, maxStep: 0, count: 3,
    });
    assert.ok(Number.isNaN(m.get('nan')!.last));
    assert.equal(m.get('nan')!.min, null);
    assert.equal(m.get('nan')!.max, null);
    assert.deepEqual([m.get('inf')!.min, m.get('inf')!.minStep, m.get('inf')!.max, m.get('inf')!.maxStep, m.get('inf')!.last], [-Infinity, 4, Infinity, 3, 0]);
    const hist = s.metricHistory(id, 'loss').map((p) => p.value);
    assert.equal(hist.length, 3);
    assert.ok(Number.isNaN(hist[2]), 'NaN is kept in the history');
  } finally {
    s.close();
  }
}));

test('metric summary "last" with equal step and timestamp follows the history order (MLflow: higher value wins)', withStore((t) => {
  const s = t.store;
  const id = s.createRun({}).info.id;
  s.logBatch(id, { metrics: [{ key: 'x', value: 2, step: 0, timestamp: 100 }] });
  s.logBatch(id, { metrics: [{ key: 'x', value: 1, step: 0, timestamp: 100 }] });
  const hist = s.metricHistory(id, 'x');
  assert.equal(hist[hist.length - 1]!.value, 2);
  assert.equal(s.metricSummaries(id)[0]!.last, 2);
}));

test('metricHistory: step range and keyset paging return every point once, in order', withStore((t) => {
  const s = t.store;
  const id = s.createRun({}).info.id;
  const points: MetricPoint[] = [];
  for (let step = 29; step >= 0; step--) {
    points.push({ key: 'loss', value: step / 10, step, timestamp: 1000 + step });
    if (step % 5 === 0) points.push({ key: 'loss', value: -step - 1, step, timestamp: 1000 + step }); // same step and time
    if (step % 7 === 0) points.push({ key: 'loss', value: NaN, step, timestamp: 1000 + step });
  }
  s.logBatch(id, { metrics: points });
  const all = s.metricHistory(id, 'loss');
  assert.equal(all.length, points.length);
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.step <= all[i]!.step, 'sorted by step');

  const range = s.metricHistory(id, 'loss', { minStep: 10, maxStep: 14 });
  assert.deepEqual([...new Set(range.map((p) => p.step))], [10, 11, 12, 13, 14]);
  assert.equal(range.length, 7, 'steps 10 and 14 have two points each');

  for (const pageSize of [1, 3, 7]) {
    const seen: MetricPoint[] = [];
    let after: { step: number; timestamp: number; value: number } | undefined;
    for (let guard = 0; guard < 100; guard++) {
      const page = s.metricHistory(id, 'loss', { limit: pageSize, ...(after ? { after } : {}) });
      seen.push(...page);
      if (page.length < pageSize) break;
      const last = page[page.length - 1]!;
      after = { step: last.step, timestamp: last.timestamp, value: last.value };
    }
    assert.deepEqual(seen.map((p) => `${p.step}/${p.value}`), all.map((p) => `${p.step}/${p.value}`), `page size ${pageSize}`);
  }
  assert.deepEqual(s.metricHistory(id, 'missing'), []);
}));

test('resolveRunId accepts unique prefixes and explains ambiguous or unknown ones', withStore((t) => {
  const s = t.store;
  const a = s.createRun({ id: 'abcd1111' + '0'.repeat(24) }).info.id;
  s.createRun({ id: 'abcd2222' + '0'.repeat(24) });
  assert.equal(s.resolveRunId(a), a);
  assert.equal(s.resolveRunId('abcd1'), a);
  assert.throws(() => s.resolveRunId('abcd'), err('INVALID_PARAMETER_VALUE', /ambiguous/));
  assert.throws(() => s.resolveRunId('ffff'), err('RESOURCE_DOES_NOT_EXIST', /No run id starts with 'ffff'/));
  assert.throws(() => s.resolveRunId('abc'), err('INVALID_PARAMETER_VALUE', /unique prefix of at least 4/));
  assert.throws(() => s.resolveRunId('ABCD1'), err('INVALID_PARAMETER_VALUE', /is not a run id/));
}));

test('data persists after closing and reopening the file', withStore((t) => {
  const e = t.store.createExperiment('persist', { tags: [{ key: 'k', value: 'v' }] });
  const id = t.store.createRun({ experimentId: e.id, name: 'keep' }).info.id;
  t.store.logBatch(id, { params: [{ key: 'lr', value: '0.1' }], tags: [{ key: 't', value: 'x' }], metrics: [{ key: 'm', value: 5, step: 3, timestamp: 9 }] });
  t.store.updateRun(id, { status: 'FINISHED', endTime: 99 });
  t.store.recordArtifact(id, 'model.pkl', 12, 'ab'.repeat(32));
  t.store.close();
  const s = RunStore.open(t.dbPath);
  try {
    assert.deepEqual(s.getExperimentByName('persist').tags, { k: 'v' });
    const run = s.getRun(id);
    assert.equal(run.info.name, 'keep');
    assert.equal(run.info.status, 'FINISHED');
    assert.equal(run.info.endTime, 99);
    assert.deepEqual(run.params, { lr: '0.1' });
    assert.equal(run.tags.t, 'x');
    assert.deepEqual(run.metrics.map((m) => [m.key, m.last, m.lastStep, m.count]), [['m', 5, 3, 1]]);
    assert.deepEqual(s.recordedArtifacts(id), [{ path: 'model.pkl', size: 12, sha256: 'ab'.repeat(32) }]);
    // Logging after reopen continues the same series.
    s.logBatch(id, { metrics: [{ key: 'm', value: 1, step: 4, timestamp: 10 }] });
    assert.deepEqual(s.metricSummaries(id).map((m) => [m.last, m.min, m.max, m.count]), [[1, 1, 5, 2]]);
  } finally {
    s.close();
  }
}));

test('a file that is not SQLite gives a LooplineError that says what to do', () => {
  const d = tempDir();
  try {
    for (const [name, content] of [['small.db', 'hello'], ['big.db', 'not a database\n'.repeat(500)]] as const) {
      const p = join(d.dir, name);
      writeFileSync(p, content);
      assert.throws(() => RunStore.open(p), err('INVALID_STATE', /is not a Loopline database or is damaged.*Move it aside.*--store/));
    }
    mkdirSync(join(d.dir, 'dir.db'));
    assert.throws(() => RunStore.open(join(d.dir, 'dir.db')), { name: 'LooplineError', message: /dir\.db/ });
  } finally {
    d.cleanup();
  }
});

test('migrations are recorded in schema_version once; a newer schema is refused with advice', withStore((t) => {
  const versions = () => (t.store.db.prepare('SELECT version FROM schema_version ORDER BY version').all() as { version: number }[]).map((r) => r.version);
  const all = MIGRATIONS.map((m) => m.version);
  assert.deepEqual(versions(), all);
  t.store.close();
  const again = RunStore.open(t.dbPath);
  assert.deepEqual((again.db.prepare('SELECT version FROM schema_version ORDER BY version').all() as { version: number }[]).map((r) => r.version), all);
  assert.equal(again.integrityCheck(), 'ok');
  again.db.prepare('INSERT INTO schema_version (version) VALUES (99)').run();
  again.close();
  assert.throws(() => RunStore.open(t.dbPath), { name: 'LooplineError', message: /newer Loopline \(schema 99.*Upgrade Loopline/ });
  // A newer build's migration can also sit below this build's highest version (numbers are handed
  // out ahead of time): refused too, rather than opened with tables this build doesn't know.
  const gap = Array.from({ length: Math.max(...all) }, (_, i) => i + 1).find((v) => !all.includes(v));
  if (gap !== undefined) {
    const raw = new Database(t.dbPath);
    raw.prepare('DELETE FROM schema_version WHERE version = 99').run();
    raw.prepare('INSERT INTO schema_version (version) VALUES (?)').run(gap);
    raw.close();
    assert.throws(() => RunStore.open(t.dbPath), { name: 'LooplineError', message: new RegExp(`newer Loopline \\(schema ${gap};.*Upgrade Loopline`) });
  }
}));

test('activeRuns: the running and scheduled runs of active experiments, newest first; finished, deleted and deleted experiments\' runs left out', withStore((t) => {
  const a = t.store.createExperiment('a').id;
  const gone = t.store.createExperiment('gone').id;
  const make = (exp: string, name: string, start: number, status: 'RUNNING' | 'SCHEDULED' | 'FINISHED') => t.store.createRun({ experimentId: exp, name, startTime: start, status }).info.id;
  make(a, 'old-running', 1000, 'RUNNING');
  make(a, 'queued', 3000, 'SCHEDULED');
  const ends = make(a, 'ends', 4000, 'RUNNING');
  make(a, 'done', 5000, 'FINISHED');
  const trashed = make(a, 'trashed', 6000, 'RUNNING');
  make(gone, 'in-deleted-experiment', 7000, 'RUNNING');
  t.store.updateRun(ends, { status: 'FINISHED', endTime: 4500 });
  t.store.setRunLifecycle(trashed, 'deleted');
  t.store.setExperimentLifecycle(gone, 'deleted');
  assert.deepEqual(t.store.activeRuns().map((r) => r.info.name), ['queued', 'old-running']);
  assert.deepEqual(t.store.activeRuns(1).map((r) => r.info.name), ['queued']);
  // The same runs the Runs view found with a filtered search before.
  const experimentIds = t.store.listExperiments().map((e) => e.id);
  const searched = t.store.searchRuns({ experimentIds, filter: "attributes.status IN ('RUNNING', 'SCHEDULED')", maxResults: 500 }).runs;
  assert.deepEqual(t.store.activeRuns().map((r) => r.info.id), searched.map((r) => r.info.id));
}));
