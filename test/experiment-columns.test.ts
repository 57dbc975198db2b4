// The experiment table's first (cold) read (src/core/series/experiment-columns.ts ExperimentColumns,
// used by the read worker): read into whole-table columns a batch at a time, it must give exactly
// what the straightforward per-chunk read gives, on a real store with runs that logged different
// params and metrics (missing values), NaN and infinite metrics, a running run, a deleted run, and
// keys that are awkward in JSON. And the worker streams the same rows: the last values with them,
// min and max when asked for, out of the columns it holds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ExperimentColumns, mergeChunks, readExperimentChunk, type AggregateChunk, type ExperimentChunk, type RowsChunk } from '../src/core/series/experiment-columns.ts';
import { activeRunOrder } from '../src/core/store/experiment-queries.ts';
import { StoreReader } from '../src/core/store/store-reader.ts';
import { tempStore } from './helpers/temp-store.ts';

const N = 700;
let t: ReturnType<typeof tempStore>;
let exp = '';

before(() => {
  t = tempStore();
  exp = t.store.createExperiment('mixed').id;
  const other = t.store.createExperiment('other').id;
  t.store.db.transaction(() => {
    for (let i = 0; i < N; i++) {
      // Runs of another experiment in between: pks of this one are not contiguous.
      if (i % 50 === 0) t.store.logBatch(t.store.createRun({ experimentId: other, name: `x-${i}`, startTime: 5 }).info.id, { params: [{ key: 'lr', value: 'other' }], metrics: [{ key: 'acc', value: -1, step: 0, timestamp: 1 }] });
      const id = t.store.createRun({ experimentId: exp, name: i % 97 === 0 ? '' : `trial-${i}`, startTime: 1_000_000 + (i % 350) * 1000, status: i === 5 ? 'RUNNING' : i % 9 === 0 ? 'FAILED' : 'FINISHED' }).info.id;
      if (i !== 5) t.store.updateRun(id, { status: i % 9 === 0 ? 'FAILED' : 'FINISHED', endTime: 1_000_000 + (i % 350) * 1000 + i * 17 });
      const params = [
        { key: 'lr', value: String([0.1, 0.01, 0.001][i % 3]) },
        ...(i % 4 === 0 ? [] : [{ key: 'opt', value: i % 2 ? 'adam' : 'sgd' }]),
        ...(i % 5 === 0 ? [{ key: '__proto__', value: 'p' }, { key: '1', value: `ü ${i % 7}` }] : []),
        ...(i % 11 === 0 ? [{ key: 'note', value: `free text "quoted" \\ ${i}` }] : []),
      ];
      const v = (s: number) => (i % 13 === 0 && s === 2 ? NaN : i % 17 === 0 ? (s === 0 ? Infinity : -Infinity) : Math.sin(i * 0.37 + s) * 10 ** ((i % 9) - 4));
      const metrics = [
        ...(i % 6 === 0 ? [] : [0, 1, 2].map((s) => ({ key: 'acc', value: v(s), step: s, timestamp: s }))),
        ...(i % 3 === 0 ? [{ key: 'loss/val', value: i / 7, step: 0, timestamp: 0 }] : []),
      ];
      t.store.logBatch(id, { params, metrics });
      if (i % 40 === 1) t.store.setRunLifecycle(id, 'deleted');
    }
  })();
});

after(() => t.cleanup());

/** Every cell as text a user would see compared: decoded strings, numbers as they are. */
function cells(c: ExperimentChunk): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = { runIds: c.runIds, names: c.names, startTimes: [...c.startTimes], durations: [...c.durations] };
  const decode = (d: { dict: string[]; codes: Int32Array }) => [...d.codes].map((k) => (k < 0 ? null : d.dict[k]));
  out.status = decode(c.statuses);
  for (const [k, p] of Object.entries(c.params)) out[`params.${k}`] = decode(p);
  for (const [k, m] of Object.entries(c.metrics)) {
    out[`last.${k}`] = [...m.last];
    out[`min.${k}`] = [...m.min];
    out[`max.${k}`] = [...m.max];
    out[`nan.${k}`] = [...m.lastNaN];
  }
  return out;
}

