// The store's read worker (src/core/store/store-reader.ts): the experiment table streamed in
// chunks from a real SQLite store in a worker thread, table filters answered as rows, chart series,
// CSV export, errors carried across, and cancellation when the panel goes away. A metric's min and
// max come only when asked for, for the read of the rows they were asked of.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadCancelled, StoreReader } from '../src/core/store/store-reader.ts';
import { mergeChunks, readExperimentChunk, type AggregateChunk, type RowsChunk } from '../src/core/series/experiment-columns.ts';
import { activeRunOrder } from '../src/core/store/experiment-queries.ts';
import { FILTER_WARM_ROUNDS, filterTableColumns, warmTableFilter } from '../src/core/store/table-filter.ts';
import { tempStore } from './helpers/temp-store.ts';
import { unpackStrings } from '../src/shared/packed-strings.ts';

const N = 1200;
let t: ReturnType<typeof tempStore>;
let exp = '';
let reader: StoreReader;
const ids: string[] = [];

before(() => {
  t = tempStore();
  exp = t.store.createExperiment('sweep').id;
  t.store.db.transaction(() => {
    for (let i = 0; i < N; i++) {
      const id = t.store.createRun({ experimentId: exp, name: `trial-${i}`, startTime: 1_000_000 + i * 1000, status: i % 10 === 0 ? 'FAILED' : 'FINISHED' }).info.id;
      ids.push(id);
      t.store.logBatch(id, {
        params: [{ key: 'lr', value: String([0.1, 0.01, 0.001][i % 3]) }, { key: 'opt', value: i % 2 ? 'adam' : 'sgd' }],
        metrics: [
          { key: 'acc', value: i % 7 === 0 ? NaN : i / N, step: 0, timestamp: 1 },
          { key: 'acc', value: i % 7 === 0 ? NaN : (i + 1) / N, step: 1, timestamp: 2 },
        ],
      });
    }
  })();
  // Another run that logs a long series, for the chart read.
  const long = t.store.createRun({ experimentId: t.store.createExperiment('long').id, name: 'long' }).info.id;
  ids.push(long);
  t.store.logBatch(long, { metrics: Array.from({ length: 5000 }, (_, s) => ({ key: 'loss', value: s === 1234 ? 99 : 1 / (s + 1), step: s, timestamp: s })) }, { enforceLimits: false });
  reader = new StoreReader(t.dbPath);
});

after(async () => {
  await reader.close();
  t.cleanup();
});

/** A streamed chunk with its run ids and names unpacked (they travel as one string each). */
type Rows = Omit<RowsChunk, 'runIds' | 'names'> & { runIds: string[]; names: string[] };
const unpacked = (c: RowsChunk): Rows => {
  assert.ok(c.runIds.ends instanceof Uint32Array && typeof c.names.text === 'string', 'run ids and names are packed');
  return { ...c, runIds: unpackStrings(c.runIds), names: unpackStrings(c.names) };
};

async function readAll(channel = reader.channel(), firstRows = 100, chunkRows = 500): Promise<{ chunks: Rows[]; totals: number[]; dones: boolean[] }> {
  const chunks: Rows[] = [];
  const totals: number[] = [];
  const dones: boolean[] = [];
  await channel.openTable(exp, (total, chunk, done) => {
    chunks.push(unpacked(chunk));
    totals.push(total);
    dones.push(done);
  }, { firstRows, chunkRows });
  return { chunks, totals, dones };
}

