// The experiment table's columnar copy (src/core/series/table-snapshot.ts, table-copy.ts, the run
// row versions of src/core/store/run-versions.ts): a table opened from the copy plus the runs that
// changed since must show exactly what a read of every value from SQLite shows, after each kind of
// change a user makes (a param, a metric, a rename, a status, a deleted run, a new run, a purged
// run whose pk comes back); only the changed runs are read again; a damaged copy is ignored; and the
// read worker uses and keeps the copy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ExperimentColumns, mergeChunks, type ExperimentChunk, type RowsChunk } from '../src/core/series/experiment-columns.ts';
import { refreshTableCopy } from '../src/core/series/table-copy.ts';
import { readTableSnapshot, SNAPSHOT_MIN_ROWS, snapshotFile } from '../src/core/series/table-snapshot.ts';
import { activeRunOrderWithVersions } from '../src/core/store/experiment-queries.ts';
import { StoreReader } from '../src/core/store/store-reader.ts';
import { tempStore } from './helpers/temp-store.ts';
import { unpackStrings } from '../src/shared/packed-strings.ts';

const N = SNAPSHOT_MIN_ROWS + 100;
const NOW = 9_000_000;
let t: ReturnType<typeof tempStore>;
let exp = '';
const ids: string[] = [];

before(() => {
  t = tempStore();
  exp = t.store.createExperiment('sweep').id;
  t.store.db.transaction(() => {
    for (let i = 0; i < N; i++) {
      const id = t.store.createRun({ experimentId: exp, name: `trial-${i}`, startTime: 1_000_000 + i * 1000, status: i === 3 ? 'RUNNING' : 'FINISHED' }).info.id;
      if (i !== 3) t.store.updateRun(id, { status: 'FINISHED', endTime: 1_000_000 + i * 1000 + 500 + i });
      t.store.logBatch(id, {
        params: [{ key: 'lr', value: String([0.1, 0.01][i % 2]) }, ...(i % 3 ? [{ key: 'opt', value: 'adam' }] : [])],
        metrics: [{ key: 'acc', value: i % 50 === 0 ? NaN : Math.sin(i), step: 0, timestamp: 0 }, ...(i % 4 ? [] : [{ key: 'loss', value: i, step: 0, timestamp: 0 }])],
      });
      ids.push(id);
    }
  })();
});

after(() => t.cleanup());

/** What the table shows, cell by cell (a column nobody has a value in shows nothing, as no column). */
function shown(c: ExperimentChunk): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = { runIds: c.runIds, names: c.names, startTimes: [...c.startTimes], durations: [...c.durations] };
  const decode = (d: { dict: string[]; codes: Int32Array }) => [...d.codes].map((k) => (k < 0 ? null : d.dict[k]));
  out.status = decode(c.statuses);
  for (const [k, p] of Object.entries(c.params)) if (p.codes.some((x) => x >= 0)) out[`params.${k}`] = decode(p);
  for (const [k, m] of Object.entries(c.metrics)) {
    if (!m.last.some((v) => !Number.isNaN(v)) && !m.lastNaN.some((v) => v) && !m.min.some((v) => !Number.isNaN(v))) continue;
    out[`last.${k}`] = [...m.last];
    out[`min.${k}`] = [...m.min];
    out[`max.${k}`] = [...m.max];
    out[`nan.${k}`] = [...m.lastNaN];
  }
  return out;
}

/** Every value read from SQLite, as with no copy. */
function fromSqlite(): Record<string, unknown[]> {
  const { order, versions } = activeRunOrderWithVersions(t.store, exp);
  const c = new ExperimentColumns(order, NOW, versions);
  c.readNext(t.store, order.length);
  return shown(c.all());
}

/**
 * From the copy on disk plus the runs that changed: the shown cells, how many runs were read from
 * SQLite and how many the copy held as they are. `firstRows` are read from SQLite before the copy
 * is taken, as the read worker does to show them at once.
 */
