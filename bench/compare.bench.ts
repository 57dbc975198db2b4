// `npm run bench:compare`: comparison webviews at scale. Not a test: prints figures and ratios.
// Store: 10 runs x 3 metrics x 1,000,000 steps, plus an experiment of 10,000 short runs with 30
// params and 20 metrics each (built once, cached under LOOPLINE_CACHE). Measures, in one run:
//  - first chart for the 10 long runs: init -> chart request (page) + query/downsample/serialise
//    (extension side) + JSON parse and render (page), in headless Chromium with the real compare app
//    in its CSP shell; the bytes sent; then naive full series (every point) as the baseline;
//  - experiment table open time for the 10,000 runs (query + message + first rows painted).
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readExperimentColumns } from '../src/core/series/experiment-columns.ts';
import { RunStore } from '../src/core/store/run-store.ts';
import { SeriesFeed } from '../src/extension/webviews/series-feed.ts';
import { openWebview } from '../test/webview/webview-harness.ts';
import { toWire } from '../src/protocol/common.ts';

const STEPS = 1_000_000;
const LONG_RUNS = 10;
const KEYS = ['loss', 'accuracy', 'lr'];
const SHORT_RUNS = 10_000;
const CACHE = join(process.env.LOOPLINE_CACHE ?? join(homedir(), '.cache', 'loopline'), 'bench-compare-v2');
const DB = join(CACHE, 'loopline.db');

function seed(): void {
  if (existsSync(DB)) return;
  const t0 = performance.now();
  rmSync(`${CACHE}.partial`, { recursive: true, force: true });
  mkdirSync(`${CACHE}.partial`, { recursive: true });
  const store = RunStore.open(join(`${CACHE}.partial`, 'loopline.db'));
  const long = store.ensureExperiment('long-runs');
  for (let r = 0; r < LONG_RUNS; r++) {
    const run = store.createRun({ experimentId: long.id, name: `long-${r}`, status: 'FINISHED', startTime: 1_700_000_000_000 });
    store.logBatch(run.info.id, { params: [{ key: 'lr', value: String(0.001 * (r + 1)) }, { key: 'seed', value: String(r) }] });
    for (let s0 = 0; s0 < STEPS; s0 += 100_000) {
      const points = [];
      for (let s = s0; s < s0 + 100_000; s++) {
        const t = 1_700_000_000_000 + s * 5;
        points.push(
          { key: 'loss', value: Math.exp(-s / 200_000) * (1 + 0.05 * Math.sin(s / 97 + r)) + (s % 99_991 === 0 ? 3 : 0), step: s, timestamp: t },
          { key: 'accuracy', value: 1 - Math.exp(-s / 150_000) * 0.9 + 0.01 * Math.cos(s / 51), step: s, timestamp: t },
          { key: 'lr', value: 0.001 * (r + 1) * (1 + Math.cos((Math.PI * s) / STEPS)) / 2, step: s, timestamp: t },
        );
      }
      store.logBatch(run.info.id, { metrics: points }, { enforceLimits: false });
    }
    process.stderr.write(`seeded long run ${r + 1}/${LONG_RUNS}\n`);
  }
  const short = store.ensureExperiment('short-runs');
  store.db.transaction(() => {
    for (let i = 0; i < SHORT_RUNS; i++) {
      const run = store.createRun({ experimentId: short.id, name: `trial-${i}`, status: 'FINISHED', startTime: 1_700_000_000_000 + i * 1000 });
      store.logBatch(run.info.id, {
        params: Array.from({ length: 30 }, (_, k) => ({ key: `p${String(k).padStart(2, '0')}`, value: String((i * (k + 3)) % 97) })),
        metrics: Array.from({ length: 20 }, (_, k) => ({ key: `m${String(k).padStart(2, '0')}`, value: Math.sin(i + k), step: 10, timestamp: 1_700_000_000_000 + i })),
      });
    }
  })();
  store.close();
  renameSync(`${CACHE}.partial`, CACHE);
  process.stderr.write(`seeded the bench store in ${((performance.now() - t0) / 1000).toFixed(0)} s (cached at ${CACHE})\n`);
}

/** Bytes of the naive message (every point of every run), built one run at a time to bound memory. */
function naiveBytes(store: RunStore, runIds: string[], key: string): { bytes: number; ms: number; points: number } {
  const feed = new SeriesFeed(store);
  const t0 = performance.now();
  let bytes = 0;
  let points = 0;
  for (const id of runIds) {
    const [s] = feed.answer([id], key, 'step', Number.MAX_SAFE_INTEGER, null);
    bytes += messageBytes(s);
    points += s!.steps.length;
  }
  return { bytes, ms: performance.now() - t0, points };
}

