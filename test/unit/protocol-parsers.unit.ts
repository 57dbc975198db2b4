import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSeriesRequest } from '../../src/protocol/common.ts';
import { firstChartBuckets, parseCompareToHost } from '../../src/protocol/compare-protocol.ts';
import { parseDetailToHost } from '../../src/protocol/run-detail-protocol.ts';
import { parseTableToHost } from '../../src/protocol/table-protocol.ts';

// Messages from a webview are untrusted: anything malformed is dropped (undefined), never passed on.
const RUN = 'a'.repeat(32);
const series = { type: 'requestSeries', requestId: 3, key: 'loss', xAxis: 'step', buckets: 400.7, range: null };

test('series requests: valid ones are normalised, bad ranges, axes and bucket counts are refused', () => {
  assert.deepEqual(parseSeriesRequest(series), { ...series, buckets: 400 });
  assert.deepEqual(parseSeriesRequest({ ...series, range: { minStep: 10, maxStep: 20 } })?.range, { minStep: 10, maxStep: 20 });
  for (const bad of [
    { ...series, range: { minStep: 20, maxStep: 10 } },
    { ...series, range: { minStep: 0.5, maxStep: 10 } },
    { ...series, xAxis: 'epoch' },
    { ...series, buckets: 0 },
    { ...series, buckets: 10_001 },
    { ...series, buckets: NaN },
    { ...series, requestId: '3' },
    { ...series, key: 42 },
  ]) {
    assert.equal(parseSeriesRequest(bad), undefined, JSON.stringify(bad));
  }
});

test('compare ready: the first chart hint is kept when valid, dropped (ready kept) when not; its buckets follow the chart count', () => {
  const hint = { xAxis: 'relative', widths: [1150, 569, 376], zoomed: ['loss'] };
  assert.deepEqual(parseCompareToHost({ type: 'ready', firstChart: hint }), { type: 'ready', firstChart: hint });
  for (const bad of [{ ...hint, widths: [] }, { ...hint, widths: [NaN] }, { ...hint, widths: Array(17).fill(100) }, { ...hint, xAxis: 'epoch' }, { ...hint, zoomed: [1] }, 'wide']) {
    assert.deepEqual(parseCompareToHost({ type: 'ready', firstChart: bad }), { type: 'ready' }, JSON.stringify(bad));
  }
  assert.equal(firstChartBuckets(hint as never, 1), 575);
  assert.equal(firstChartBuckets(hint as never, 2), 284);
  assert.equal(firstChartBuckets(hint as never, 12), 188, 'more charts than measured: the last width (every column in use)');
  assert.equal(firstChartBuckets(hint as never, 0), undefined);
});

test('compare messages: known types with valid fields only', () => {
  assert.deepEqual(parseCompareToHost({ type: 'ready', extra: 1 }), { type: 'ready' });
  assert.deepEqual(parseCompareToHost({ type: 'openRun', runId: RUN }), { type: 'openRun', runId: RUN });
  assert.equal(parseCompareToHost({ type: 'openRun', runId: 'not-a-run' }), undefined);
  assert.equal(parseCompareToHost({ type: 'showCodeDiff', runId: RUN.toUpperCase() }), undefined);
  assert.deepEqual(parseCompareToHost({ type: 'exportData', keys: ['loss', 'acc'] }), { type: 'exportData', keys: ['loss', 'acc'] });
  assert.equal(parseCompareToHost({ type: 'exportData', keys: ['loss', 3] }), undefined);
  assert.equal(parseCompareToHost({ type: 'exportData', keys: Array(501).fill('k') }), undefined);
  assert.equal(parseCompareToHost({ type: 'savePng', fileName: 'a.png', dataUrl: 'javascript:alert(1)' }), undefined);
  assert.ok(parseCompareToHost({ type: 'savePng', fileName: 'a.png', dataUrl: 'data:image/png;base64,AAAA' }));
  assert.equal(parseCompareToHost({ type: 'saveCsv', fileName: 'a.csv', csv: 'x'.repeat(50 * 1024 * 1024 + 1) }), undefined);
  for (const bad of [null, 'ready', [], { type: 'eval', code: '1' }, { type: 'requestSeries' }]) assert.equal(parseCompareToHost(bad), undefined, JSON.stringify(bad));
});

test('run detail messages', () => {
  assert.deepEqual(parseDetailToHost({ type: 'openArtifact', path: 'model/weights.bin' }), { type: 'openArtifact', path: 'model/weights.bin' });
  assert.equal(parseDetailToHost({ type: 'openArtifact', path: 'x'.repeat(4096) }), undefined);
  assert.equal(parseDetailToHost({ type: 'openArtifact' }), undefined);
  assert.deepEqual(parseDetailToHost({ type: 'showCodeDiff', runId: 'ignored' }), { type: 'showCodeDiff' });
  assert.deepEqual(parseDetailToHost(series), { ...series, buckets: 400 });
  assert.equal(parseDetailToHost({ type: 'openRun', runId: RUN }), undefined, 'not a run-detail message');
});

test('experiment table messages', () => {
  assert.deepEqual(parseTableToHost({ type: 'filter', requestId: 1, expression: 'metrics.acc > 0.9' }), { type: 'filter', requestId: 1, expression: 'metrics.acc > 0.9' });
  assert.equal(parseTableToHost({ type: 'filter', requestId: 1, expression: 'x'.repeat(10_001) }), undefined);
  assert.equal(parseTableToHost({ type: 'filter', requestId: 1.5, expression: '' }), undefined);
  assert.deepEqual(parseTableToHost({ type: 'compare', runIds: [RUN] }), { type: 'compare', runIds: [RUN] });
  assert.equal(parseTableToHost({ type: 'compare', runIds: [] }), undefined, 'nothing to compare');
  assert.equal(parseTableToHost({ type: 'compare', runIds: Array(101).fill(RUN) }), undefined, 'over the limit');
  assert.equal(parseTableToHost({ type: 'compare', runIds: [RUN, '../etc'] }), undefined);
  assert.equal(parseTableToHost({ type: 'openRun', runId: 7 }), undefined);
  assert.deepEqual(parseTableToHost({ type: 'aggregate', version: 3, aggregate: 'max', extra: 1 }), { type: 'aggregate', version: 3, aggregate: 'max' });
  assert.equal(parseTableToHost({ type: 'aggregate', version: 3, aggregate: 'last' }), undefined, 'last always comes with the rows');
  assert.equal(parseTableToHost({ type: 'aggregate', version: '3', aggregate: 'min' }), undefined);
});
