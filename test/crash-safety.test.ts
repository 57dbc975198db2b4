// A writer that dies with SIGKILL in the middle of logging must leave a store that opens, passes
// SQLite's integrity check, holds every point it acknowledged, holds each batch whole or not at
// all, and whose summaries agree with the histories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { RunStore } from '../src/core/store/run-store.ts';
import type { MetricPoint } from '../src/core/store/types.ts';
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
  type StoreWriterConfig,
} from './fixtures/store-writer.ts';

const TOKEN = 'crash-test-token';
const KEYS = ['loss', 'acc', 'lr'];

/** SQLite's own verdict on the file, from a plain connection (no Loopline code involved). */
function sqliteIntegrity(dbPath: string): string {
  const db = new Database(dbPath);
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

interface SentBatch {
  points: MetricPoint[];
  outcome: 'pending' | 'ok' | 'failed';
  status?: number;
  text?: string;
}

/**
 * Every stored point belongs to a sent batch, every acknowledged batch is stored whole, and every
 * other batch is stored whole or not at all.
 */
function batchProblems(stored: Set<string>, batches: SentBatch[]): string[] {
  const problems: string[] = [];
  const sent = new Set<string>();
  for (const [i, b] of batches.entries()) {
    const ids = b.points.map(pointId);
    for (const id of ids) sent.add(id);
    const present = ids.filter((id) => stored.has(id)).length;
    if (b.outcome === 'ok' && present !== ids.length) problems.push(`acknowledged batch ${i}: only ${present} of ${ids.length} points stored`);
    if (b.outcome !== 'ok' && present !== 0 && present !== ids.length) problems.push(`unacknowledged batch ${i}: torn, ${present} of ${ids.length} points stored`);
  }
  const strays = [...stored].filter((id) => !sent.has(id));
  if (strays.length) problems.push(`${strays.length} stored points were never sent, e.g. ${strays[0]}`);
  return problems;
}

/**
 * Kill the server after `afterAcks` acknowledged batches: `jitterMs` later (a random moment), or,
 * with `onBegin`, as soon as it reports entering its next logBatch call (inside the transaction).
 */
async function killServerWhileLogging(opts: { afterAcks: number; jitterMs: number; senders: number; onBegin?: boolean }) {
  const tmp = tempDir('loopline-crash-');
  try {
    const dbPath = join(tmp.dir, '.loopline', 'loopline.db');
    const setup = RunStore.open(dbPath);
    const runId = setup.createRun({ name: 'crash' }).info.id;
    setup.close();

    const server = spawnFixture(LOG_WRITER, [dbPath, TOKEN, '--trace']);
    const { url } = await server.waitFor((l) => typeof l.url === 'string');

    const batches: SentBatch[] = [];
    let acks = 0;
    let killed = false;
    let killedAfter = -1;
    const kill = () => {
      if (killed) return;
      killed = true;
      killedAfter = acks;
      server.child.kill('SIGKILL');
    };
    let armed = false;
    const arm = () => {
      if (armed) return;
      armed = true;
      if (opts.onBegin) {
        const seen = server.lines.length;
        void server.waitFor((l) => l.logBatch === 'begin' && server.lines.indexOf(l) >= seen).then(kill, () => {});
      } else {
        setTimeout(kill, Math.random() * opts.jitterMs);
      }
    };

    const sender = async (w: number) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = 0; !killed; i++) {
          const b: SentBatch = { points: batchPoints(w, i, 1000, KEYS), outcome: 'pending' };
          batches.push(b);
          const body = JSON.stringify({
            run_id: runId,
            metrics: b.points.map((p) => ({ key: p.key, value: p.value, timestamp: p.timestamp, step: p.step })),
          });
          try {
            const res = await postJson(agent, `${url}/api/2.0/mlflow/runs/log-batch`, TOKEN, body);
            b.status = res.status;
            b.text = res.text;
            b.outcome = res.status === 200 ? 'ok' : 'failed';
            if (res.status === 200 && ++acks >= opts.afterAcks) arm();
          } catch {
            b.outcome = 'failed'; // connection reset / refused: the server is gone
            return;
          }
        }
      } finally {
        agent.destroy();
      }
    };
    await Promise.all(Array.from({ length: opts.senders }, (_, w) => sender(w)));
    const exit = await server.exited;
    assert.equal(exit.signal, 'SIGKILL', `the server should have been killed, not exited: ${server.stderr()}`);
    const last = server.lines.at(-1);
    const landed = last?.logBatch === 'begin' ? `inside logBatch #${last.n}` : 'between logBatch calls';

    // Every answer the server gave before it died was a success.
    const refused = batches.filter((b) => b.status !== undefined && b.status !== 200);
    assert.deepEqual(refused.map((b) => `${b.status} ${b.text}`), []);
    const ok = batches.filter((b) => b.outcome === 'ok').length;
    assert.ok(ok >= opts.afterAcks, `only ${ok} acknowledged batches`);
    assert.ok(existsSync(`${dbPath}-wal`), 'a killed writer leaves its WAL behind, so opening must recover it');

    assert.equal(sqliteIntegrity(dbPath), 'ok');
    let result;
    const store = RunStore.open(dbPath);
    try {
      assert.equal(store.integrityCheck(), 'ok');
      const stored = storedPoints(store, runId, KEYS);
      assert.deepEqual(batchProblems(stored, batches), []);
      assert.deepEqual(summaryProblems(store, runId), []);
      const inFlight = batches.filter((b) => b.outcome !== 'ok');
      assert.ok(inFlight.length >= 1, 'the kill should catch requests in flight');
      const committedUnacked = inFlight.filter((b) => stored.has(pointId(b.points[0]!))).length;
      result = { acked: ok, inFlight: inFlight.length, committedUnacked, killedAfter, stored: stored.size, landed };
    } finally {
      store.close();
    }

    // A client delivers at least once: it resends every unacknowledged batch to a restarted
    // server (plus, as if its answer had timed out, one acknowledged batch). Batches that did
    // commit before the crash must not be counted twice.
    const restarted = spawnFixture(LOG_WRITER, [dbPath, TOKEN]);
    try {
      const { url: url2 } = await restarted.waitFor((l) => typeof l.url === 'string');
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const resend = [...batches.filter((x) => x.outcome !== 'ok'), batches.find((x) => x.outcome === 'ok')!];
        for (const b of resend) {
          const body = JSON.stringify({ run_id: runId, metrics: b.points });
          const res = await postJson(agent, `${url2}/api/2.0/mlflow/runs/log-batch`, TOKEN, body);
          assert.equal(res.status, 200, res.text);
        }
      } finally {
        agent.destroy();
      }
    } finally {
      restarted.child.kill('SIGTERM');
      await restarted.exited;
    }
    const after = RunStore.open(dbPath);
    try {
      assert.equal(after.integrityCheck(), 'ok');
      const all = new Set(batches.flatMap((b) => b.points.map(pointId)));
      assert.deepEqual(storedPoints(after, runId, KEYS), all);
      assert.deepEqual(summaryProblems(after, runId), []);
      assert.equal(after.getRun(runId).metrics.reduce((n, m) => n + m.count, 0), all.size, 'resent points counted once');
    } finally {
      after.close();
    }
    return result;
  } finally {
    tmp.cleanup();
  }
}

