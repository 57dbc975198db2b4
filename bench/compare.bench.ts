// `npm run bench:compare`: comparison webviews at scale. Not a test: prints figures and ratios.
// Store: 10 runs x 3 metrics x 1,000,000 steps, plus an experiment of 10,000 short runs with 30
// params and 20 metrics each (built once, cached under LOOPLINE_CACHE). Measures, in one run:
//  - first chart for the 10 long runs, end to end on the page's clock: from the panel's script to
//    the first chart drawn with its data, in headless Chromium with the real compare app in its CSP
//    shell (Chromium's headless shell); this process answers as the extension does, with a new read
//    worker booted (as the extension boots it after the store opens) but nothing read yet on its
//    connection: the first chart read as the panel opens at the width the last page's charts had,
//    and sent with init when in by `ready` (the headline); then, as ratios from the same run, the
//    very first panel (read from `ready`), a panel wider than the last, and a read started only by
//    the chart's request; when chart.js has taken the chart over; then naive full series as the
//    baseline;
//  - experiment table for 10,000 runs and for 100,000 runs x 50 columns (own cached store): first
//    rows painted, every row streamed into the page, extension-host heap growth. The headline is
//    the FIRST (cold) open: a new read worker (the bundle the editor runs, booted, its connection
//    cold; the panel starts its read at creation, while its page loads) reads the first rows from SQLite, then the
//    table's columnar copy as an import left it and the 1% of runs changed since; the same open
//    with no copy at all (every value from SQLite) follows; a reopen, answered from the columns the
//    worker kept while the store is unchanged, is another line.
//    The rows stream with each metric's last value (the aggregate the table shows by default); its
//    min and max come when the user picks one: picking min after the open is timed (worker + page,
//    until every row shows it), and the same first open with min and max streamed with the rows,
//    as before they were sent on demand, follows in the same run (not a ratio: later first opens in
//    a run come faster).
//    The worker's part of a first open is also timed on this thread as read before and as read
//    now (CPU time, alternated, best of two): a ratio from the same run.
//    Then sort (script, then paint) and filter over all rows; the tree's first page of the
//    100,000-run experiment.
// LOOPLINE_BENCH_ONLY=chart|table runs one part; LOOPLINE_BENCH_SKIP_NAIVE=1 skips the naive baseline.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { cpus, homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../src/core/store/run-store.ts';
import { StoreReader } from '../src/core/store/store-reader.ts';
import { ExperimentColumns, mergeChunks, readExperimentChunk, sliceChunk } from '../src/core/series/experiment-columns.ts';
import { activeRunOrder } from '../src/core/store/experiment-queries.ts';
import { refreshTableCopy } from '../src/core/series/table-copy.ts';
import { snapshotFile } from '../src/core/series/table-snapshot.ts';
import { SeriesFeed } from '../src/extension/webviews/series-feed.ts';
import { toCompareInit } from '../src/extension/webviews/run-messages.ts';
import { SeriesPrefetch } from '../src/extension/webviews/series-prefetch.ts';
import type { CompareInit, FirstChartHint } from '../src/protocol/compare-protocol.ts';
import { openWebview } from '../test/webview/webview-harness.ts';
import { formatCount } from '../src/shared/display-format.ts';
import { TABLE_CHUNK_ROWS, TABLE_FIRST_ROWS, type ExtraAggregate } from '../src/protocol/table-protocol.ts';

const STEPS = 1_000_000;
const LONG_RUNS = 10;
const KEYS = ['loss', 'accuracy', 'lr'];
const SHORT_RUNS = 10_000;
// v4: seeded since metric points of large batches are stored in blocks (store migration 15).
const CACHE = join(process.env.LOOPLINE_CACHE ?? join(homedir(), '.cache', 'loopline'), 'bench-compare-v4');
const DB = join(CACHE, 'loopline.db');
const BIG_RUNS = 100_000;
const BIG_CACHE = join(process.env.LOOPLINE_CACHE ?? join(homedir(), '.cache', 'loopline'), 'bench-table-100k-v1');
const BIG_DB = join(BIG_CACHE, 'loopline.db');

/** An experiment of 100,000 runs x (30 params + 20 metrics), its own cached store. */
function seedBig(): void {
  if (existsSync(BIG_DB) || (process.env.LOOPLINE_BENCH_ONLY ?? '') === 'chart') return;
  const t0 = performance.now();
  rmSync(`${BIG_CACHE}.partial`, { recursive: true, force: true });
  mkdirSync(`${BIG_CACHE}.partial`, { recursive: true });
  const store = RunStore.open(join(`${BIG_CACHE}.partial`, 'loopline.db'));
  const exp = Number(store.ensureExperiment('big-sweep').id);
  // Plain SQL (recursive CTEs) rather than 100,000 API calls: the same rows (runs, params, metric
  // summaries) a tracked sweep leaves, seeded in seconds instead of minutes on a busy machine.
  store.db.transaction(() => {
    store.db.prepare(
      `WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n + 1 < ?)
       INSERT INTO runs (uuid, experiment_id, name, status, start_time, end_time, user_id)
       SELECT printf('%032x', 0xb16000000 + n), ?, 'trial-' || n, 'FINISHED', 1700000000000 + n * 1000, 1700000000000 + n * 1000 + 5000 + (n * 7919) % 3600000, 'bench' FROM i`,
    ).run(BIG_RUNS, exp);
    store.db.prepare(
      `WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n + 1 < 30)
       INSERT INTO params (run, key, value)
       SELECT r.pk, printf('p%02d', k.n), CAST(((r.pk * (k.n + 3)) % 97) AS TEXT) FROM runs r, k WHERE r.experiment_id = ? ORDER BY r.pk, k.n`,
    ).run(exp);
    store.db.prepare(
      `WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n + 1 < 20)
       INSERT INTO series (run, key, last_value, last_is_nan, last_step, last_timestamp, min_value, min_step, max_value, max_step, count)
       SELECT r.pk, printf('m%02d', k.n), sin(r.pk + k.n), 0, 10, r.start_time, sin(r.pk + k.n) - 0.5, 3, sin(r.pk + k.n) + 0.5, 7, 11
       FROM runs r, k WHERE r.experiment_id = ? ORDER BY r.pk, k.n`,
    ).run(exp);
  })();
  store.close();
  renameSync(`${BIG_CACHE}.partial`, BIG_CACHE);
  process.stderr.write(`seeded the 100k table store in ${((performance.now() - t0) / 1000).toFixed(0)} s (cached at ${BIG_CACHE})\n`);
}

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
    // Chromium's native decoder where it has one: the transfer is not the app's work.
    const fromBase64 = (Uint8Array as unknown as { fromBase64?: (b: string) => Uint8Array }).fromBase64;
    (window as any).__pendingBuffers = (bufs as string[]).map((b) => (fromBase64 ? fromBase64(b) : Uint8Array.from(atob(b), (c) => c.charCodeAt(0))).buffer);
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
async function pageTimeWhen<A extends string | null>(page: import('playwright-core').Page, probe: (a: A) => number | false, arg: A, timeoutMs = 120_000): Promise<number> {
  // `probe` is a function (sent as its source, run as is), never text to eval: the page's CSP forbids eval.
  const h = await page.waitForFunction(probe as (a: unknown) => number | false, arg as unknown, { timeout: timeoutMs, polling: 'raf' });
  return (await h.jsonValue()) as number;
}