function fromCopy(firstRows = 0): { cells: Record<string, unknown[]>; fresh: number; adopted: number } {
  const { order, versions } = activeRunOrderWithVersions(t.store, exp);
  const c = new ExperimentColumns(order, NOW, versions);
  c.readNext(t.store, firstRows);
  const copy = readTableSnapshot(snapshotFile(t.store.path, exp), exp);
  const adopted = copy ? c.adopt(copy) : 0;
  c.readNext(t.store, 10);
  c.readNext(t.store, order.length);
  return { cells: shown(c.all()), fresh: c.fresh - firstRows, adopted };
}

test('an unchanged table comes whole from its copy, with no run read again', () => {
  assert.deepEqual(refreshTableCopy(t.store, exp), { rows: N, fresh: N });
  assert.ok(existsSync(snapshotFile(t.store.path, exp)));
  const got = fromCopy();
  assert.equal(got.adopted, N);
  assert.equal(got.fresh, 0);
  assert.deepEqual(got.cells, fromSqlite());
  // The running run's duration is counted to the moment of the open, not to when the copy was made.
  const row = got.cells.names!.indexOf('trial-3');
  assert.equal(got.cells.durations![row], NOW - (got.cells.startTimes![row] as number));
  // Nothing changed: the copy is left as it is.
  assert.deepEqual(refreshTableCopy(t.store, exp), { rows: N, fresh: 0 });
});

test('each kind of change reads only the runs it touched, and the table shows the change', () => {
  refreshTableCopy(t.store, exp);
  t.store.logBatch(ids[10]!, { params: [{ key: 'batch', value: '64' }] }); // a new param (and column)
  t.store.logBatch(ids[11]!, { metrics: [{ key: 'acc', value: 42, step: 1, timestamp: 1 }] }); // a metric moves
  t.store.updateRun(ids[12]!, { name: 'renamed' });
  t.store.updateRun(ids[3]!, { status: 'FAILED', endTime: 1_003_900 }); // the running run ends
  t.store.setRunLifecycle(ids[14]!, 'deleted'); // leaves the table
  const added = t.store.createRun({ experimentId: exp, name: 'late', startTime: 5_000_000 }).info.id; // a new run
  t.store.logBatch(added, { params: [{ key: 'lr', value: '0.5' }] });
  // The new run is the first row: read before the copy is taken, it does not count as fresh here.
  const got = fromCopy(7);
  assert.equal(got.fresh, 4, 'the param, metric, rename and status runs; nothing else');
  assert.equal(got.adopted, N - 1 - 4, 'every other run comes from the copy');
  assert.deepEqual(got.cells, fromSqlite());
  const row = (name: string) => got.cells.names!.indexOf(name);
  assert.equal(got.cells['params.batch']![row('trial-10')], '64');
  assert.equal(got.cells['last.acc']![row('trial-11')], 42);
  assert.equal(got.cells.status![row('trial-3')], 'FAILED');
  assert.ok(row('renamed') >= 0 && row('trial-12') < 0);
  assert.equal(row('trial-14'), -1, 'a deleted run is not shown');
  assert.equal(row('late'), 0, 'the newest run comes first');
  // Restored, the deleted run is read again (the copy made meanwhile no longer holds it).
  refreshTableCopy(t.store, exp);
  t.store.setRunLifecycle(ids[14]!, 'active');
  const back = fromCopy(3);
  assert.equal(back.fresh, 1);
  assert.deepEqual(back.cells, fromSqlite());
});

test('a run whose pk comes back after a purge is not taken for the purged one', () => {
  refreshTableCopy(t.store, exp);
  // Purge the newest run outright (as a cleanup of deleted runs would), then create another: SQLite
  // hands out the same pk again.
  const newest = t.store.db.prepare('SELECT max(pk) FROM runs').pluck().get() as number;
  t.store.db.transaction(() => {
    for (const table of ['params', 'tags', 'series']) t.store.db.prepare(`DELETE FROM ${table} WHERE run = ?`).run(newest);
    t.store.db.prepare('DELETE FROM runs WHERE pk = ?').run(newest);
  })();
  const again = t.store.createRun({ experimentId: exp, name: 'reborn', startTime: 6_000_000 }).info.id;
  assert.equal(t.store.db.prepare('SELECT pk FROM runs WHERE uuid = ?').pluck().get(again), newest);
  const got = fromCopy();
  assert.equal(got.fresh, 1);
  assert.deepEqual(got.cells, fromSqlite());
  assert.equal(got.cells.names![0], 'reborn');
  assert.equal(got.cells['params.lr']![0], null, 'none of the purged run\'s values');
});