for (const timing of [
  { afterAcks: 1, jitterMs: 0, senders: 3 },
  { afterAcks: 8, jitterMs: 4, senders: 4 },
  { afterAcks: 25, jitterMs: 15, senders: 4 },
  { afterAcks: 12, jitterMs: 0, senders: 4, onBegin: true },
]) {
  const when = timing.onBegin ? 'as it enters the next logBatch' : `+0-${timing.jitterMs} ms`;
  test(`tracking server SIGKILLed after ${timing.afterAcks} acknowledged batches (${when}): acknowledged points all stored, store intact, resending the rest counts once`, async (t) => {
    const r = await killServerWhileLogging(timing);
    t.diagnostic(`killed ${r.landed}; acked ${r.acked}, unacknowledged ${r.inFlight} (${r.committedUnacked} of them committed), ${r.stored} points stored`);
  });
}

/** The store-writer child writes batches of `points` until killed after `afterBatches` commits (+jitter). */
async function killStoreWriter(opts: { afterBatches: number; jitterMs: number; points: number; shared: boolean }) {
  const tmp = tempDir('loopline-crash-');
  try {
    const dbPath = join(tmp.dir, '.loopline', 'loopline.db');
    const setup = RunStore.open(dbPath);
    const runId = setup.createRun({ name: 'own' }).info.id;
    const sharedRunId = setup.createRun({ name: 'shared' }).info.id;
    setup.close();
    const cfg: StoreWriterConfig = { writer: 1, runId, ...(opts.shared ? { sharedRunId } : {}), batches: 0, points: opts.points, keys: KEYS };
    const w = spawnFixture(STORE_WRITER, [dbPath, JSON.stringify(cfg)]);
    await w.waitFor((l) => l.committed === (opts.shared ? 'shared' : 'own') && l.batch >= opts.afterBatches - 1);
    await new Promise((r) => setTimeout(r, Math.random() * opts.jitterMs));
    w.child.kill('SIGKILL');
    const exit = await w.exited;
    assert.equal(exit.signal, 'SIGKILL', w.stderr());

    // Where the kill landed: inside a logBatch call (its transaction open or committing) or between calls.
    const lastLine = w.lines.at(-1);
    const landed = lastLine?.writing ? `inside logBatch(${lastLine.writing} batch ${lastLine.batch})` : 'between logBatch calls';
    const reported = (kind: string) => w.lines.filter((l) => l.committed === kind).reduce((m, l) => Math.max(m, l.batch as number), -1);
    assert.equal(sqliteIntegrity(dbPath), 'ok');
    const store = RunStore.open(dbPath);
    try {
      assert.equal(store.integrityCheck(), 'ok');
      const result: Record<string, number | string> = { landed };
      for (const [kind, id] of opts.shared ? ([['own', runId], ['shared', sharedRunId]] as const) : ([['own', runId]] as const)) {
        const stored = storedPoints(store, id, KEYS);
        const last = reported(kind);
        // Batches are written in order, so what is stored is batches 0..n, whole, where n is the
        // last reported one or (committed, then killed before it printed) the one after it.
        assert.equal(stored.size % opts.points, 0, `${kind}: a torn batch (${stored.size} points)`);
        const n = stored.size / opts.points - 1;
        assert.ok(n === last || n === last + 1, `${kind}: ${n + 1} batches stored, ${last + 1} reported committed`);
        const expected = new Set<string>();
        for (let i = 0; i <= n; i++) for (const p of batchPoints(1, i, opts.points, KEYS)) expected.add(pointId(p));
        assert.deepEqual(stored, expected);
        assert.deepEqual(summaryProblems(store, id), []);
        result[kind] = n + 1;
      }
      store.logBatch(runId, { metrics: [{ key: 'after', value: 2, timestamp: 2, step: 0 }] });
      assert.ok(store.createRun({ name: 'after-crash' }).info.id);
      return result;
    } finally {
      store.close();
    }
  } finally {
    tmp.cleanup();
  }
}

