// Several processes logging into one store at once lose nothing: every point is stored once and
// every summary (count, last, min, max) agrees with the history, for writers that open the SQLite
// file directly, for concurrent HTTP clients of one tracking server, and for both mixed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { RunStore } from '../src/core/store/run-store.ts';
import { tempDir } from './helpers/temp-store.ts';
import { postJson } from './helpers/http-post.ts';
import {
  LOG_WRITER,
  STORE_WRITER,
  batchPoints,
  pointId,
  spawnFixture,
  storedPoints,
  summaryProblems,
  type FixtureProcess,
  type StoreWriterConfig,
} from './fixtures/store-writer.ts';

const TOKEN = 'concurrency-token';
const KEYS = ['loss', 'acc', 'lr'];
const WRITERS = 4;

/** The `pointId`s writer w's batches 0..batches-1 consist of. */
function expectedPoints(writers: number[], batches: number, points: number): Set<string> {
  const out = new Set<string>();
  for (const w of writers) for (let i = 0; i < batches; i++) for (const p of batchPoints(w, i, points, KEYS)) out.add(pointId(p));
  return out;
}

function assertRunHas(store: RunStore, runId: string, expected: Set<string>, label: string): void {
  const stored = storedPoints(store, runId, KEYS);
  const missing = [...expected].filter((id) => !stored.has(id));
  const extra = [...stored].filter((id) => !expected.has(id));
  assert.deepEqual({ missing: missing.length, extra: extra.length }, { missing: 0, extra: 0 }, `${label}: e.g. missing ${missing[0]}, extra ${extra[0]}`);
  assert.deepEqual(summaryProblems(store, runId), [], label);
  const counts = store.getRun(runId).metrics.reduce((n, m) => n + m.count, 0);
  assert.equal(counts, expected.size, `${label}: summary counts`);
}

async function startWriters(dbPath: string, cfgs: StoreWriterConfig[]): Promise<FixtureProcess[]> {
  const procs = cfgs.map((cfg) => spawnFixture(STORE_WRITER, [dbPath, JSON.stringify({ ...cfg, keys: KEYS, waitForGo: true })]));
  try {
    await Promise.all(procs.map((p) => p.waitFor((l) => l.ready === true)));
  } catch (err) {
    for (const p of procs) p.child.kill('SIGKILL');
    throw err;
  }
  return procs;
}

async function finishWriters(procs: FixtureProcess[]): Promise<void> {
  const exits = await Promise.all(procs.map((p) => p.exited));
  for (const [i, e] of exits.entries()) assert.equal(e.code, 0, `writer ${i} failed: ${procs[i]!.stderr()}`);
}

test(`${WRITERS} processes writing directly to one SQLite file (own runs + one shared run) lose nothing`, async (t) => {
  const tmp = tempDir('loopline-conc-');
  try {
    const dbPath = join(tmp.dir, '.loopline', 'loopline.db');
    const setup = RunStore.open(dbPath);
    const shared = setup.createRun({ name: 'shared' }).info.id;
    setup.close();
    const batches = 40;
    const points = 250;
    const procs = await startWriters(
      dbPath,
      Array.from({ length: WRITERS }, (_, w) => ({ writer: w, createRun: true, sharedRunId: shared, batches, points })),
    );
    const started = Date.now();
    for (const p of procs) p.send('go');
    await finishWriters(procs);
    t.diagnostic(`${WRITERS} writers x ${batches} batches x ${points} points x 2 runs in ${Date.now() - started} ms`);

    const store = RunStore.open(dbPath);
    try {
      assert.equal(store.integrityCheck(), 'ok');
      for (const [w, p] of procs.entries()) {
        const own = p.lines.find((l) => l.ready)!.runId as string;
        assertRunHas(store, own, expectedPoints([w], batches, points), `writer ${w} own run`);
        assert.equal(p.lines.filter((l) => l.committed === 'shared').length, batches);
      }
      assertRunHas(store, shared, expectedPoints([0, 1, 2, 3], batches, points), 'shared run');
    } finally {
      store.close();
    }
  } finally {
    tmp.cleanup();
  }
});

test(`${WRITERS} processes creating and migrating a brand-new store at the same moment all succeed`, async () => {
  const tmp = tempDir('loopline-conc-');
  try {
    const dbPath = join(tmp.dir, '.loopline', 'loopline.db');
    // No store yet: every writer opens (creates, switches to WAL, migrates) concurrently.
    const procs = Array.from({ length: WRITERS }, (_, w) =>
      spawnFixture(STORE_WRITER, [dbPath, JSON.stringify({ writer: w, createRun: true, batches: 5, points: 100, keys: KEYS } satisfies StoreWriterConfig)]),
    );
    await finishWriters(procs);
    const store = RunStore.open(dbPath);
    try {
      assert.equal(store.integrityCheck(), 'ok');
      assert.deepEqual(store.listExperiments().map((e) => e.name), ['Default']);
      const versions = store.db.prepare('SELECT version FROM schema_version').all();
      assert.equal(versions.length, new Set(versions.map((v: any) => v.version)).size, 'each migration recorded once');
      for (const [w, p] of procs.entries()) {
        assertRunHas(store, p.lines.find((l) => l.ready)!.runId, expectedPoints([w], 5, 100), `writer ${w}`);
      }
    } finally {
      store.close();
    }
  } finally {
    tmp.cleanup();
  }
});