test('the table streams in order: a small first chunk, then the rest, as typed columns with dictionaries', async () => {
  const { chunks, totals, dones } = await readAll();
  assert.deepEqual(chunks.map((c) => [c.offset, c.runIds.length]), [[0, 100], [100, 500], [600, 500], [1100, 100]]);
  assert.ok(totals.every((x) => x === N));
  assert.deepEqual(dones, [false, false, false, true]);
  const names = chunks.flatMap((c) => c.names);
  // Newest first.
  assert.equal(names[0], `trial-${N - 1}`);
  assert.equal(names[N - 1], 'trial-0');
  const first = chunks[0]!;
  assert.ok(first.startTimes instanceof Float64Array && first.params.lr!.codes instanceof Int32Array && first.metrics.acc!.last instanceof Float64Array);
  assert.ok(first.params.opt!.dict.length <= 2, 'strings are dictionary-encoded');
  // Row 0 is trial-1199: lr 0.01 (1199 % 3 = 2 -> 0.001), opt adam, acc last 1200/1200.
  const lr = first.params.lr!;
  assert.equal(lr.dict[lr.codes[0]!], '0.001');
  assert.equal(first.metrics.acc!.last[0], 1);
  assert.equal(first.metrics.acc!.min, undefined, 'min and max are sent only when asked for');
  // trial-1197 (row 2) logged NaN: last is NaN and flagged.
  assert.ok(Number.isNaN(first.metrics.acc!.last[2]!));
  assert.equal(first.metrics.acc!.lastNaN?.[2], 1);
  const st = first.statuses;
  assert.equal(st.dict[st.codes[first.names.indexOf('trial-1190')]!], 'FAILED');
});

test('a filter answers the rows of the open table, numeric params included, and errors cross as LooplineError', async () => {
  const table = reader.channel();
  const filters = reader.channel();
  try {
    await readAll(table);
    const rows = await filters.filterTable(table, exp, "params.opt = 'sgd' and params.lr < 0.05");
    // sgd: even i; lr < 0.05: i % 3 != 0. Row r is trial N-1-r.
    const expected = Array.from({ length: N }, (_, i) => i).filter((i) => i % 2 === 0 && i % 3 !== 0);
    assert.ok(rows instanceof Uint32Array);
    assert.deepEqual([...rows].map((r) => N - 1 - r).sort((a, b) => a - b), expected);
    await assert.rejects(filters.filterTable(table, exp, 'metrics.acc >> 1'), { name: 'LooplineError', code: 'INVALID_PARAMETER_VALUE', message: /Invalid search expression/ });
  } finally {
    table.dispose();
    filters.dispose();
  }
});

test('chart series and CSV export come from the worker', async () => {
  const c = reader.channel();
  try {
    const [s] = await c.series([ids.at(-1)!], 'loss', { byTime: false, buckets: 100 });
    assert.ok(s!.downsampled);
    assert.equal(s!.sourcePoints, 5000);
    assert.ok(Array.from(s!.values).includes(99), 'the spike survives');
    const csv = await c.metricsCsv([ids[0]!], ['acc']);
    assert.match(csv, /^run_id,run_name,metric,step,timestamp,value\n/);
    assert.equal(csv.trim().split('\n').length, 3);
  } finally {
    c.dispose();
  }
});

test('cancelling a channel stops its table read: the promise rejects and no chunk follows', async () => {
  const c = reader.channel();
  const seen: number[] = [];
  const p = c.openTable(exp, (_total, chunk) => {
    seen.push(chunk.offset);
    if (seen.length === 1) c.cancel();
  }, { firstRows: 50, chunkRows: 50 });
  await assert.rejects(p, ReadCancelled);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(seen, [0], 'nothing after the cancel');
  // The channel works again for new reads.
  const again = await readAll(c, 600, 600);
  assert.equal(again.chunks.length, 2);
  c.dispose();
});

test('warm() boots the worker ahead of the first read and resolves once it has opened its store; a cancelled channel does not drop it', async () => {
  const own = new StoreReader(t.dbPath);
  try {
    const c = own.channel();
    const booted = own.warm();
    c.cancel();
    await booted;
    assert.equal(own.running, true, 'the thread is up before any read');
    assert.equal(own.warm(), booted, 'once per worker');
    const [s] = await c.series([ids.at(-1)!], 'loss', { byTime: false, buckets: 10 });
    assert.ok(s!.steps.length > 0, 'and reads');
  } finally {
    await own.close();
  }
  await own.warm(); // a closed reader: nothing to boot, and no hang
  assert.equal(own.running, false);
  // A store that cannot be opened: warm() still settles; the read says why.
  const missing = new StoreReader(`${t.dbPath}.missing/none.db`);
  await missing.warm();
  await assert.rejects(missing.channel().series([ids[0]!], 'loss', { byTime: false, buckets: 10 }));
  await missing.close();
});