for (const timing of [
  { afterBatches: 1, jitterMs: 40, points: 20_000, shared: false },
  { afterBatches: 3, jitterMs: 5, points: 20_000, shared: false },
  { afterBatches: 5, jitterMs: 10, points: 5_000, shared: true },
]) {
  test(`store writer SIGKILLed mid-write (batches of ${timing.points}, after ${timing.afterBatches} + 0-${timing.jitterMs} ms): reopens intact with whole batches`, async (t) => {
    const r = await killStoreWriter(timing);
    t.diagnostic(`batches stored: ${JSON.stringify(r)}`);
  });
}

test('a fresh store killed while being created and migrated opens fine afterwards', async () => {
  for (const delayMs of [0, 60, 120, 180, 240]) {
    const tmp = tempDir('loopline-crash-');
    try {
      const dbPath = join(tmp.dir, '.loopline', 'loopline.db');
      const w = spawnFixture(STORE_WRITER, [dbPath, JSON.stringify({ writer: 0, createRun: true, batches: 0, points: 100 } satisfies StoreWriterConfig)]);
      await Promise.race([new Promise((r) => setTimeout(r, delayMs + Math.random() * 20)), w.waitFor((l) => l.ready === true).catch(() => {})]);
      w.child.kill('SIGKILL');
      await w.exited;
      if (existsSync(dbPath)) assert.equal(sqliteIntegrity(dbPath), 'ok', `killed at ~${delayMs} ms`);
      const store = RunStore.open(dbPath);
      try {
        assert.equal(store.integrityCheck(), 'ok');
        assert.equal(store.getExperiment('0').name, 'Default');
        const id = store.createRun({ name: 'after' }).info.id;
        store.logBatch(id, { metrics: [{ key: 'm', value: 1, timestamp: 1, step: 1 }] });
        assert.deepEqual(summaryProblems(store, id), []);
      } finally {
        store.close();
      }
    } finally {
      tmp.cleanup();
    }
  }
});