/**
 * Delivers a host message the way VS Code does: the message as JSON text with its typed arrays
 * taken out and sent as binary buffers (VS Code transfers ArrayBuffers as such), then revived and
 * dispatched as a message event in the webview. Text and buffers reach the page first (Playwright's
 * transfer is not part of the figure); the page times the parse and the revival. Returns the page's
 * clock when the message was dispatched and the parse time.
 */
async function deliver(page: import('playwright-core').Page, msg: unknown): Promise<{ at: number; parseMs: number }> {
  const buffers: string[] = [];
  const text = JSON.stringify(msg, (_k, v) => {
    if (v instanceof Float64Array || v instanceof Uint32Array || v instanceof Int32Array || v instanceof Uint8Array) {
      buffers.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'));
      return { __typed: v.constructor.name, __buffer: buffers.length - 1 };
    }
    return v;
  });
  await page.evaluate(([t, bufs]) => {
    (window as any).__pending = t;
    (window as any).__pendingBuffers = (bufs as string[]).map((b) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0)).buffer);
  }, [text, buffers] as const);
  return page.evaluate(() => {
    const t0 = performance.now();
    const bufs = (window as any).__pendingBuffers as ArrayBuffer[];
    const ctors: Record<string, any> = { Float64Array, Uint32Array, Int32Array, Uint8Array };
    const m = JSON.parse((window as any).__pending, (_k, v) => (v && typeof v === 'object' && '__typed' in v ? new ctors[v.__typed](bufs[v.__buffer]) : v));
    const parseMs = performance.now() - t0;
    (window as any).__pending = undefined;
    (window as any).__pendingBuffers = undefined;
    window.postMessage(m, '*');
    return { at: performance.now(), parseMs };
  });
}

/** Bytes a message costs on the way: its JSON skeleton plus its binary buffers. */
function messageBytes(msg: unknown): number {
  let binary = 0;
  const text = JSON.stringify(msg, (_k, v) => {
    if (ArrayBuffer.isView(v)) {
      binary += v.byteLength;
      return 0;
    }
    return v;
  });
  return Buffer.byteLength(text) + binary;
}

/** Page time when `probe` first holds, checked every animation frame (so after a paint). */
async function pageTimeWhen(page: import('playwright-core').Page, probe: string, arg: unknown, timeoutMs = 120_000): Promise<number> {
  const h = await page.waitForFunction(
    ([src, a]) => (new Function('a', `return (${src})(a)`) as (x: unknown) => boolean)(a) && performance.now(),
    [probe, arg] as const,
    { timeout: timeoutMs, polling: 'raf' },
  );
  return (await h.jsonValue()) as number;
}

async function firstChart(store: RunStore, runIds: string[], naive: boolean): Promise<{ ms: number; bytes: number; hostMs: number; points: number; parseMs: number; pageMs: number }> {
  const h = await openWebview('compare', { width: 1200, height: 900 });
  try {
    const runs = runIds.map((id, i) => {
      const r = store.getRun(id);
      return {
        id, name: r.info.name, experimentId: r.info.experimentId, status: r.info.status, startTime: r.info.startTime, endTime: r.info.endTime,
        params: r.params, tags: {}, colorIndex: i,
        metrics: r.metrics.map((m) => ({ key: m.key, last: toWire(m.last), lastStep: m.lastStep, min: m.min, minStep: m.minStep, max: m.max, maxStep: m.maxStep, count: m.count })),
      };
    });
    await h.waitForPosted('ready');
    const feed = new SeriesFeed(store);
    // 1. init -> the app builds its charts and asks for the first series.
    const init = await deliver(h.page, { type: 'init', mode: 'panel', runs, metricKeys: KEYS, paramKeys: ['lr', 'seed'], sweepParams: [], live: false });
    const requestedAt = await pageTimeWhen(h.page, `() => (window.__posted || []).some((m) => m.type === 'requestSeries')`, null);
    const req = (await h.posted()).find((m) => m.type === 'requestSeries');
    // 2. the extension reads, downsamples and serialises (node clock).
    const hostStart = performance.now();
    const series = feed.answer(runIds, req.key, req.xAxis, naive ? Number.MAX_SAFE_INTEGER : req.buckets, null);
    const msg = { type: 'series', requestId: req.requestId, key: req.key, xAxis: req.xAxis, range: null, series };
    const bytes = messageBytes(msg);
    const hostMs = performance.now() - hostStart;
    const points = series.reduce((n, s) => n + s.steps.length, 0);
    // 3. the webview parses it and draws (page clock).
    const got = await deliver(h.page, msg);
    const drawnAt = await pageTimeWhen(
      h.page,
      `([key, n]) => { const c = window.__looplineCharts && window.__looplineCharts[key]; return !!c && c.data.datasets.reduce((a, d) => a + ((d.data && d.data.length) || 0), 0) >= n * 0.5; }`,
      [req.key, points],
    );
    const pageMs = requestedAt - init.at + (drawnAt - got.at);
    if (process.env.BENCH_VERBOSE) console.error(`init -> request ${(requestedAt - init.at).toFixed(0)} ms; series received -> drawn ${(drawnAt - got.at).toFixed(0)} ms`);
    return { ms: pageMs + hostMs + init.parseMs + got.parseMs, bytes, hostMs, points, parseMs: init.parseMs + got.parseMs, pageMs };
  } finally {
    await h.close();
  }
}