test('close() ends the worker thread: pending reads reject, later reads say the reader is closed', async () => {
  const own = new StoreReader(t.dbPath);
  assert.equal(own.running, false, 'no thread before the first read');
  const c = own.channel();
  await c.series([ids.at(-1)!], 'loss', { byTime: false, buckets: 10 });
  assert.equal(own.running, true);
  const pending = assert.rejects(c.openTable(exp, () => undefined, { firstRows: 10, chunkRows: 10 }), ReadCancelled);
  await own.close();
  assert.equal(own.running, false, 'the thread exited');
  await pending;
  await assert.rejects(c.series([ids[0]!], 'acc', { byTime: false, buckets: 10 }), { code: 'INVALID_STATE', message: /closed/ });
});

test('a reopened table comes from the worker\'s columns while the store is unchanged, and is read again after a write', async () => {
  const c = reader.channel();
  try {
    const cold = await readAll(c, 100, 500);
    const warm = await readAll(c, 250, 400);
    assert.deepEqual(warm.chunks.map((k) => [k.offset, k.runIds.length]), [[0, 250], [250, 400], [650, 400], [1050, 150]], 'the chunk sizes asked for');
    const flat = (chunks: Rows[]) => chunks.flatMap((k) => k.runIds.map((id, i) => [id, k.names[i], k.params.lr ? k.params.lr.dict[k.params.lr.codes[i]!] : null, k.metrics.acc?.last[i], k.metrics.acc?.lastNaN?.[i] ?? 0]));
    assert.deepEqual(flat(warm.chunks), flat(cold.chunks), 'the same rows and values');
    // Another connection writes: the next open reads the store again and shows the new run first.
    const id = t.store.createRun({ experimentId: exp, name: 'late', startTime: 9_000_000 }).info.id;
    const fresh = await readAll(c, 100, 500);
    assert.equal(fresh.totals[0], N + 1);
    assert.equal(fresh.chunks[0]!.names[0], 'late');
    t.store.setRunLifecycle(id, 'deleted');
    assert.equal((await readAll(c, 100, 500)).totals[0], N);
  } finally {
    c.dispose();
  }
});

test('a filter on the table\'s columns gives what the SQL search gives', () => {
  const order = activeRunOrder(t.store, exp);
  const all = mergeChunks([readExperimentChunk(t.store, order.slice(0, 700), 0), readExperimentChunk(t.store, order.slice(700), 700)]);
  const rowOf = new Map(order.map((pk, i) => [pk, i]));
  const viaSql = (f: string) => t.store.matchingRunPks({ experimentIds: [exp], filter: f }).map((pk) => rowOf.get(pk)!).sort((a, b) => a - b);
  for (const f of [
    'metrics.acc > 0.5',
    'metrics.acc != 0.5',
    'metrics.acc <= 0.25 and params.opt = \'adam\'',
    "params.lr IN ('0.1', '0.001') and attributes.status != 'FAILED'",
    "params.opt LIKE 'a%'",
    "params.opt ILIKE 'SG_'",
    'params.lr < 0.05',
    'params.nothing IS NULL',
    'params.lr IS NOT NULL',
    "attributes.run_name LIKE 'trial-11%'",
    'attributes.start_time >= 2000000',
    "attributes.status NOT IN ('FINISHED')",
  ]) {
    const cols = filterTableColumns([all], f);
    assert.ok(cols, `${f} is answered from the columns`);
    assert.deepEqual([...cols], viaSql(f), f);
  }
  assert.equal(filterTableColumns([all], "tags.note = 'x'"), null, 'tags are not in the columns: SQL answers');
  assert.throws(() => filterTableColumns([all], 'params.opt < 1'), { code: 'INVALID_PARAMETER_VALUE', message: /params\.opt is compared as a number/ });
  assert.throws(() => filterTableColumns([all], 'metrics.acc >> 1'), { code: 'INVALID_PARAMETER_VALUE' });
  // The worker's warm-up (made-up rows of its own) leaves the answers as they were.
  for (let r = 0; r < FILTER_WARM_ROUNDS; r++) warmTableFilter(r);
  for (const f of ["metrics.acc <= 0.25 and params.opt = 'adam'", "attributes.run_name LIKE 'trial-11%'"]) assert.deepEqual([...filterTableColumns([all], f)!], viaSql(f), `${f} after the warm-up`);
});