const chartReader = new StoreReader(DB);
/** The last page's first-chart hint, as the panel's memory keeps it (globalState in the editor). */
let lastHint: FirstChartHint | undefined;
const reads = chartReader.channel();

interface FirstChart {
  /** Page clock: the panel's script arrived -> the first chart drawn with its data (the headline). */
  ms: number;
  /** Page clock: the panel's script arrived -> chart.js has taken the chart over (hover, zoom). */
  chartJsMs: number;
  /** Node clock: how long before `ready` the read made as the panel opened was in (negative: it came after). */
  readSlackMs: number;
  /** The parts, page clock: script run until `ready`; ready -> init delivered (the host's answer); init -> first request; request -> series delivered; series -> drawn. */
  scriptMs: number;
  readyToInitMs: number;
  initToRequestMs: number;
  requestToSeriesMs: number;
  seriesToDrawnMs: number;
  /** Node clock: building `init` from the store; the series read (worker) + message, from the read's start. */
  hostInitMs: number;
  hostMs: number;
  /** The read had started before the chart asked (as the panel opened, or with `ready`). */
  prefetched: boolean;
  /** The series came with init (read as the panel opened, at the remembered width). */
  withInit: boolean;
  /** init was posted as the panel opened (delivered at the page's load), not in answer to `ready`. */
  pushed: boolean;
  /** Page clock: the panel's script arrived -> init delivered. */
  scriptToInitMs: number;
  /** Node clock: `ready` received -> init (with the series, when in) built and serialised. */
  readyToPostedMs: number;
  bytes: number;
  points: number;
}

/**
 * `deliver` in one step, for the end-to-end chart figure: the transfer, the revival and the dispatch
 * in one page task, as a message arriving while the page is busy would wait once, not twice.
 * `drawnKey`: also watch, at every animation frame (before its paint, as Playwright's raf polling
 * did, without its injected script in the page's busiest moment), for that chart's first data
 * drawn; its page time is then `window.__looplineDrawnAt`.
 */
async function deliverAtOnce(page: import('playwright-core').Page, msg: unknown, drawnKey?: string): Promise<{ at: number }> {
  return deliverSerialised(page, serialiseForPage(msg), drawnKey);
}

/** A message as VS Code sends it on to the page: JSON text plus its binary buffers. */
function serialiseForPage(msg: unknown): { text: string; buffers: string[] } {
  const buffers: string[] = [];
  const text = JSON.stringify(msg, (_k, v) => {
    if (v instanceof Float64Array) {
      buffers.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'));
      return { __f64: buffers.length - 1 };
    }
    return v;
  });
  return { text, buffers };
}

async function deliverSerialised(page: import('playwright-core').Page, { text, buffers }: { text: string; buffers: string[] }, drawnKey?: string): Promise<{ at: number }> {
  return page.evaluate(
    ([t, b64, key]) => {
      const fromBase64 = (Uint8Array as unknown as { fromBase64?: (b: string) => Uint8Array }).fromBase64;
      const bufs = (b64 as string[]).map((b) => (fromBase64 ? fromBase64(b) : Uint8Array.from(atob(b), (c) => c.charCodeAt(0))).buffer);
      const m = JSON.parse(t as string, (_k, v) => (v && typeof v === 'object' && '__f64' in v ? new Float64Array(bufs[v.__f64]!) : v));
      const watch = () => {
        if (!key) return;
        const drawn = () => {
          // The chart card says when its data was first drawn (by chart.js, or first by the quick paint).
          const card = document.querySelector(`.chart-card[data-metric="${CSS.escape(key as string)}"]`) as HTMLElement | null;
          if (card?.dataset.drawn === 'true') {
            (window as any).__looplineDrawnAt ??= performance.now();
            // Then chart.js's own drawing of it (hover, zoom): when it has taken the chart over.
            if ((window as any).__looplineCharts?.[key as string]) (window as any).__looplineChartJsAt = performance.now();
            else requestAnimationFrame(drawn);
          } else requestAnimationFrame(drawn);
        };
        requestAnimationFrame(drawn);
      };
      // As VS Code: a page that has not loaded yet gets the message at its load event.
      const w = window as any;
      if (w.__looplineHeld && !w.__looplineLoaded) {
        return new Promise<{ at: number }>((resolve) =>
          w.__looplineHeld.push([
            m,
            (at: number) => {
              watch();
              resolve({ at });
            },
          ]),
        );
      }
      window.postMessage(m, '*');
      watch();
      return { at: performance.now() };
    },
    [text, buffers, drawnKey ?? null] as const,
  );
}