test('the whole-table read equals the per-chunk read: same rows, columns, missing values, NaN and infinities', () => {
  const now = 2_000_000;
  const order = activeRunOrder(t.store, exp);
  assert.equal(order.length, N - Math.ceil((N - 1) / 40), 'deleted runs are left out');
  const reference = mergeChunks([readExperimentChunk(t.store, order.slice(0, 300), 0, now), readExperimentChunk(t.store, order.slice(300), 300, now)]);
  const columns = new ExperimentColumns(order, now);
  columns.readNext(t.store, 64);
  columns.readNext(t.store, 1000);
  assert.equal(columns.read, order.length);
  const got = cells(columns.all());
  assert.deepEqual(Object.keys(got).sort(), Object.keys(cells(reference)).sort());
  assert.deepEqual(got, cells(reference));
  // What a user would check by eye: a run without 'opt' shows nothing there, NaN is flagged, an
  // infinite value stays infinite, the running run counts until now.
  const row = (name: string) => columns.all().names.indexOf(name);
  const all = columns.all();
  assert.equal(all.params.opt!.codes[row('trial-4')], -1);
  assert.equal(all.params['__proto__']!.dict[all.params['__proto__']!.codes[row('trial-5')]!], 'p');
  assert.equal(all.metrics.acc!.lastNaN[row('trial-13')], 1);
  assert.equal(all.metrics.acc!.max[row('trial-17')], Infinity);
  assert.equal(all.metrics.acc!.min[row('trial-17')], -Infinity);
  assert.ok(Number.isNaN(all.metrics.acc!.last[row('trial-6')]!) && all.metrics.acc!.lastNaN[row('trial-6')] === 0, 'not logged: no value, not NaN');
  assert.equal(all.durations[row('trial-5')], now - all.startTimes[row('trial-5')]!);
});

for (const parallel of [false, true])
test(`the read worker streams the same rows on a first open${parallel ? ' read by two threads' : ''} and on a reopen`, async () => {
  const reader = new StoreReader(t.dbPath);
  try {
    const open = async () => {
      const chunks: RowsChunk[] = [];
      const table = reader.channel();
      // parallelRows: the metrics read by a second thread, as for a table of 20,000 runs or more.
      await table.openTable(exp, (_total, chunk) => chunks.push(chunk), { firstRows: 50, chunkRows: 200, tag: 7, ...(parallel ? { parallelRows: 100 } : {}) });
      assert.deepEqual(chunks.map((c) => c.offset), [0, 50, 250, 450, 650].filter((o) => o < chunks.at(-1)!.offset + 1));
      assert.ok(chunks.every((c) => Object.values(c.metrics).every((m) => !m.min && !m.max)), 'min and max are not streamed with the rows');
      const merged = mergeChunks(chunks);
      // Then each aggregate, asked for as the page does, from the worker's columns in chunks of its own.
      for (const agg of ['min', 'max'] as const) {
        const parts: AggregateChunk[] = [];
        await reader.channel().tableAggregate(table, exp, 7, agg, (total, chunk, done) => {
          assert.equal(total, merged.runIds.length);
          parts.push(chunk);
          assert.equal(done, chunk.offset + chunk.count === merged.runIds.length);
        }, 300);
        const n = merged.runIds.length;
        assert.deepEqual(parts.map((p) => [p.offset, p.count]), [[0, 300], [300, 300], [600, n - 600]]);
        for (const p of parts) for (const [k, v] of Object.entries(p.metrics)) merged.metrics[k]![agg].set(v, p.offset);
      }
      return cells(merged);
    };
    const order = activeRunOrder(t.store, exp);
    const columns = new ExperimentColumns(order);
    columns.readNext(t.store, order.length);
    const expected = cells(columns.all());
    // Durations of the running run move with the clock: compared apart.
    const running = expected.names!.indexOf('trial-5');
    const steady = (c: Record<string, unknown[]>) => ({ ...c, durations: c.durations!.filter((_, i) => i !== running) });
    const cold = await open();
    assert.deepEqual(steady(cold), steady(expected));
    assert.deepEqual(steady(await open()), steady(cold));
    // Filters on the kept columns see the awkward keys as columns, and no inherited ones.
    const table = reader.channel();
    await table.openTable(exp, () => {});
    const filter = reader.channel();
    assert.equal((await filter.filterTable(table, exp, "params.__proto__ = 'p'")).length, expected['params.__proto__']!.filter((v) => v === 'p').length);
    assert.equal((await filter.filterTable(table, exp, 'params.constructor IS NULL')).length, expected.names!.length);
  } finally {
    await reader.close();
  }
});