/** One aggregate of the read `tag` of the table open on `table`, as the page gets it: chunk by chunk, merged. */
async function aggregateOf(table: ReturnType<StoreReader['channel']>, tag: number, agg: 'min' | 'max', channel = reader.channel()): Promise<{ values: Float64Array; chunks: AggregateChunk[] }> {
  const chunks: AggregateChunk[] = [];
  let values = new Float64Array(0);
  await channel.tableAggregate(table, exp, tag, agg, (total, chunk, done) => {
    if (values.length !== total) values = new Float64Array(total).fill(NaN);
    chunks.push(chunk);
    if (chunk.metrics.acc) values.set(chunk.metrics.acc, chunk.offset);
    assert.equal(done, chunk.offset + chunk.count === total);
  }, 500);
  return { values, chunks };
}

test('min and max come when asked, from the rows of the read asked of: asked while they stream, after a write, cancelled', async () => {
  const table = reader.channel();
  try {
    // Asked while the rows still stream (a saved view that shows min): answered once every row is read.
    const rows: RowsChunk[] = [];
    const opened = table.openTable(exp, (_total, c) => rows.push(c), { firstRows: 100, chunkRows: 200, tag: 1 });
    const [min, max] = await Promise.all([aggregateOf(table, 1, 'min'), aggregateOf(table, 1, 'max'), opened]);
    assert.equal(rows.at(-1)!.offset + rows.at(-1)!.runIds.ends.length, N, 'every row was streamed');
    assert.deepEqual(min.chunks.map((c) => [c.offset, c.count]), [[0, 500], [500, 500], [1000, 200]]);
    // Row r is trial-(N-1-r): it logged r/N then (r+1)/N, or NaN twice (no min or max) when i % 7 = 0.
    for (const r of [0, 1, 7, 500, N - 1]) {
      const i = N - 1 - r;
      assert.deepEqual([min.values[r], max.values[r]], i % 7 === 0 ? [NaN, NaN] : [i / N, (i + 1) / N], `row ${r}`);
    }
    // A write: the table is read again as read 2. Read 1's aggregate is refused (its rows are gone), read 2's shows the change.
    t.store.logBatch(ids[N - 2]!, { metrics: [{ key: 'acc', value: -5, step: 2, timestamp: 3 }, { key: 'acc', value: 7, step: 3, timestamp: 4 }] });
    await table.openTable(exp, () => undefined, { tag: 2 });
    await assert.rejects(aggregateOf(table, 1, 'min'), { name: 'LooplineError', code: 'INVALID_STATE' });
    const [min2, max2] = await Promise.all([aggregateOf(table, 2, 'min'), aggregateOf(table, 2, 'max')]);
    assert.deepEqual([min2.values[1], max2.values[1]], [-5, 7], 'trial-1198 after the write');
    assert.deepEqual([min2.values[2], max2.values[2]], [min.values[2], max.values[2]], 'the other rows as they were');
    // Streamed with the rows when the read asks for them: the same values.
    const withRows: RowsChunk[] = [];
    await table.openTable(exp, (_total, c) => withRows.push(c), { firstRows: 100, chunkRows: 700, tag: 3, aggregates: ['min'] });
    assert.deepEqual(withRows.map((c) => c.aggregates), [['min'], ['min'], ['min']]);
    const streamedMin = new Float64Array(N);
    for (const c of withRows) streamedMin.set(c.metrics.acc!.min!, c.offset);
    assert.deepEqual([...streamedMin], [...min2.values]);
    assert.equal(withRows[0]!.metrics.acc!.max, undefined);
    // Cancelled (the panel closed, or its rows were read again): it stops, and the table's channel still works.
    const c = reader.channel();
    const seen: number[] = [];
    const p = c.tableAggregate(table, exp, 3, 'max', (_total, chunk) => {
      seen.push(chunk.offset);
      c.cancel();
    }, 100);
    await assert.rejects(p, ReadCancelled);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(seen, [0], 'nothing after the cancel');
    c.dispose();
    assert.equal((await aggregateOf(table, 3, 'max')).values[1], 7);
  } finally {
    table.dispose();
  }
});