/**
 * The first chart as the user meets it, end to end on the page's clock: from the arrival of the
 * panel's script (its compile and run included) to the first chart drawn with its data. This
 * process plays the extension as CompareSession does, from the moment the page starts loading (as
 * the panel is created): the read worker boots and `init` is read from the store; with
 * `remembered` (the last page's widths, as the panel's memory keeps them) the first chart is read
 * at once. `init` is posted as soon as that read is in (with it), or at once without a memory,
 * and reaches the page as VS Code delivers what is posted before a page has loaded: at its `load`
 * event. If the page says `ready` first, init answers it. A page not as wide as the remembered one
 * asks for its chart; that read starts with `ready` (its width hint) and the request takes it
 * (`readAhead` false: only when the chart asks). Messages leave the page as they are posted (a
 * binding, as VS Code's postMessage) and reach it as VS Code delivers them (JSON text plus binary
 * buffers), so page work that overlaps the host's read is neither counted twice nor hidden.
 *
 * `reader`: a new read worker for this chart, as on a first open in the editor: booted (the
 * extension boots a store's read worker 2 s after opening the store) but its SQLite connection has
 * read nothing yet (cold), so only the OS page cache is warm. Without it, the shared reader
 * (already warm) is used.
 */
async function firstChart(store: RunStore, runIds: string[], naive: boolean, reader?: StoreReader, readAhead = true, remembered?: FirstChartHint): Promise<FirstChart> {
  const channel = reader?.channel() ?? reads;
  const feed = new SeriesFeed(store);
  const t = { readyAt: 0, initAt: 0, requestAt: 0, seriesAt: 0, hostInitMs: 0, hostMs: 0, bytes: 0, points: 0, key: '', prefetched: false, withInit: false, readStart: 0, readyToPostedMs: 0, readDoneAt: 0, readyHostAt: 0, pushed: false };
  const prefetch = new SeriesPrefetch();
  let answered!: () => void;
  let failed!: (err: unknown) => void;
  const seriesDelivered = new Promise<void>((resolve, reject) => ((answered = resolve), (failed = reject)));
  let requested = false;
  /** Settles when the series the chart asked for (not the one init brought) was delivered. */
  let requestDone: Promise<void> | undefined;
  let init!: CompareInit;
  let ready = false;
  let pushedInit: CompareInit | null = null;
  // What is posted as the panel opens goes into the page once its document exists (and waits there
  // for its load event, as VS Code holds it).
  let docPage: import('playwright-core').Page | null = null;
  const beforeDocument: Array<(page: import('playwright-core').Page) => void> = [];
  const whenDocument = (deliver: (page: import('playwright-core').Page) => void) => (docPage ? deliver(docPage) : beforeDocument.push(deliver));
  /** init (with the series when in) was delivered: the series part of the wait is over. */
  const initDelivered = (message: CompareInit, at: number) => {
    t.initAt = at;
    const withSeries = message.firstSeries;
    if (!withSeries) return;
    t.withInit = true;
    t.prefetched = true;
    t.requestAt = t.initAt;
    t.seriesAt = t.initAt;
    t.key = withSeries.key;
    t.bytes = messageBytes(message);
    t.points = withSeries.series.reduce((n, s) => n + s.steps.length, 0);
    answered();
  };
  // As CompareSession as the panel opens: init goes out at once, or, with the panel's memory, once
  // the first chart's read (started at once) is in, with it; unless the page said `ready` first.
  const pushInit = (hint: FirstChartHint | undefined) => {
    if (ready) return;
    ready = true;
    t.pushed = true;
    const h1 = performance.now();
    const { message, then } = prefetch.initWithFirstChart(feed, channel, runIds, init, hint);
    pushedInit = message;
    const serialised = serialiseForPage(message);
    t.readyToPostedMs = performance.now() - h1;
    then();
    whenDocument((page) => void deliverSerialised(page, serialised, message.firstSeries?.key).then((d) => initDelivered(message, d.at), failed));
  };
  // As CompareSession when the panel is created, as its page starts loading: init is read from the
  // store, and with the panel's memory the first chart is read at once.
  await reader?.warm();
  const panelCreated = () => {
    const h0 = performance.now();
    init = { ...toCompareInit(runIds.map((id) => store.getRun(id)), 'panel'), initId: 1 };
    t.hostInitMs = performance.now() - h0;
    if (naive) return;
    if (remembered && readAhead) {
      t.readStart = performance.now();
      prefetch.startEarly(feed, channel, runIds, init, remembered);
      void prefetch.current
        ?.then(() => {
          t.readDoneAt = performance.now();
          t.hostMs = t.readDoneAt - t.readStart;
        })
        .catch(() => undefined)
        .then(() => pushInit(remembered));
    } else pushInit(undefined);
  };
  const documentStarted = (page: import('playwright-core').Page) => {
    docPage = page;
    for (const deliver of beforeDocument.splice(0)) deliver(page);
  };
  const host = async (m: any, page: import('playwright-core').Page, postedAt: number): Promise<void> => {
    if (m.type === 'ready') {
      t.readyAt = postedAt;
      t.readyHostAt = performance.now();
      lastHint = m.firstChart;
      if (pushedInit) {
        // As CompareSession: init went out as the panel opened; check the page has it, and read the
        // first chart now if the page is wider or narrower than the last.
        const pushed = pushedInit;
        pushedInit = null;
        void deliverAtOnce(page, { type: 'initCheck', initId: pushed.initId, page: m.page }).catch(failed);
        if (readAhead) {
          const early = prefetch.current;
          prefetch.readFirstChart(feed, channel, runIds, pushed, m.firstChart);
          if (prefetch.current && prefetch.current !== early) t.readStart = performance.now();
        }
        return;
      }
      ready = true;
      const h1 = performance.now();
      // As CompareSession.sendInit: init with the first chart's series when it is in, else the read
      // starts now that the page said how wide its charts are (after init is posted).
      const early = prefetch.current;
      const { message, then } = prefetch.initWithFirstChart(feed, channel, runIds, init, !naive && readAhead ? m.firstChart : undefined);
      const delivered = deliverAtOnce(page, message, message.firstSeries?.key);
      t.readyToPostedMs = performance.now() - h1;
      then();
      if (prefetch.current && prefetch.current !== early) t.readStart = performance.now();
      initDelivered(message, (await delivered).at);
    } else if (m.type === 'requestSeries' && !requested && !(t.withInit && m.key !== t.key)) {
      // init's series, if any, was for another width: the chart asked for its own.
      t.withInit = false;
      requested = true;
      let done!: () => void;
      requestDone = new Promise<void>((r) => (done = r));
      t.requestAt = postedAt;
      t.key = m.key;
      // The extension reads, downsamples and serialises (node clock): in the store's read worker
      // as the compare panel does (naive: every point, on this thread).
      const ahead = prefetch.take(feed, m);
      t.prefetched = ahead !== undefined;
      if (!ahead) t.readStart = performance.now();
      const series = naive ? feed.answer(runIds, m.key, m.xAxis, Number.MAX_SAFE_INTEGER, null) : await (ahead ?? feed.answerOffThread(channel, runIds, m.key, m.xAxis, m.buckets, null));
      const msg = { type: 'series', requestId: m.requestId, key: m.key, xAxis: m.xAxis, range: null, series };
      t.hostMs = performance.now() - t.readStart;
      t.bytes = messageBytes(msg);
      t.points = series.reduce((n, s) => n + s.steps.length, 0);
      t.seriesAt = (await deliverAtOnce(page, msg, m.key)).at;
      done();
      answered();
    }
  };
  const h = await openWebview('compare', { width: 1200, height: 900, onLoad: panelCreated, onDocumentStart: documentStarted, onPost: (m, page, at) => void host(m, page, at).catch(failed) });
  try {
    await seriesDelivered;
    // The page's clock when the chart with its data was first on a frame (see deliverAtOnce). Read
    // with plain evaluations (not waitForFunction, whose injected script would run in the page
    // right when it is drawing).
    let drawnAt: number | undefined;
    for (const until = Date.now() + 120_000; drawnAt === undefined && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 25));
      drawnAt = await h.page.evaluate(() => (window as any).__looplineDrawnAt as number | undefined);
    }
    if (drawnAt === undefined) throw new Error('the first chart was not drawn within 2 minutes');
    await requestDone;
    let chartJsAt: number | undefined;
    for (const until = Date.now() + 120_000; chartJsAt === undefined && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 25));
      chartJsAt = await h.page.evaluate(() => (window as any).__looplineChartJsAt as number | undefined);
    }
    // The panel's script: its bytes arrived (then it compiles and runs).
    const scriptAt = await h.page.evaluate(() => (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).find((e) => /\/webview\/compare\.js$/.test(e.name))!.responseEnd);
    const r: FirstChart = {
      ms: drawnAt - scriptAt,
      chartJsMs: (chartJsAt ?? NaN) - scriptAt,
      readSlackMs: t.readDoneAt ? t.readyHostAt - t.readDoneAt : NaN,
      scriptMs: t.readyAt - scriptAt,
      readyToInitMs: t.initAt - t.readyAt,
      initToRequestMs: t.requestAt - t.initAt,
      requestToSeriesMs: t.seriesAt - t.requestAt,
      seriesToDrawnMs: drawnAt - t.seriesAt,
      hostInitMs: t.hostInitMs,
      hostMs: t.hostMs,
      prefetched: t.prefetched,
      withInit: t.withInit,
      pushed: t.pushed,
      scriptToInitMs: t.initAt - scriptAt,
      readyToPostedMs: t.readyToPostedMs,
      bytes: t.bytes,
      points: t.points,
    };
    if (process.env.BENCH_VERBOSE) {
      console.error(
        `first chart ${r.ms.toFixed(0)} ms (page clock): ${t.pushed ? `init posted as the panel opened, delivered at script + ${r.scriptToInitMs.toFixed(0)} | ` : ''}script ${r.scriptMs.toFixed(0)} | ready -> init ${r.readyToInitMs.toFixed(0)} | init -> request ${r.initToRequestMs.toFixed(0)} | request -> series ${r.requestToSeriesMs.toFixed(0)} (host read ${r.hostMs.toFixed(0)}${r.withInit ? ', as the panel opened, sent with init' : r.prefetched ? ', started before the request' : ''}) | series -> drawn ${r.seriesToDrawnMs.toFixed(0)} ms`,
      );
    }
    return r;
  } finally {
    if (channel !== reads) channel.dispose();
    await h.close();
  }
}