test('a damaged or foreign copy is ignored and the table is read from SQLite', () => {
  refreshTableCopy(t.store, exp);
  const file = snapshotFile(t.store.path, exp);
  const good = readFileSync(file);
  const damaged: Array<[string, Buffer]> = [
    ['cut short', good.subarray(0, good.length - 100)],
    ['garbage', Buffer.from('not a table copy at all')],
    ['empty', Buffer.alloc(0)],
    ['codes outside their dictionary', (() => {
      const b = Buffer.from(good);
      b.writeInt32LE(1_000_000, b.length - 4 * N - 3 * N); // into the last param's codes
      return b;
    })()],
  ];
  for (const [what, bytes] of damaged) {
    writeFileSync(file, bytes);
    assert.equal(readTableSnapshot(file, exp), null, what);
    const got = fromCopy();
    assert.equal(got.fresh, got.cells.names!.length, what);
    assert.deepEqual(got.cells, fromSqlite(), what);
  }
  // Another experiment's copy under this name is not taken either.
  writeFileSync(file, good);
  assert.equal(readTableSnapshot(file, String(Number(exp) + 1)), null);
});

test('a copy of the same runs in the same order is taken as it is (its own arrays); the changed rows hold only what the store holds now', () => {
  refreshTableCopy(t.store, exp);
  const file = snapshotFile(t.store.path, exp);
  // Changes that keep the order: a metric moves, a param is added, another removed, a rename.
  t.store.logBatch(ids[30]!, { metrics: [{ key: 'acc', value: -3, step: 1, timestamp: 1 }] });
  t.store.logBatch(ids[31]!, { params: [{ key: 'extra', value: 'yes' }] });
  t.store.db.prepare("DELETE FROM params WHERE key = 'opt' AND run = (SELECT pk FROM runs WHERE uuid = ?)").run(ids[32]!);
  t.store.updateRun(ids[33]!, { name: 'renamed-33' });
  const { order, versions } = activeRunOrderWithVersions(t.store, exp);
  const c = new ExperimentColumns(order, NOW, versions);
  const copy = readTableSnapshot(file, exp)!;
  assert.equal(c.adopt(copy, { owned: true }), order.length - 4);
  c.readNext(t.store, order.length);
  assert.equal(c.fresh, 4, 'only the four changed runs read again');
  const all = c.all();
  assert.equal(all.metrics.acc!.last.buffer, copy.metrics.find(([k]) => k === 'acc')![1].last.buffer, "the copy's own arrays, not copies of them");
  const cells = shown(all);
  assert.deepEqual(cells, fromSqlite());
  const row = (name: string) => cells.names!.indexOf(name);
  assert.equal(cells['params.opt']![row('trial-32')], null, 'the removed param is gone, not left from the copy');
  assert.equal(cells['min.acc']![row('trial-30')], -3);
  // Not owned (this worker's last read, shared with the table it keeps): copied, never written into.
  const shared = readTableSnapshot(file, exp)!;
  const d = new ExperimentColumns(order, NOW, versions);
  d.adopt(shared);
  d.readNext(t.store, order.length);
  assert.notEqual(d.all().metrics.acc!.last.buffer, shared.metrics.find(([k]) => k === 'acc')![1].last.buffer);
  assert.deepEqual(shown(d.all()), fromSqlite());
});