function logBatch(agent: Agent, url: string, runId: string, points: ReturnType<typeof batchPoints>): Promise<{ status: number; text: string }> {
  const body = JSON.stringify({ run_id: runId, metrics: points.map((p) => ({ key: p.key, value: p.value, timestamp: p.timestamp, step: p.step })) });
  return postJson(agent, `${url}/api/2.0/mlflow/runs/log-batch`, TOKEN, body);
}

async function httpClient(url: string, w: number, own: string, shared: string, batches: number, points: number): Promise<string[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const errors: string[] = [];
  try {
    for (let i = 0; i < batches; i++) {
      const pts = batchPoints(w, i, points, KEYS);
      for (const runId of [own, shared]) {
        const r = await logBatch(agent, url, runId, pts);
        if (r.status !== 200) errors.push(`client ${w} batch ${i}: ${r.status} ${r.text}`);
      }
    }
  } finally {
    agent.destroy();
  }
  return errors;
}

async function withServer<T>(dbPath: string, fn: (url: string) => Promise<T>): Promise<T> {
  const server = spawnFixture(LOG_WRITER, [dbPath, TOKEN]);
  try {
    const { url } = await server.waitFor((l) => typeof l.url === 'string');
    return await fn(url);
  } finally {
    server.child.kill('SIGTERM');
    const e = await server.exited;
    assert.equal(e.code, 0, `tracking server: ${server.stderr()}`);
  }
}

test(`${WRITERS} concurrent HTTP clients of one tracking server process lose nothing`, async (t) => {
  const tmp = tempDir('loopline-conc-');
  try {
    const dbPath = join(tmp.dir, '.loopline', 'loopline.db');
    const setup = RunStore.open(dbPath);
    const shared = setup.createRun({ name: 'shared' }).info.id;
    const own = Array.from({ length: WRITERS }, (_, w) => setup.createRun({ name: `client-${w}` }).info.id);
    setup.close();
    const batches = 25;
    const points = 400;
    const started = Date.now();
    const errors = await withServer(dbPath, (url) => Promise.all(own.map((id, w) => httpClient(url, w, id, shared, batches, points))));
    t.diagnostic(`${WRITERS} clients x ${batches} batches x ${points} points x 2 runs in ${Date.now() - started} ms`);
    assert.deepEqual(errors.flat(), []);
    const store = RunStore.open(dbPath);
    try {
      assert.equal(store.integrityCheck(), 'ok');
      for (const [w, id] of own.entries()) assertRunHas(store, id, expectedPoints([w], batches, points), `client ${w} own run`);
      assertRunHas(store, shared, expectedPoints([0, 1, 2, 3], batches, points), 'shared run');
    } finally {
      store.close();
    }
  } finally {
    tmp.cleanup();
  }
});

test('direct writers and a tracking server writing into the same run at once lose nothing', async () => {
  const tmp = tempDir('loopline-conc-');
  try {
    const dbPath = join(tmp.dir, '.loopline', 'loopline.db');
    const setup = RunStore.open(dbPath);
    const shared = setup.createRun({ name: 'shared' }).info.id;
    const httpRuns = [setup.createRun({ name: 'http-2' }).info.id, setup.createRun({ name: 'http-3' }).info.id];
    setup.close();
    const batches = 20;
    const points = 250;
    // Writers 0 and 1 open the file directly; clients 2 and 3 go through the server process.
    const procs = await startWriters(dbPath, [0, 1].map((w) => ({ writer: w, createRun: true, sharedRunId: shared, batches, points })));
    const errors = await withServer(dbPath, async (url) => {
      for (const p of procs) p.send('go');
      const errs = await Promise.all(httpRuns.map((id, k) => httpClient(url, k + 2, id, shared, batches, points)));
      await finishWriters(procs);
      return errs.flat();
    });
    assert.deepEqual(errors, []);
    const store = RunStore.open(dbPath);
    try {
      assert.equal(store.integrityCheck(), 'ok');
      for (const [w, p] of procs.entries()) assertRunHas(store, p.lines.find((l) => l.ready)!.runId, expectedPoints([w], batches, points), `writer ${w}`);
      for (const [k, id] of httpRuns.entries()) assertRunHas(store, id, expectedPoints([k + 2], batches, points), `client ${k + 2}`);
      assertRunHas(store, shared, expectedPoints([0, 1, 2, 3], batches, points), 'shared run');
    } finally {
      store.close();
    }
  } finally {
    tmp.cleanup();
  }
});
