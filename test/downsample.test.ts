import { test } from 'node:test';
import assert from 'node:assert/strict';
import { m4, emptyColumns, type Columns } from '../src/core/series/downsample.ts';
import { readSeries } from '../src/core/series/series-reader.ts';
import { tempStore } from './helpers/temp-store.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function columns(n: number, seed: number, opts: { spikes?: number; nans?: number; sparse?: boolean } = {}): Columns {
  const r = rng(seed);
  const c = emptyColumns(n);
  let step = 0;
  for (let i = 0; i < n; i++) {
    step += opts.sparse ? 1 + Math.floor(r() * 50) : 1;
    c.steps[i] = step;
    c.times[i] = 1_700_000_000_000 + step * 10;
    c.values[i] = Math.sin(i / 50) + r() * 0.1;
  }
  for (let k = 0; k < (opts.spikes ?? 0); k++) c.values[Math.floor(r() * n)] = (r() < 0.5 ? -1 : 1) * (100 + r() * 100);
  for (let k = 0; k < (opts.nans ?? 0); k++) c.values[Math.floor(r() * n)] = NaN;
  return c;
}

/** Brute force: per bucket (same bucketing as m4), the min and max of the raw values. */
function bruteExtremes(c: Columns, buckets: number): Array<{ min: number; max: number } | undefined> {
  const x0 = c.steps[0]!;
  const span = c.steps[c.steps.length - 1]! - x0;
  const out: Array<{ min: number; max: number } | undefined> = new Array(buckets).fill(undefined);
  for (let i = 0; i < c.steps.length; i++) {
    const v = c.values[i]!;
    if (Number.isNaN(v)) continue;
    let b = span > 0 ? Math.floor(((c.steps[i]! - x0) / span) * buckets) : 0;
    if (b >= buckets) b = buckets - 1;
    const e = out[b];
    if (!e) out[b] = { min: v, max: v };
    else {
      e.min = Math.min(e.min, v);
      e.max = Math.max(e.max, v);
    }
  }
  return out;
}

test('M4 keeps every bucket extreme (spikes), at most 4 points per bucket, as a subsequence of the input', () => {
  for (const [n, buckets, seed, opts] of [
    [100_000, 500, 1, { spikes: 40 }],
    [50_000, 333, 2, { spikes: 10, nans: 20 }],
    [20_000, 1000, 3, { sparse: true, spikes: 5 }],
    [3_000, 1000, 4, {}],
  ] as const) {
    const src = columns(n, seed, opts);
    const out = m4(src, buckets);
    assert.ok(out.steps.length <= buckets * 5, `${out.steps.length} points for ${buckets} buckets`);
    assert.equal(out.sourcePoints, n);
    // Subsequence: steps strictly follow the input order.
    let j = 0;
    for (let i = 0; i < out.steps.length; i++) {
      while (j < n && !(src.steps[j] === out.steps[i] && Object.is(src.values[j], out.values[i]))) j++;
      assert.ok(j < n, `output point ${i} (step ${out.steps[i]}) is not in the input, in order`);
      j++;
    }
    if (!out.downsampled) {
      assert.equal(out.steps.length, n, 'small inputs pass through unchanged');
      continue;
    }
    const brute = bruteExtremes(src, buckets);
    const got = bruteExtremes(out, buckets);
    assert.deepEqual(got, brute, 'per bucket min and max equal the raw data');
  }
});

test('a single spike in a million-step series survives downsampling through the store (tiles) and zoom reads raw points', () => {
  const t = tempStore();
  try {
    const run = t.store.createRun({ name: 'long' });
    const N = 300_000;
    const spikeStep = 123_457;
    for (let start = 0; start < N; start += 50_000) {
      const points = [];
      for (let s = start; s < start + 50_000; s++) points.push({ key: 'loss', value: s === spikeStep ? 1000 : Math.cos(s / 1000), step: s, timestamp: 1_700_000_000_000 + s });
      t.store.logBatch(run.info.id, { metrics: points }, { enforceLimits: false });
    }
    const full = readSeries(t.store, { runId: run.info.id, key: 'loss', buckets: 400 });
    assert.ok(full.level >= 1, 'a 300k-step view reads tiles, not raw points');
    assert.ok(full.downsampled);
    assert.equal(full.sourcePoints, N);
    assert.ok(full.steps.length <= 400 * 4, `${full.steps.length} points sent for 400 buckets`);
    const i = Array.from(full.values).indexOf(1000);
    assert.ok(i >= 0, 'the spike is in the downsampled series');
    assert.equal(full.steps[i], spikeStep, 'at its exact step');
    let trueMin = Infinity;
    for (let s = 0; s < N; s++) if (s !== spikeStep) trueMin = Math.min(trueMin, Math.cos(s / 1000));
    assert.equal(Math.min(...Array.from(full.values)), trueMin, 'the true minimum is kept');

    const zoom = readSeries(t.store, { runId: run.info.id, key: 'loss', buckets: 400, minStep: spikeStep - 100, maxStep: spikeStep + 100 });
    assert.equal(zoom.level, 0, 'a narrow zoom reads raw points');
    assert.equal(zoom.downsampled, false);
    assert.equal(zoom.steps.length, 201, 'every point of the window, exactly');
    assert.equal(zoom.steps[0], spikeStep - 100);
    assert.equal(zoom.values[100], 1000);

    const byTime = readSeries(t.store, { runId: run.info.id, key: 'loss', buckets: 400, byTime: true });
    assert.ok(Array.from(byTime.values).includes(1000), 'the spike survives time bucketing too');
  } finally {
    t.cleanup();
  }
});