test('the read worker streams from the copy exactly what SQLite holds: every column, min and max when asked', async () => {
  refreshTableCopy(t.store, exp);
  t.store.logBatch(ids[40]!, { metrics: [{ key: 'loss', value: 1e9, step: 5, timestamp: 5 }] });
  t.store.db.prepare("DELETE FROM params WHERE key = 'lr' AND run = (SELECT pk FROM runs WHERE uuid = ?)").run(ids[41]!);
  const reader = new StoreReader(t.dbPath);
  try {
    const table = reader.channel();
    const chunks: RowsChunk[] = [];
    await table.openTable(exp, (_total, c) => chunks.push(c), { firstRows: 100, chunkRows: 700, tag: 5 });
    assert.deepEqual(chunks.map((c) => c.offset), [0, 100, 800, 1500]);
    const merged = mergeChunks(chunks);
    for (const agg of ['min', 'max'] as const) {
      await reader.channel().tableAggregate(table, exp, 5, agg, (_total, a) => {
        for (const [k, v] of Object.entries(a.metrics)) merged.metrics[k]![agg].set(v, a.offset);
      });
    }
    // Durations of running runs move with the clock: compared apart (the first test checks them).
    const { durations: _d, ...got } = shown(merged);
    const { durations: _e, ...expected } = fromSqlite();
    assert.deepEqual(got, expected);
  } finally {
    await reader.close();
  }
});

test('the read worker opens a large table from its copy, reads the changed runs, and writes the copy when many changed', async () => {
  const file = snapshotFile(t.store.path, exp);
  const open = async () => {
    const reader = new StoreReader(t.dbPath);
    try {
      const rows: string[] = [];
      const lr: Array<string | null> = [];
      await reader.channel().openTable(exp, (_total, c) => {
        rows.push(...unpackStrings(c.names));
        for (const code of c.params.lr?.codes ?? []) lr.push(code < 0 ? null : c.params.lr!.dict[code]!);
      }, { firstRows: 100, chunkRows: 1000 });
      return { rows, lr };
    } finally {
      await reader.close();
    }
  };
  // No copy: every value from SQLite, and the worker leaves a copy behind.
  const { rmSync } = await import('node:fs');
  rmSync(file);
  const first = await open();
  const expected = fromSqlite();
  assert.deepEqual(first.rows, expected.names);
  assert.deepEqual(first.lr, expected['params.lr']);
  assert.ok(existsSync(file), 'the worker wrote the copy after the read');
  // Many runs change (a re-import): the next open shows the new values and writes the copy again.
  const changed = t.store.db.prepare("UPDATE params SET value = '0.3' WHERE key = 'lr' AND run IN (SELECT pk FROM runs WHERE experiment_id = ? LIMIT 600)").run(Number(exp)).changes;
  assert.ok(changed > 500);
  const before = readFileSync(file);
  const second = await open();
  assert.deepEqual(second.lr, fromSqlite()['params.lr']);
  assert.equal(second.lr.filter((v) => v === '0.3').length, changed);
  assert.notDeepEqual(readFileSync(file), before, 'the copy was brought up to date');
  assert.equal(fromCopy().fresh, 0);
});

test('a worker that read the table reads only the changed runs again when the store moves, and shows them', async () => {
  const reader = new StoreReader(t.dbPath);
  try {
    const open = async () => {
      const lr: Array<string | null> = [];
      const names: string[] = [];
      await reader.channel().openTable(exp, (_total, c) => {
        names.push(...unpackStrings(c.names));
        for (const code of c.params.lr?.codes ?? []) lr.push(code < 0 ? null : c.params.lr!.dict[code]!);
      }, { firstRows: 100, chunkRows: 1000 });
      return { lr, names };
    };
    await open();
    t.store.logBatch(ids[20]!, { params: [{ key: 'note', value: 'x' }] });
    t.store.updateRun(ids[21]!, { name: 'renamed-21' });
    t.store.db.prepare("UPDATE params SET value = '0.7' WHERE key = 'lr' AND run = (SELECT pk FROM runs WHERE uuid = ?)").run(ids[22]!);
    const after = await open();
    const expected = fromSqlite();
    assert.deepEqual(after.names, expected.names);
    assert.deepEqual(after.lr, expected['params.lr']);
    assert.equal(after.lr[after.names.indexOf('trial-22')], '0.7');
  } finally {
    await reader.close();
  }
});