/**
 * Opens the experiment table the way the panel does: the store's read worker streams the runs
 * (first rows, then chunks), each chunk is delivered to the real table app as VS Code would
 * (binary buffers). Times: to the first rows painted, and to every row in the page. Then a sort
 * (click to sorted rows painted) and a filter (worker + page) over all rows. Memory: the extension
 * host's main-thread heap growth while reading (the worker's heap is reported apart).
 */
async function tableOpen(
  reader: StoreReader,
  experimentId: string,
  name: string,
  filter: string,
  opts: { aggregates?: ExtraAggregate[]; pickMin?: boolean } = {},
): Promise<{ firstMs: number; allMs: number; hostFirstMs: number; hostAllMs: number; pageAllMs: number; bytes: number; pick: { ms: number; hostMs: number; pageMs: number; bytes: number } | null; sortMs: number; sortScriptMs: number; sortShownMs: number; filterMs: number; filterShownMs: number; filterHostMs: number; heapMb: number; rssMb: number; rows: number }> {
  // The worker is booted (the extension boots it 2 s after the store opens) but its connection has
  // read nothing; the panel starts its read when it is created, while its page loads.
  await reader.warm();
  const h = await openWebview('table', { width: 1400, height: 900 });
  const table = reader.channel();
  const filters = reader.channel();
  try {
    await h.waitForPosted('ready');
    globalThis.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    let heapPeak = heap0;
    let rssPeak = process.memoryUsage().rss;
    let bytes = 0;
    let hostFirstMs = 0;
    const msgs: unknown[] = [];
    let firstRow = '';
    let total = 0;
    // 1. The worker streams the table (node clock): time to the first chunk and to the last.
    const t0 = performance.now();
    await table.openTable(
      experimentId,
      (n, rows, done) => {
        total = n;
        if (msgs.length === 0) {
          hostFirstMs = performance.now() - t0;
          firstRow = rows.names.text.slice(0, rows.names.ends[0] ?? 0);
        }
        const msg = msgs.length === 0 ? { type: 'init', experiment: { id: experimentId, name }, version: 1, total: n, rows, done } : { type: 'rows', rows, done };
        msgs.push(msg);
        const m = process.memoryUsage();
        heapPeak = Math.max(heapPeak, m.heapUsed);
        rssPeak = Math.max(rssPeak, m.rss);
      },
      { firstRows: TABLE_FIRST_ROWS, chunkRows: TABLE_CHUNK_ROWS, tag: 1, ...(opts.aggregates ? { aggregates: opts.aggregates } : {}) },
    );
    const hostAllMs = performance.now() - t0;
    // Counted once the stream is timed: serialising 66 MB here is the bench's work, not the editor's,
    // and on two cores it would slow the worker it measures.
    for (const m of msgs) bytes += messageBytes(m);
    // 2. The page: the first message, until its rows are painted.
    const got = await deliver(h.page, msgs[0]);
    const shownAt = await pageTimeWhen(
      h.page,
      (name) => {
        const g = document.querySelector('[role="grid"]');
        return !!g && (g.textContent || '').includes(name) && performance.now();
      },
      firstRow,
      60_000,
    );
    const firstMs = hostFirstMs + got.parseMs + (shownAt - got.at);
    // 3. The rest, one message per task as they would arrive; page time (revival included) until all rows are in.
    let pageAllMs = shownAt - got.at + got.parseMs;
    let parseAllMs = got.parseMs;
    for (const m of msgs.slice(1)) {
      const d = await deliver(h.page, m);
      const doneAt = await h.page.evaluate(() => new Promise<number>((r) => setTimeout(() => r(performance.now()), 0)));
      pageAllMs += d.parseMs + (doneAt - d.at);
      parseAllMs += d.parseMs;
    }
    if (process.env.BENCH_VERBOSE) console.error(`${name}: page total ${pageAllMs.toFixed(0)} ms, of which parse (the bench's stand-in for VS Code's message transport) ${parseAllMs.toFixed(0)} ms`);
    const allAt = await pageTimeWhen(h.page, (text) => (document.querySelector('.status-line')?.textContent || '') === text && performance.now(), `${formatCount(total)} runs`, 120_000);
    void allAt;
    // Every row in the page: the worker's streaming plus the page's handling of each chunk (an upper
    // bound: in the editor the page takes a chunk while the worker reads the next).
    const allMs = hostAllMs + pageAllMs;
    // The user picks min for every metric column after the open: the page asks, the worker answers
    // from the columns it holds, the page takes every row of it (worker + page, summed as above).
    let pick: { ms: number; hostMs: number; pageMs: number; bytes: number } | null = null;
    if (opts.pickMin) {
      await h.page.evaluate(() => ((window as any).__posted = []));
      await h.page.locator('.aggregate-switch [data-aggregate="min"]').click();
      const asked = await h.waitForPosted('aggregate');
      const aggs = reader.channel();
      const answers: unknown[] = [];
      const p0 = performance.now();
      await aggs.tableAggregate(table, experimentId, asked.version, asked.aggregate, (_n, rows, done) => answers.push({ type: 'aggregateRows', version: asked.version, aggregate: asked.aggregate, rows, done }), TABLE_CHUNK_ROWS);
      const hostMs = performance.now() - p0;
      aggs.dispose();
      let pageMs = 0;
      for (const m of answers) {
        const d = await deliver(h.page, m);
        const doneAt = await h.page.evaluate(() => new Promise<number>((r) => setTimeout(() => r(performance.now()), 0)));
        pageMs += d.parseMs + (doneAt - d.at);
      }
      const shownAt = await pageTimeWhen(h.page, () => !/loading/.test(document.querySelector('.status-line')?.textContent || 'loading') && performance.now(), null);
      void shownAt;
      pick = { ms: hostMs + pageMs, hostMs, pageMs, bytes: answers.reduce<number>((b, m) => b + messageBytes(m), 0) };
      // Back to the last values, so the sort below is the same as in the other opens.
      await h.page.locator('.aggregate-switch [data-aggregate="last"]').click();
    }
    // Sort by a metric column over every row.
    // The click handler orders the rows and updates the grid synchronously; the paint follows.
    // Also the end of the frame that shows it (a task queued from that frame's animation callback
    // runs once the frame is drawn): the poll below may see the rows before that frame.
    const { sortStart, sortScriptEnd } = await h.page.evaluate(() => {
      const b = document.querySelector<HTMLButtonElement>('[data-column-id^="metrics."] .sort-button')!;
      (window as any).__firstBefore = document.querySelector('.grid-body [role=row][aria-rowindex="2"]')?.textContent;
      (window as any).__shownAt = 0;
      const t = performance.now();
      requestAnimationFrame(() => setTimeout(() => ((window as any).__shownAt = performance.now()), 0));
      b.click();
      return { sortStart: t, sortScriptEnd: performance.now() };
    });
    const sortedAt = await pageTimeWhen(
      h.page,
      () => document.querySelector('[data-column-id^="metrics."]')?.getAttribute('aria-sort') === 'ascending' && document.querySelector('.grid-body [role=row][aria-rowindex="2"]')?.textContent !== (window as any).__firstBefore && performance.now(),
      null,
    );
    const frameShownAt = async () => {
      await h.page.waitForFunction(() => (window as any).__shownAt > 0, null, { timeout: 120_000, polling: 'raf' });
      return h.page.evaluate(() => (window as any).__shownAt as number);
    };
    const sortShownAt = await frameShownAt();
    // A filter: evaluated in the worker, applied in the page.
    const f0 = performance.now();
    const matched = await filters.filterTable(table, experimentId, filter);
    const filterHostMs = performance.now() - f0;
    await h.page.evaluate(() => ((window as any).__posted = []));
    await h.page.locator('.filter-field input').fill(filter);
    const req = await h.waitForPosted('filter');
    // The first frame after the app handled the answer. Its animation callback is asked for before
    // the answer is delivered (and again each frame until then), so it runs before any the app asks
    // for while handling it, and so does its task after that frame: work the app leaves for after
    // the frame is not counted, as for the sort above.
    await h.page.evaluate(() => {
      const w = window as any;
      w.__shownAt = 0;
      w.__handled = false;
      window.addEventListener('message', () => (w.__handled = true), { once: true });
      const frame = () => (w.__handled ? setTimeout(() => (w.__shownAt = performance.now()), 0) : requestAnimationFrame(frame));
      requestAnimationFrame(frame);
    });
    const fd = await deliver(h.page, { type: 'filterResult', requestId: req.requestId, rows: matched, error: null });
    const filteredAt = await pageTimeWhen(h.page, () => /match the filter/.test(document.querySelector('.status-line')?.textContent ?? '') && performance.now(), null);
    const filterShownAt = await frameShownAt();
    return {
      firstMs,
      allMs,
      hostFirstMs,
      hostAllMs,
      pageAllMs,
      bytes,
      pick,
      sortMs: sortedAt - sortStart,
      sortScriptMs: sortScriptEnd - sortStart,
      sortShownMs: sortShownAt - sortStart,
      filterMs: filterHostMs + fd.parseMs + (filteredAt - fd.at),
      filterShownMs: filterHostMs + fd.parseMs + (filterShownAt - fd.at),
      filterHostMs,
      heapMb: (heapPeak - heap0) / 1024 / 1024,
      rssMb: rssPeak / 1024 / 1024,
      rows: total,
    };
  } finally {
    table.dispose();
    filters.dispose();
    await h.close();
  }
}