test('tiles stay exact when points arrive out of order and in separate batches, and after reopening', () => {
  const t = tempStore();
  try {
    const run = t.store.createRun({ name: 'shuffled' });
    const r = rng(7);
    const steps = Array.from({ length: 20_000 }, (_, i) => i).sort(() => r() - 0.5);
    for (let k = 0; k < steps.length; k += 1000) {
      t.store.logBatch(run.info.id, { metrics: steps.slice(k, k + 1000).map((s) => ({ key: 'x', value: (s * 7919) % 1000, step: s, timestamp: s })) });
    }
    const viaTiles = readSeries(t.store, { runId: run.info.id, key: 'x', buckets: 50 });
    assert.ok(viaTiles.level >= 1);
    const raw = readSeries(t.store, { runId: run.info.id, key: 'x', buckets: 50, minStep: 0, maxStep: 63 });
    assert.equal(raw.level, 0);
    assert.deepEqual(bruteExtremes(viaTiles, 50), bruteExtremes(m4(readSeries(t.store, { runId: run.info.id, key: 'x', buckets: 1_000_000 }), 50), 50));
  } finally {
    t.cleanup();
  }
});

test('a zoom window read from tiles holds only points inside it, with the extremes inside it', () => {
  const t = tempStore();
  try {
    const run = t.store.createRun({ name: 'edges' });
    const points = [];
    for (let s = 0; s < 2000; s++) points.push({ key: 'loss', value: s === 70 ? -100 : s === 110 ? -50 : s === 990 ? 40 : 1, step: s, timestamp: s });
    t.store.logBatch(run.info.id, { metrics: points }, { enforceLimits: false });
    const r = readSeries(t.store, { runId: run.info.id, key: 'loss', minStep: 100, maxStep: 1000, buckets: 10 });
    assert.ok(r.level >= 1, 'the window is wide enough to read tiles');
    assert.equal(r.sourcePoints, 901, 'exactly the points of steps 100..1000');
    assert.ok(Array.from(r.steps).every((s) => s >= 100 && s <= 1000), 'nothing from outside the window (step 70 lies in an edge tile)');
    assert.equal(Math.min(...Array.from(r.values)), -50, 'the minimum inside the window (step 110, in a partial edge tile)');
    assert.equal(Math.max(...Array.from(r.values)), 40, 'the maximum inside the window (step 990, in the other edge tile)');
  } finally {
    t.cleanup();
  }
});

test('a whole-series read from tiles keeps the first and last points and the extremes of partial end tiles', () => {
  const t = tempStore();
  try {
    const run = t.store.createRun({ name: 'ends' });
    // Steps 37..300,036: neither end on a tile boundary; spikes near both ends (in partial tiles).
    const first = 37;
    const N = 300_000;
    const points = [];
    for (let s = first; s < first + N; s++) points.push({ key: 'loss', value: s === first + 5 ? -500 : s === first + N - 3 ? 700 : Math.sin(s / 777), step: s, timestamp: 1_700_000_000_000 + s });
    t.store.logBatch(run.info.id, { metrics: points }, { enforceLimits: false });
    // A later live point (a row, not a block) after the last block.
    t.store.logBatch(run.info.id, { metrics: [{ key: 'loss', value: 0.25, step: first + N + 10, timestamp: 1_700_000_000_000 + first + N + 10 }] });
    for (const [buckets, level] of [[100, 2], [300, 1]] as const) {
      const r = readSeries(t.store, { runId: run.info.id, key: 'loss', buckets });
      assert.equal(r.level, level, `${buckets} buckets read level-${level} tiles`);
      assert.equal(r.sourcePoints, N + 1, 'every point of the series counted once');
      assert.equal(r.steps[0], first, 'starts at the first point');
      assert.equal(r.steps[r.steps.length - 1], first + N + 10, 'ends at the last point');
      assert.equal(r.values[r.values.length - 1], 0.25);
      const values = Array.from(r.values);
      assert.equal(Math.min(...values), -500, 'the minimum in the first (partial) tile');
      assert.equal(Math.max(...values), 700, 'the maximum in the last block tile');
      assert.equal(r.steps[values.indexOf(700)], first + N - 3);
      assert.ok(Array.from(r.steps).every((s, i, a) => i === 0 || a[i - 1]! <= s), 'in step order');
    }
  } finally {
    t.cleanup();
  }
});