async function tableOpen(store: RunStore, experimentId: string): Promise<{ ms: number; queryMs: number; bytes: number; parseMs: number; pageMs: number }> {
  const h = await openWebview('table', { width: 1400, height: 900 });
  try {
    await h.waitForPosted('ready');
    const t0 = performance.now();
    const c = readExperimentColumns(store, experimentId);
    const wire = (xs: Array<number | null>) => xs.map((v) => (v === null ? null : toWire(v)));
    const msg = {
      type: 'init',
      experiment: { id: experimentId, name: 'short-runs' },
      data: {
        runIds: c.runIds, names: c.names, statuses: c.statuses, startTimes: c.startTimes, durations: c.durations,
        params: Object.fromEntries(c.params),
        metrics: Object.fromEntries([...c.metrics].map(([k, m]) => [k, { last: wire(m.last), min: wire(m.min), max: wire(m.max) }])),
      },
      paramKeys: [...c.params.keys()].sort(),
      metricKeys: [...c.metrics.keys()].sort(),
    };
    const bytes = Buffer.byteLength(JSON.stringify(msg));
    const queryMs = performance.now() - t0;
    const got = await deliver(h.page, msg);
    const shownAt = await pageTimeWhen(h.page, `(name) => { const g = document.querySelector('[role="grid"]'); return !!g && (g.textContent || '').includes(name); }`, c.names[0], 60_000);
    const pageMs = shownAt - got.at;
    return { ms: queryMs + got.parseMs + pageMs, queryMs, bytes, parseMs: got.parseMs, pageMs };
  } finally {
    await h.close();
  }
}

seed();
const store = RunStore.open(DB);
const long = store.getExperimentByName('long-runs');
const ids = store.searchRuns({ experimentIds: [long.id], orderBy: ['attributes.run_name ASC'] }).runs.map((r) => r.info.id);
const short = store.getExperimentByName('short-runs');
// Warm the page cache once so both variants read from memory.
await firstChart(store, ids, false);
const down = await firstChart(store, ids, false);
// Naive: every point. Ten runs of 1M points (~10M points, hundreds of MB of JSON) do not fit one
// webview message, so bytes are measured for all ten and the render for one run's full series.
const naiveAll = naiveBytes(store, ids, 'loss');
const naiveOne = await firstChart(store, ids.slice(0, 1), true);
await tableOpen(store, short.id);
const table = await tableOpen(store, short.id);
store.close();
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(2)} MB`;
const rows: string[][] = [
  ['first chart, downsampled (10 runs x 1M steps)', `${down.ms.toFixed(0)} ms`, `host ${down.hostMs.toFixed(0)} + parse ${down.parseMs.toFixed(0)} + page ${down.pageMs.toFixed(0)} ms; ${down.points.toLocaleString()} points, ${mb(down.bytes)}`, '< 300 ms', down.ms < 300 ? 'met' : 'missed'],
  ['naive full series, 10 runs: query + JSON only', `${naiveAll.ms.toFixed(0)} ms`, `${naiveAll.points.toLocaleString()} points, ${mb(naiveAll.bytes)}`, '', ''],
  ['naive full series, 1 run: first chart', `${naiveOne.ms.toFixed(0)} ms`, `host ${naiveOne.hostMs.toFixed(0)} + parse ${naiveOne.parseMs.toFixed(0)} + page ${naiveOne.pageMs.toFixed(0)} ms; ${naiveOne.points.toLocaleString()} points, ${mb(naiveOne.bytes)}`, '', ''],
  ['data sent, naive / downsampled (10 runs)', `${(naiveAll.bytes / down.bytes).toFixed(0)}x less`, '', '>= 20x', naiveAll.bytes / down.bytes >= 20 ? 'met' : 'missed'],
  ['time, naive 1 run / downsampled 10 runs', `${(naiveOne.ms / down.ms).toFixed(1)}x`, '', '', ''],
  [`experiment table open (${SHORT_RUNS.toLocaleString()} runs x 50 columns)`, `${table.ms.toFixed(0)} ms`, `query ${table.queryMs.toFixed(0)} + parse ${table.parseMs.toFixed(0)} + page ${table.pageMs.toFixed(0)} ms; ${mb(table.bytes)}`, '< 500 ms', table.ms < 500 ? 'met' : 'missed'],
];
const header = ['figure', 'value', 'detail', 'aim', ''];
const w = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(w[i]!)).join('  '));