/**
 * The worker's part of a first open, on this thread, the way it was read before (a chunk of runs at
 * a time into chunk objects, merged into the kept table at the end) and the way it is read now
 * (straight into whole-table columns, chunks sliced off). Alternated, best of `rounds` each, CPU
 * time of this thread: a ratio measured in the same run.
 */
function coldReadAB(db: string, experimentId: string, rounds: number): { beforeMs: number; nowMs: number } {
  const store = RunStore.open(db, { readonly: true });
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let beforeMs = Infinity;
  let nowMs = Infinity;
  try {
    for (let i = 0; i < rounds; i++) {
      let c = cpu();
      const order = activeRunOrder(store, experimentId);
      const chunks = [];
      for (let o = 0; o < order.length; o += o === 0 ? 500 : 10_000) chunks.push(readExperimentChunk(store, order.slice(o, o === 0 ? 500 : o + 10_000), o));
      mergeChunks(chunks);
      beforeMs = Math.min(beforeMs, cpu() - c);
      c = cpu();
      const cols = new ExperimentColumns(activeRunOrder(store, experimentId));
      for (let size = 500; cols.read < cols.order.length; size = 10_000) {
        const from = cols.read;
        cols.readNext(store, size);
        sliceChunk(cols.all(), from, cols.read);
      }
      nowMs = Math.min(nowMs, cpu() - c);
    }
  } finally {
    store.close();
  }
  return { beforeMs, nowMs };
}

