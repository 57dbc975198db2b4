// Bulk-loaded metric points live in blocks, small live batches in rows: whatever mix a series
// has, a user must see exactly the history, summaries and chart tiles that one row per point
// gave. Each test compares a store fed in large batches (blocks) with one fed point by point
// (rows) or with a brute-force reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparePoints } from '../src/core/store/metric-blocks.ts';
import { pointReader } from '../src/core/store/point-reader.ts';
import { decodeBlock, encodeBlock } from '../src/core/store/metric-block-codec.ts';
import { seriesIdOf, seriesPointReaders, seriesStepRange } from '../src/core/store/series-queries.ts';
import { mergePoint, type Tile } from '../src/core/store/series-tiles.ts';
import { RunStore } from '../src/core/store/run-store.ts';
import type { MetricPoint } from '../src/core/store/types.ts';
import { tempStore } from './helpers/temp-store.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * Points with repeated steps, exact duplicates, NaN and one of each infinity, in shuffled order.
 * No two points share an extreme value: which of two equal minimums a summary names depends on
 * arrival order, with rows as with blocks.
 */
function messyPoints(n: number, seed: number): MetricPoint[] {
  const r = rng(seed);
  const out: MetricPoint[] = [];
  for (let i = 0; i < n; i++) {
    const step = Math.floor(i / 3) * 2;
    const roll = r();
    const value = i === 100 ? Infinity : i === 200 ? -Infinity : roll < 0.02 ? NaN : roll < 0.5 ? Math.fround(Math.sin(i)) : Math.sin(i) * 1e-3;
    out.push({ key: 'loss', step, timestamp: 1_700_000_000_000 + step * 250 + (i % 3), value });
    if (r() < 0.05) out.push({ ...out[out.length - 1]! }); // an exact duplicate
  }
  for (let i = out.length - 1; i > 0; i--) {
    if (r() < 0.1) {
      const j = Math.floor(r() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
  }
  return out;
}

/** What one row per point keeps: unique points in the table's order. */
function reference(points: MetricPoint[]): MetricPoint[] {
  const sorted = [...points].sort((a, b) => comparePoints(a.step, a.timestamp, a.value, b.step, b.timestamp, b.value));
  return sorted.filter((p, i) => i === 0 || comparePoints(sorted[i - 1]!.step, sorted[i - 1]!.timestamp, sorted[i - 1]!.value, p.step, p.timestamp, p.value) !== 0);
}

function newRun(store: RunStore): string {
  return store.createRun({ experimentId: '0', name: 'r' }).info.id;
}

/** Logs in batches of `size` (>= 200 points go the bulk way: blocks; fewer: rows). */
function logIn(store: RunStore, runId: string, points: MetricPoint[], size: number): void {
  for (let i = 0; i < points.length; i += size) store.logBatch(runId, { metrics: points.slice(i, i + size) }, { enforceLimits: false });
}

function tilesOf(store: RunStore, runId: string, level: number): Tile[] {
  const series = seriesIdOf(store, runId, 'loss')!;
  return seriesPointReaders(store).tiles(series, level, -1e12, 1e12);
}

/** The tiles mergePoint builds from points in order, as rows did. */
function bruteTiles(points: MetricPoint[], level: number): Array<Omit<Tile, 'series'>> {
  const byBucket = new Map<number, Tile>();
  for (const p of points) {
    const bucket = Math.floor(p.step / 64 ** level);
    let t = byBucket.get(bucket);
    if (!t) {
      t = { series: 0, level, bucket, count: 0, firstStep: null, firstTs: null, firstValue: null, lastStep: null, lastTs: null, lastValue: null, minStep: null, minTs: null, minValue: null, maxStep: null, maxTs: null, maxValue: null };
      byBucket.set(bucket, t);
    }
    mergePoint(t, p.step, p.timestamp, p.value);
  }
  return [...byBucket.values()].sort((a, b) => a.bucket - b.bucket).map(({ series: _s, ...rest }) => rest);
}

const withoutSeries = (tiles: Tile[]) => tiles.map(({ series: _s, ...rest }) => rest);

test('a block round-trips every column shape exactly: counting steps, jittery and huge timestamps, float32 and float64 values, NaN and infinities', () => {
  const shapes: Array<[string, (i: number) => number, (i: number) => number, (i: number) => number]> = [
    ['arithmetic', (i) => i * 5, (i) => 1_700_000_000_000 + i * 1000, (i) => Math.fround(i / 7)],
    ['small deltas', (i) => i * 3 + (i % 2), (i) => 1_700_000_000_000 + i * 100 + (i % 7), (i) => Math.sin(i)],
    ['16-bit deltas', (i) => i * 1000, (i) => 1_700_000_000_000 + i * 30_000, (i) => (i % 5 === 0 ? NaN : i)],
    ['32-bit deltas', (i) => i * 100_000, (i) => 1_700_000_000_000 + i * 3_600_000, (i) => (i % 3 === 0 ? Infinity : -Infinity)],
    ['raw', (i) => i * 2 ** 40, (i) => i * 1e14 + 0.5, (i) => 1e300 / (i + 1)],
  ];
  for (const [name, step, ts, value] of shapes) {
    const n = 1000;
    const p = { steps: Float64Array.from({ length: n }, (_, i) => step(i)), timestamps: Float64Array.from({ length: n }, (_, i) => ts(i)), values: Float64Array.from({ length: n }, (_, i) => value(i)), length: n };
    const blob = encodeBlock(p, 100, 900);
    const back = decodeBlock(blob, 800);
    assert.deepEqual([...back.steps], [...p.steps.subarray(100, 900)], `${name}: steps`);
    assert.deepEqual([...back.timestamps], [...p.timestamps.subarray(100, 900)], `${name}: timestamps`);
    assert.deepEqual([...back.values], [...p.values.subarray(100, 900)], `${name}: values`);
    assert.ok(blob.byteLength < 24 * 800 || name === 'raw', `${name}: ${blob.byteLength} bytes, no smaller than raw`);
  }
  assert.throws(() => decodeBlock(Buffer.alloc(40), 3), /not a format-1 block|does not hold/);
});

test('bulk-logged points (blocks) give the same history, paging, summary and tiles as point-by-point logging (rows)', () => {
  const bulk = tempStore();
  const rows = tempStore();
  try {
    const points = messyPoints(5000, 7);
    const want = reference(points);
    const a = newRun(bulk.store);
    const b = newRun(rows.store);
    logIn(bulk.store, a, points, 2500);
    logIn(rows.store, b, points, 50);
    const blocks = (s: RunStore) => s.db.prepare('SELECT COUNT(*) FROM metric_blocks').pluck().get() as number;
    assert.ok(blocks(bulk.store) > 0, 'the bulk store holds blocks');
    assert.equal(blocks(rows.store), 0, 'the point-by-point store holds rows only');
    const got = bulk.store.metricHistory(a, 'loss');
    assert.equal(got.length, want.length);
    assert.deepEqual(got, want);
    assert.deepEqual(got, rows.store.metricHistory(b, 'loss'));
    // Keyset paging with a page size that cuts through blocks returns every point once.
    const paged: MetricPoint[] = [];
    let after: { step: number; timestamp: number; value: number } | undefined;
    for (;;) {
      const page = bulk.store.metricHistory(a, 'loss', { limit: 333, after });
      paged.push(...page);
      if (page.length < 333) break;
      after = page[page.length - 1]!;
    }
    assert.deepEqual(paged, want);
    assert.deepEqual(bulk.store.metricHistory(a, 'loss', { minStep: 1000, maxStep: 1100 }), want.filter((p) => p.step >= 1000 && p.step <= 1100));
    const summary = (s: RunStore, id: string) => s.getRun(id).metrics.find((m) => m.key === 'loss');
    assert.deepEqual(summary(bulk.store, a), summary(rows.store, b));
    for (const level of [1, 2, 3]) assert.deepEqual(withoutSeries(tilesOf(bulk.store, a, level)), bruteTiles(want, level), `level ${level} tiles`);
    const series = seriesIdOf(bulk.store, a, 'loss')!;
    // The chart read's row form (straight from the blocks) holds the same tiles.
    const asRow = (t: Omit<Tile, 'series'>) => [t.count, t.firstStep, t.firstTs, t.firstValue, t.minStep, t.minTs, t.minValue, t.maxStep, t.maxTs, t.maxValue, t.lastStep, t.lastTs, t.lastValue];
    assert.deepEqual(seriesPointReaders(bulk.store).tileRows(series, 1, 3, 40), bruteTiles(want, 1).filter((t) => t.bucket >= 3 && t.bucket <= 40).map(asRow));
    // A series logged in order in one batch: its level-1 tiles come from the blocks unmerged.
    const clean = newRun(bulk.store);
    const inOrder = Array.from({ length: 20_000 }, (_, i) => ({ key: 'loss', step: i, timestamp: 1_700_000_000_000 + i, value: i % 97 === 0 ? NaN : Math.sin(i / 10) }));
    logIn(bulk.store, clean, inOrder, 20_000);
    assert.notEqual(pointReader(bulk.store.db).blockTileRows(seriesIdOf(bulk.store, clean, 'loss')!, 100, 200), undefined, 'read straight from the blocks, not merged');
    assert.deepEqual(seriesPointReaders(bulk.store).tileRows(seriesIdOf(bulk.store, clean, 'loss')!, 1, 100, 200), bruteTiles(inOrder, 1).filter((t) => t.bucket >= 100 && t.bucket <= 200).map(asRow));
    assert.deepEqual(seriesStepRange(bulk.store, series), { minStep: want[0]!.step, maxStep: want[want.length - 1]!.step });
    assert.deepEqual(seriesPointReaders(bulk.store).points(series, 10, 20), want.filter((p) => p.step >= 10 && p.step <= 20).map((p) => [p.step, p.timestamp, p.value]));
  } finally {
    bulk.cleanup();
    rows.cleanup();
  }
});

test('points already stored in blocks are not stored again: a resent batch, a single duplicate, and a grown batch adds only the new points', () => {
  const t = tempStore();
  try {
    const points = messyPoints(3000, 11);
    const want = reference(points);
    const id = newRun(t.store);
    logIn(t.store, id, points, 3000);
    logIn(t.store, id, points, 3000); // the same batch again (a retried request)
    logIn(t.store, id, points.slice(0, 10), 10); // small duplicates go the row way
    const count = () => t.store.getRun(id).metrics.find((m) => m.key === 'loss')!.count;
    assert.equal(count(), want.length);
    assert.deepEqual(t.store.metricHistory(id, 'loss'), want);
    // The source grew: the old points and 400 new ones, some interleaved in steps already stored.
    const more = Array.from({ length: 400 }, (_, i) => ({ key: 'loss', step: i < 100 ? i * 2 + 1 : 5000 + i, timestamp: 1_800_000_000_000 + i, value: i / 10 }));
    logIn(t.store, id, [...points, ...more], 10_000);
    const all = reference([...points, ...more]);
    assert.equal(count(), all.length);
    assert.deepEqual(t.store.metricHistory(id, 'loss'), all);
    for (const level of [1, 2, 3]) assert.deepEqual(withoutSeries(tilesOf(t.store, id, level)), bruteTiles(all, level), `level ${level} tiles after growth`);
    // A live point after the bulk load (rows) merges into history and tiles.
    t.store.logBatch(id, { metrics: [{ key: 'loss', step: 3, timestamp: 1, value: -5 }] });
    const withLive = reference([...all, { key: 'loss', step: 3, timestamp: 1, value: -5 }]);
    assert.deepEqual(t.store.metricHistory(id, 'loss'), withLive);
    assert.deepEqual(withoutSeries(tilesOf(t.store, id, 1)), bruteTiles(withLive, 1));
  } finally {
    t.cleanup();
  }
});

test('a store with metric blocks reopens with the same history (blocks are in the file, not in memory)', () => {
  const t = tempStore();
  try {
    const id = newRun(t.store);
    const points = messyPoints(2000, 3);
    logIn(t.store, id, points, 2000);
    t.store.close();
    const again = RunStore.open(t.dbPath, { readonly: true });
    try {
      assert.deepEqual(again.metricHistory(id, 'loss'), reference(points));
    } finally {
      again.close();
    }
  } finally {
    t.cleanup();
  }
});
