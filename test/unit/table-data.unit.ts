// The Experiment Table page's data (webview-ui/table/table-data.ts), fed chunks as the host sends
// them: dictionaries merged whatever their order, columns a chunk lacks shown as not logged, and a
// metric's min and max shown only once they arrived (as "…" until then), in order, never mixed
// with rows they do not belong to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOADING_TEXT, TableData, type ColumnDef } from '../../webview-ui/table/table-data.ts';
import { packStrings } from '../../src/shared/packed-strings.ts';
import type { TableChunk } from '../../src/protocol/table-protocol.ts';

const chunk = (offset: number, names: string[], extra: Partial<TableChunk> = {}): TableChunk => ({
  offset,
  runIds: packStrings(names.map((n) => `id-${n}`)),
  names: packStrings(names),
  statuses: { dict: ['FINISHED'], codes: new Int32Array(names.length) },
  startTimes: new Float64Array(names.length).fill(1_700_000_000_000),
  durations: new Float64Array(names.length).fill(1000),
  params: {},
  metrics: {},
  ...extra,
});
const col = (data: TableData, id: string): ColumnDef => data.column(id)!;
const texts = (data: TableData, id: string, agg: 'last' | 'min' | 'max' = 'last') => Array.from({ length: data.rowCount }, (_, r) => data.text(col(data, id), agg, r));

test('dictionaries in any order, codes outside them, and columns a chunk lacks', () => {
  const data = new TableData(6, 1);
  data.append(chunk(0, ['r0', 'r1', 'r2'], { params: { opt: { dict: ['adam', 'sgd'], codes: Int32Array.from([0, 1, 7]) } }, metrics: { acc: { last: Float64Array.from([0.5, NaN, 0.25]) } } }));
  // The second chunk's dictionary is in another order and holds a new value; a code points outside it; acc is not in it.
  data.append(chunk(3, ['r3', 'r4', 'r5'], { params: { opt: { dict: ['sgd', 'rms'], codes: Int32Array.from([1, 0, 9]) } } }));
  assert.deepEqual(texts(data, 'params.opt'), ['adam', 'sgd', null, 'rms', 'sgd', null]);
  assert.deepEqual(texts(data, 'metrics.acc').map((t) => (t === null ? null : Number(t))), [0.5, null, 0.25, null, null, null]);
  assert.equal(data.runId(4), 'id-r4');
  assert.equal(data.rowOf('id-r5'), 5);
  // A NaN logged last shows as NaN only where the chunk says so.
  const nan = new TableData(2, 1);
  nan.append(chunk(0, ['a', 'b'], { metrics: { loss: { last: Float64Array.from([NaN, NaN]), lastNaN: Uint8Array.from([1, 0]) } } }));
  assert.deepEqual(texts(nan, 'metrics.loss'), ['NaN', null]);
});

test('min and max: "…" until they arrive, only in order, sorted once here; rows past them still wait', () => {
  const data = new TableData(4, 7);
  data.append(chunk(0, ['a', 'b', 'c', 'd'], { metrics: { acc: { last: Float64Array.from([4, 3, 2, 1]) }, loss: { last: Float64Array.from([1, 1, 1, 1]) } } }));
  assert.deepEqual(texts(data, 'metrics.acc', 'min'), [LOADING_TEXT, LOADING_TEXT, LOADING_TEXT, LOADING_TEXT]);
  assert.equal(data.hasAll('min'), false);
  // Out of order (rows 2..3 before 0..1): ignored.
  data.appendAggregate('min', { offset: 2, count: 2, metrics: { acc: Float64Array.from([-2, -1]) } });
  assert.equal(data.loadedRows('min'), 0);
  data.appendAggregate('min', { offset: 0, count: 2, metrics: { acc: Float64Array.from([-4, -3]) } });
  assert.deepEqual(texts(data, 'metrics.acc', 'min'), ['-4', '-3', LOADING_TEXT, LOADING_TEXT]);
  // Rows still waiting sort last; loss has no min in these rows: not logged, not loading.
  assert.deepEqual([...data.sortKeys(col(data, 'metrics.acc'), 'min')], [-4, -3, NaN, NaN]);
  assert.deepEqual(texts(data, 'metrics.loss', 'min').slice(0, 2), [null, null]);
  data.appendAggregate('min', { offset: 2, count: 2, metrics: { acc: Float64Array.from([-2, -1]) } });
  assert.equal(data.hasAll('min'), true);
  assert.deepEqual([...data.sortKeys(col(data, 'metrics.acc'), 'min')], [-4, -3, -2, -1]);
  assert.equal(data.hasAll('max'), false, 'each aggregate on its own');
  // With the rows: taken when a chunk says it carries them.
  const withRows = new TableData(2, 1);
  withRows.append(chunk(0, ['a', 'b'], { aggregates: ['max'], metrics: { acc: { last: Float64Array.from([1, 2]), max: Float64Array.from([5, 6]) } } }));
  assert.deepEqual(texts(withRows, 'metrics.acc', 'max'), ['5', '6']);
  assert.equal(withRows.hasAll('min'), false);
});