/** The tree's first page of an experiment (the query the Experiments view runs when it is expanded). */
function treeExpand(store: RunStore, experimentId: string): number {
  const t0 = performance.now();
  store.searchRuns({ experimentIds: [experimentId], maxResults: 200 });
  return performance.now() - t0;
}

const ONLY = process.env.LOOPLINE_BENCH_ONLY ?? '';
seed();
seedBig();
const store = RunStore.open(DB);
const long = store.getExperimentByName('long-runs');
const ids = store.searchRuns({ experimentIds: [long.id], orderBy: ['attributes.run_name ASC'] }).runs.map((r) => r.info.id);
const short = store.getExperimentByName('short-runs');
const out: string[][] = [];
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(2)} MB`;
if (ONLY === '' || ONLY === 'chart') {
  // Warm the OS page cache once so every variant reads from memory; the measured charts then read
  // through a new worker from the bundle the editor runs (cold connection, booted as the panel
  // opens). This first open's page also leaves its charts' widths in the panel's memory (lastHint).
  await firstChart(store, ids, false);
  const openChart = async (readAhead: boolean, remembered?: FirstChartHint) => {
    const reader = new StoreReader(DB, new URL('../dist/read-worker.cjs', import.meta.url));
    try {
      return await firstChart(store, ids, false, reader, readAhead, remembered);
    } finally {
      await reader.close();
    }
  };
  // The headline: a panel opened as the editor opens one after any earlier panel (in this window
  // or an earlier one): the first chart is read as the panel opens, at the remembered width.
  const down = await openChart(true, lastHint);
  // The very first panel (nothing remembered): the read starts with `ready`.
  const firstEver = await openChart(true);
  // The panel is wider than the last one: the read made as it opened is for another width; it is
  // dropped (the worker reads one thing at a time) and the read starts again with `ready`.
  const resized = await openChart(true, lastHint ? { ...lastHint, widths: lastHint.widths.map((w) => w - 60) } : undefined);
  // The read started only by the chart's request (a zoomed first chart): chart.js is set up meanwhile.
  const onRequest = await openChart(false);
  const parts = (r: FirstChart) => {
    const initPart = r.pushed ? `script -> init ${r.scriptToInitMs.toFixed(0)} (posted as the panel opened, delivered at the page's load; ready at ${r.scriptMs.toFixed(0)})` : `script ${r.scriptMs.toFixed(0)}, ready -> init ${r.readyToInitMs.toFixed(0)}`;
    return r.withInit ? `${initPart} with the series, init -> drawn ${r.seriesToDrawnMs.toFixed(0)} ms` : `${initPart}, init -> request ${r.initToRequestMs.toFixed(0)}, request -> series ${r.requestToSeriesMs.toFixed(0)}, series -> drawn ${r.seriesToDrawnMs.toFixed(0)} ms`;
  };
  out.push(['first chart, downsampled (10 runs x 1M steps)', `${down.ms.toFixed(0)} ms`, `page clock, the panel's script -> drawn: ${parts(down)}; ${down.points.toLocaleString()} points, ${mb(down.bytes)}; ${down.withInit ? `the read was in ${down.readSlackMs.toFixed(0)} ms before ready` : 'the read was not in with init'}`, '< 150 ms', down.ms < 150 ? 'met' : 'missed']);
  out.push(['  chart.js has taken it over (hover, zoom)', `${down.chartJsMs.toFixed(0)} ms`, `page clock, the panel's script -> chart.js's instance drawn; the very first panel: ${firstEver.chartJsMs.toFixed(0)} ms`, '', '']);
  out.push(['  the very first panel (no width remembered)', `${firstEver.ms.toFixed(0)} ms`, `${(firstEver.ms / down.ms).toFixed(2)}x; read from ready: ${parts(firstEver)}`, '', '']);
  out.push(['  wider than the last panel', `${resized.ms.toFixed(0)} ms`, `${(resized.ms / down.ms).toFixed(2)}x; the read made as it opened dropped, read again from ready: ${parts(resized)}`, '', '']);
  out.push(['  read only when the chart asks', `${onRequest.ms.toFixed(0)} ms`, `${(onRequest.ms / down.ms).toFixed(2)}x; ${parts(onRequest)} `, '', '']);
  // The host's part of the wait: with the series in by ready, building and serialising init with
  // it; otherwise the read (from its start) and its message.
  const hostPath = down.withInit ? down.readyToPostedMs : down.hostMs;
  out.push(['  host side of it', `${hostPath.toFixed(1)} ms`, `${down.withInit ? `init with the series built and serialised${down.pushed ? ' (as the read came in)' : ' (at ready)'}; the read itself (a new worker, as the panel opened) took` : 'read + downsample in a new read worker + message:'} ${down.hostMs.toFixed(0)} ms; the very first panel's read, from ready: ${firstEver.hostMs.toFixed(0)} ms (init, read as the panel opens: ${down.hostInitMs.toFixed(0)} ms)`, '< 30 ms', hostPath < 30 ? 'met' : 'missed']);
  if (!process.env.LOOPLINE_BENCH_SKIP_NAIVE) {
    // Naive: every point. Ten runs of 1M points do not fit one webview message, so bytes are
    // measured for all ten and the render for one run's full series.
    const naiveAll = naiveBytes(store, ids, 'loss');
    const naiveOne = await firstChart(store, ids.slice(0, 1), true);
    out.push(['naive full series, 10 runs: query + message only', `${naiveAll.ms.toFixed(0)} ms`, `${naiveAll.points.toLocaleString()} points, ${mb(naiveAll.bytes)}`, '', '']);
    out.push(['naive full series, 1 run: first chart', `${naiveOne.ms.toFixed(0)} ms`, `page clock; host ${naiveOne.hostMs.toFixed(0)} ms; ${naiveOne.points.toLocaleString()} points, ${mb(naiveOne.bytes)}`, '', '']);
    out.push(['data sent, naive / downsampled (10 runs)', `${(naiveAll.bytes / down.bytes).toFixed(0)}x less`, '', '>= 20x', naiveAll.bytes / down.bytes >= 20 ? 'met' : 'missed']);
    out.push(['time, naive 1 run / downsampled 10 runs', `${(naiveOne.ms / down.ms).toFixed(1)}x`, '', '', '']);
  }
}
if (ONLY === '' || ONLY === 'table') {
  // One unmeasured page first: the run's first Chromium launch also reads its files into the OS
  // cache and starts its helper processes, which would weigh on whichever open came first.
  await (await openWebview('table', { width: 1400, height: 900 })).close();
  const tables: Array<[string, string, string, number, number]> = [
    [DB, short.id, `${SHORT_RUNS.toLocaleString()} runs x 50 columns`, 300, 0],
    [BIG_DB, RunStore.open(BIG_DB, { readonly: true }).getExperimentByName('big-sweep').id, `${BIG_RUNS.toLocaleString()} runs x 50 columns`, 0, 1500],
  ];
  for (const [db, expId, label, firstAim, allAim] of tables) {
    // One worker per store, as in the editor, started from the bundle the editor runs: the first
    // open starts it and reads SQLite (cold: the headline); the second is a reopen of the unchanged
    // store, answered from the columns the worker kept (warm).
    // The state a user meets: the table's columnar copy as the last bulk write left it (an import
    // keeps it: refreshTableCopy), then 1% of the runs changed since (a sweep still logging).
    const writer = RunStore.open(db);
    const c0 = performance.now();
    const kept = refreshTableCopy(writer, expId)!;
    const keepMs = performance.now() - c0;
    const changed = Math.round(kept.rows / 100);
    writer.db
      .prepare("UPDATE series SET last_value = last_value WHERE key = 'm00' AND run IN (SELECT pk FROM runs WHERE experiment_id = ? ORDER BY random() LIMIT ?)")
      .run(Number(expId), changed);
    writer.close();
    const reader = new StoreReader(db, new URL('../dist/read-worker.cjs', import.meta.url));
    const cold = await tableOpen(reader, expId, label, 'metrics.m00 > 0.5', { pickMin: true });
    const t = await tableOpen(reader, expId, label, 'metrics.m00 > 0.5 and params.p01 < 40');
    await reader.close();
    // The same first open with every metric's min and max streamed with the rows, as the table did
    // before they were sent on demand (the copy is as the first open found it: 1% out of date is
    // not worth rewriting, so this worker reads the same).
    const withAggs = new StoreReader(db, new URL('../dist/read-worker.cjs', import.meta.url));
    const before = await tableOpen(withAggs, expId, label, 'metrics.m00 > 0.5', { aggregates: ['min', 'max'] });
    await withAggs.close();
    // And with no copy at all (a store written by a tool that keeps none): every value from SQLite.
    rmSync(snapshotFile(db, expId), { force: true });
    const bare = new StoreReader(db, new URL('../dist/read-worker.cjs', import.meta.url));
    const none = await tableOpen(bare, expId, label, 'metrics.m00 > 0.5');
    await bare.close();
    const aim = (ms: number, limit: number) => (limit ? [`< ${limit} ms`, ms < limit ? 'met' : 'missed'] : ['', '']);
    out.push([`experiment table, ${label}: first open, first rows`, `${cold.firstMs.toFixed(0)} ms`, `worker ${cold.hostFirstMs.toFixed(0)} ms to the first ${TABLE_FIRST_ROWS} rows (its worker booted, its connection cold), then parse + paint; ${changed.toLocaleString()} runs changed since the copy`, ...aim(cold.firstMs, firstAim)]);
    out.push([`experiment table, ${label}: first open, every row in the page`, `${cold.allMs.toFixed(0)} ms`, `worker ${cold.hostAllMs.toFixed(0)} + page ${cold.pageAllMs.toFixed(0)} ms; ${cold.rows.toLocaleString()} rows, ${mb(cold.bytes)} sent`, ...aim(cold.allMs, allAim)]);
    // Not a ratio of the change: it opens after the headline, and a run's later first opens come
    // faster whatever they send (measured: the 10,000-run table too). Alternated runs of the
    // worker and the page alone are what compares the two.
    out.push([`  the same with min and max streamed too (as before)`, `${before.allMs.toFixed(0)} ms`, `worker ${before.hostAllMs.toFixed(0)} + page ${before.pageAllMs.toFixed(0)} ms; ${mb(before.bytes)} sent; first rows ${before.firstMs.toFixed(0)} ms; opened after the headline (later opens in a run come faster)`, '', '']);
    if (cold.pick) out.push([`  then picking min: every row shows it`, `${cold.pick.ms.toFixed(0)} ms`, `worker ${cold.pick.hostMs.toFixed(0)} + page ${cold.pick.pageMs.toFixed(0)} ms; ${mb(cold.pick.bytes)} sent (from the worker's columns, no SQLite read)`, '', '']);
    out.push([`  the copy kept at write time (end of an import)`, `${keepMs.toFixed(0)} ms`, `${kept.fresh.toLocaleString()} of ${kept.rows.toLocaleString()} runs read from SQLite for it`, '', '']);
    out.push([`  first open with no copy: first rows / every row`, `${none.firstMs.toFixed(0)} / ${none.allMs.toFixed(0)} ms`, `worker ${none.hostAllMs.toFixed(0)} + page ${none.pageAllMs.toFixed(0)} ms (every value read from SQLite; the copy is written after)`, '', '']);
    out.push([`  extension host memory during the first open`, `+${cold.heapMb.toFixed(0)} MB heap`, `process RSS peak ${cold.rssMb.toFixed(0)} MB (incl. the worker and the bench)`, allAim ? '< 200 MB' : '', allAim ? (cold.heapMb < 200 ? 'met' : 'missed') : '']);
    out.push([`  reopen (worker's columns kept): first rows / every row`, `${t.firstMs.toFixed(0)} / ${t.allMs.toFixed(0)} ms`, `worker ${t.hostAllMs.toFixed(0)} + page ${t.pageAllMs.toFixed(0)} ms; heap +${t.heapMb.toFixed(0)} MB`, '', '']);
    const ab = coldReadAB(db, expId, 2);
    out.push([`  first-open read, one thread: before / now`, `${ab.beforeMs.toFixed(0)} / ${ab.nowMs.toFixed(0)} ms CPU`, `${(ab.beforeMs / ab.nowMs).toFixed(2)}x less work now (chunk objects merged at the end vs whole-table columns)`, '', '']);
    // The figure is the frame that shows the answer: the rows can be in the page before it is drawn.
    out.push([`  sort ${label} by a metric`, `${t.sortShownMs.toFixed(0)} ms`, `click to the frame showing the sorted rows; order + grid update ${t.sortScriptMs.toFixed(0)} ms; rows in the page at ${t.sortMs.toFixed(0)} ms`, '< 100 ms', t.sortShownMs < 100 ? 'met' : 'missed']);
    out.push([`  filter ${label}`, `${t.filterShownMs.toFixed(0)} ms`, `worker ${t.filterHostMs.toFixed(0)} ms + page, to the frame showing the rows; rows in the page at ${t.filterMs.toFixed(0)} ms`, '< 100 ms', t.filterShownMs < 100 ? 'met' : 'missed']);
  }
  const bigStore = RunStore.open(BIG_DB, { readonly: true });
  const bigId = bigStore.getExperimentByName('big-sweep').id;
  treeExpand(bigStore, bigId);
  const tree = Math.min(treeExpand(bigStore, bigId), treeExpand(bigStore, bigId));
  bigStore.close();
  out.push([`tree: expand an experiment of ${BIG_RUNS.toLocaleString()} runs (first page of 200)`, `${tree.toFixed(0)} ms`, 'the search the Experiments view runs', '< 200 ms', tree < 200 ? 'met' : 'missed']);
}
store.close();
reads.dispose();
await chartReader.close();
console.log(`machine load (1-min average, ${cpus().length} cores): ${loadavg()[0]!.toFixed(1)}`);
const header = ['figure', 'value', 'detail', 'aim', ''];
const w = header.map((_, i) => Math.max(...[header, ...out].map((r) => r[i]!.length)));
for (const r of [header, ...out]) console.log(r.map((c, i) => c.padEnd(w[i]!)).join('  '));
