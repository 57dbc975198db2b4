/**
 * The read worker: a worker thread with its own read-only connection to the store, answering the
 * reads that grow with the data (experiment table chunks, table filters, chart series, CSV export)
 * so they never block the extension host's thread. Long reads check their channel's generation
 * between chunks and stop when it moved (the panel closed or the selection changed).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parentPort, Worker, workerData, type TransferListItem } from 'node:worker_threads';
import { LooplineError } from '../errors.ts';
import { aggregateSlice, ExperimentColumns, readMetricColumns, sliceChunk, type AggregateChunk, type ExperimentChunk, type MetricColumns, type RowsChunk } from '../series/experiment-columns.ts';
import { metricsCsv } from '../series/metrics-csv.ts';
import { readSeries, type SeriesResult } from '../series/series-reader.ts';
import { activeRunOrderWithVersions } from './experiment-queries.ts';
import { copyIsWorthRewriting } from '../series/table-copy.ts';
import { parseTableSnapshot, SNAPSHOT_MIN_ROWS, snapshotFile, writeTableSnapshot, type TableSnapshot } from '../series/table-snapshot.ts';
import { seriesPointReaders } from './series-queries.ts';
import type { ReadEnvelope, ReadReply, ReadRequest } from './read-protocol.ts';
import { RunStore } from './run-store.ts';
import { FILTER_WARM_ROUNDS, filterTableColumns, warmTableFilter } from './table-filter.ts';

const { path, generations } = workerData as { path: string; generations: SharedArrayBuffer };
const gens = new Int32Array(generations);
const store = RunStore.open(path, { readonly: true });

/**
 * An experiment's table as read: its chunks (columns), kept so that reopening the table or
 * filtering it costs no SQLite read while the store is unchanged (`PRAGMA data_version` on this
 * connection moves with every commit of another connection, and this one only reads).
 */
interface TableRead {
  experimentId: string;
  version: number;
  /** Run pks in row order, and row by pk (built by the first SQL filter). */
  order: number[];
  rowOf?: Map<number, number>;
  /** Every row as one chunk, once the whole table was read (not cancelled half-way). */
  all?: ExperimentChunk;
  /** The same rows with their versions: what the next read after a change starts from (no file read). */
  copy?: TableSnapshot;
  /** Settles with `all` once every row was read; rejects when the read stopped half-way. */
  whole: Promise<ExperimentChunk>;
}

/** A table read whose `whole` the reader settles. */
function tableRead(experimentId: string, version: number, order: number[]): { read: TableRead; settle(all: ExperimentChunk | null, err?: unknown): void } {
  let resolve!: (all: ExperimentChunk) => void;
  let reject!: (err: unknown) => void;
  const whole = new Promise<ExperimentChunk>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Nobody may wait for it (no aggregate asked): a stopped read is not an unhandled rejection.
  whole.catch(() => undefined);
  return { read: { experimentId, version, order, whole }, settle: (all, err) => (all ? resolve(all) : reject(err)) };
}
/** The tables last read, newest last: at most CACHED_TABLES experiments. */
const cache: TableRead[] = [];
const CACHED_TABLES = 2;
/** The table last opened on each channel (for filters and aggregates), with the opener's tag for that read. */
const tables = new Map<number, { read: TableRead; tag: number | undefined }>();

function dataVersion(): number {
  return store.db.pragma('data_version', { simple: true }) as number;
}

function remember(t: TableRead): void {
  const i = cache.findIndex((c) => c.experimentId === t.experimentId);
  if (i >= 0) cache.splice(i, 1);
  cache.push(t);
  while (cache.length > CACHED_TABLES) cache.shift();
}

class Cancelled extends Error {}

/**
 * Tables with at least this many runs are read by two threads on their first open, when the
 * machine has cores to spare (on two cores the editor and the webview need the other one).
 */
const PARALLEL_ROWS = availableParallelism() >= 4 ? 20_000 : Infinity;

/**
 * A second read worker (this same script, its own connection) that reads the metric columns of a
 * large table while this thread reads its runs and params: a first open takes about the time of
 * the larger half on a machine with a core to spare. Started for such a read, ended after it.
 */
class Helper {
  private readonly worker = new Worker(new URL(import.meta.url), { workerData: { path, generations } });
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private next = 1;

  constructor() {
    this.worker.on('message', (reply: ReadReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.type === 'result') p.resolve(reply.value);
      else if (reply.type === 'cancelled') p.reject(new Cancelled());
      else if (reply.type === 'error') p.reject(new LooplineError(reply.code ?? 'INTERNAL_ERROR', reply.message));
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', () => this.failAll(new Cancelled()));
  }

  private failAll(err: unknown): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** As part of the request (channel, gen): cancelled with it. */
  request<T>(channel: number, gen: number, request: ReadRequest): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, channel, gen, request } satisfies ReadEnvelope);
    });
  }

  close(): void {
    void this.worker.terminate();
  }
}

let filterWarmed = false;
/**
 * Once per worker, after its first table is read: the filter's loops run on made-up rows (see
 * `warmTableFilter`), a round per timer, so that a request coming meanwhile waits one round at most.
 */
function warmFilterSoon(): void {
  if (filterWarmed) return;
  filterWarmed = true;
  let round = 0;
  const next = () => {
    warmTableFilter(round++);
    if (round < FILTER_WARM_ROUNDS) setTimeout(next, 10);
  };
  setTimeout(next, 10);
}

function post(reply: ReadReply, transfer: TransferListItem[] = []): void {
  parentPort!.postMessage(reply, transfer);
}

function buffersOf(chunk: RowsChunk): ArrayBuffer[] {
  const out: ArrayBuffer[] = [chunk.runIds.ends.buffer as ArrayBuffer, chunk.names.ends.buffer as ArrayBuffer, chunk.startTimes.buffer as ArrayBuffer, chunk.durations.buffer as ArrayBuffer, chunk.statuses.codes.buffer as ArrayBuffer];
  for (const p of Object.values(chunk.params)) out.push(p.codes.buffer as ArrayBuffer);
  for (const m of Object.values(chunk.metrics)) for (const a of [m.last, m.lastNaN, m.min, m.max]) if (a) out.push(a.buffer as ArrayBuffer);
  return out;
}

function aggregateBuffers(chunk: AggregateChunk): ArrayBuffer[] {
  return Object.values(chunk.metrics).map((a) => a.buffer as ArrayBuffer);
}

async function handle(env: ReadEnvelope): Promise<void> {
  if (env.request.kind === 'ping') {
    post({ id: env.id, type: 'result', value: null });
    return;
  }
  const check = () => {
    if (Atomics.load(gens, env.channel) !== env.gen) throw new Cancelled();
  };
  check();
  const r = env.request;
  switch (r.kind) {
    case 'tableOpen': {
      const version = dataVersion();
      const cached = cache.find((c) => c.experimentId === r.experimentId);
      const aggregates = r.aggregates ?? [];
      if (cached && cached.all && cached.version === version) {
        // Unchanged since it was read: the same rows again from memory, no SQLite read.
        tables.set(env.channel, { read: cached, tag: r.tag });
        const all = cached.all;
        const total = all.runIds.length;
        let offset = 0;
        let size = Math.max(1, r.firstRows);
        do {
          check();
          const chunk = sliceChunk(all, offset, Math.min(total, offset + size), aggregates);
          offset = Math.min(total, offset + size);
          post({ id: env.id, type: 'chunk', total, chunk, done: offset >= total }, buffersOf(chunk));
          size = Math.max(1, r.chunkRows);
          await new Promise((resolve) => setImmediate(resolve));
        } while (offset < total);
        post({ id: env.id, type: 'result', value: null });
        warmFilterSoon();
        return;
      }
      const copyPath = snapshotFile(path, r.experimentId);
      // The copy's file is read by another thread (libuv's) while SQLite gives the order and the first rows.
      const fileRead = !cached?.copy && existsSync(copyPath) ? readFile(copyPath).catch(() => null) : null;
      const { order, versions } = activeRunOrderWithVersions(store, r.experimentId);
      const { read, settle } = tableRead(r.experimentId, version, order);
      // Read straight into full-length columns (what the cache keeps); each batch goes out as a
      // slice with its own buffers, so nothing is copied or merged afterwards. A large table starts
      // from its columnar copy and reads only the runs that changed since it was made.
      const now = Date.now();
      const columns = new ExperimentColumns(order, now, versions);
      const copyFile = order.length >= SNAPSHOT_MIN_ROWS ? copyPath : null;
      const fromCopy = copyFile !== null && (cached?.copy !== undefined || fileRead !== null);
      // Rows of the copy that are current (-1: no copy taken yet or none usable).
      let current = -1;
      tables.set(env.channel, { read, tag: r.tag });
      let helper: Helper | null = null;
      try {
        // Inside the try: a helper that cannot start must still settle `whole` (aggregates wait on it).
        helper = !fromCopy && order.length >= (r.parallelRows ?? PARALLEL_ROWS) ? new Helper() : null;
        let sent = 0;
        let size = Math.max(1, r.firstRows);
        if (fromCopy) {
          // The first rows at once, read from SQLite into columns of their own (a screenful, not
          // the whole table's); then the table from its copy (this worker's last read of it when
          // there is one, else the file), and from SQLite only the runs changed since.
          const first = Math.min(order.length, size);
          const preview = new ExperimentColumns(order.slice(0, first), now, versions.subarray(0, first));
          preview.readNext(store, first);
          const chunk = sliceChunk(preview.all(), 0, first, aggregates);
          post({ id: env.id, type: 'chunk', total: order.length, chunk, done: first >= order.length }, buffersOf(chunk));
          sent = first;
          size = Math.max(1, r.chunkRows);
          await new Promise((resolve) => setImmediate(resolve));
          check();
          const buf = fileRead ? await fileRead : null;
          const copy = cached?.copy ?? (buf ? parseTableSnapshot(buf, r.experimentId) : null);
          // A copy read from its file for this read is this read's own: its arrays become the columns.
          current = copy ? columns.adopt(copy, { owned: !cached?.copy }) : 0;
        }
        // An empty table still sends one (empty) chunk that says it is done.
        if (sent < order.length || !fromCopy) {
          do {
            check();
            const to = Math.min(order.length, sent + size);
            // The first rows are read here while the helper starts; after that it reads the metrics.
            const metrics = helper && sent > 0 ? helper.request<Array<[string, MetricColumns]>>(env.channel, env.gen, { kind: 'metricColumns', pks: order.slice(sent, to) }) : null;
            columns.readNext(store, to - columns.read, { metrics: !metrics });
            if (metrics) columns.putMetrics(sent, await metrics);
            const chunk = sliceChunk(columns.all(), sent, to, aggregates);
            sent = to;
            post({ id: env.id, type: 'chunk', total: order.length, chunk, done: sent >= order.length }, buffersOf(chunk));
            size = Math.max(1, r.chunkRows);
            // Let a filter or a chart read that came meanwhile go first.
            await new Promise((resolve) => setImmediate(resolve));
          } while (sent < order.length);
        }
      } catch (err) {
        settle(null, err);
        throw err;
      } finally {
        helper?.close();
      }
      read.all = columns.all();
      settle(read.all);
      const snapshot = columns.snapshot(r.experimentId);
      read.copy = snapshot ?? undefined;
      remember(read);
      // The page has every row by now; the next open of this table reads the copy. Written before
      // the reply, so that the reply means the copy is there (a cache: a failed write costs only time).
      if (copyFile && snapshot && copyIsWorthRewriting(order.length, Math.max(0, current))) {
        try {
          writeTableSnapshot(copyFile, snapshot);
        } catch {
          /* read-only folder or full disk: the table is read from SQLite next time */
        }
      }
      post({ id: env.id, type: 'result', value: null });
      warmFilterSoon();
      return;
    }
    case 'tableAggregate': {
      const entry = tables.get(r.tableChannel);
      if (!entry || entry.tag !== r.tag || entry.read.experimentId !== r.experimentId) throw new LooplineError('INVALID_STATE', 'The table was read again meanwhile; ask for the aggregate of its current rows.');
      // The rows it belongs to, once all are read (the page may ask while they stream); from memory.
      const all = await entry.read.whole;
      const total = all.runIds.length;
      let offset = 0;
      do {
        check();
        const to = Math.min(total, offset + Math.max(1, r.chunkRows));
        const chunk = aggregateSlice(all, r.aggregate, offset, to);
        offset = to;
        post({ id: env.id, type: 'chunk', total, chunk, done: offset >= total }, aggregateBuffers(chunk));
        await new Promise((resolve) => setImmediate(resolve));
      } while (offset < total);
      post({ id: env.id, type: 'result', value: null });
      return;
    }
    case 'tableFilter': {
      const entry = tables.get(r.tableChannel);
      const table = entry?.read;
      if (!table || table.experimentId !== r.experimentId) throw new LooplineError('INVALID_STATE', 'The table is not open any more; reopen it to filter.');
      // On the columns already read when it can (a pass over typed arrays), else in SQL.
      const fromColumns = table.all ? filterTableColumns([table.all], r.expression) : null;
      if (fromColumns) {
        post({ id: env.id, type: 'result', value: fromColumns }, [fromColumns.buffer as ArrayBuffer]);
        return;
      }
      if (!table.rowOf) {
        const rowOf = new Map<number, number>();
        table.order.forEach((pk, i) => rowOf.set(pk, i));
        table.rowOf = rowOf;
      }
      const rowOf = table.rowOf;
      const pks = store.matchingRunPks({ experimentIds: [r.experimentId], filter: r.expression });
      const rows = new Uint32Array(pks.length);
      let n = 0;
      for (const pk of pks) {
        const row = rowOf.get(pk);
        if (row !== undefined) rows[n++] = row;
      }
      const value = rows.slice(0, n);
      post({ id: env.id, type: 'result', value }, [value.buffer]);
      return;
    }
    case 'series': {
      const out: SeriesResult[] = [];
      const read = seriesPointReaders(store);
      for (const runId of r.runIds) {
        check();
        out.push(readSeries(store, { runId, key: r.key, buckets: r.buckets, byTime: r.byTime, ...(r.minStep !== undefined && r.maxStep !== undefined ? { minStep: r.minStep, maxStep: r.maxStep } : {}) }, read));
      }
      // Transferred, not copied: the columns are this read's own.
      post({ id: env.id, type: 'result', value: out }, [...new Set(out.flatMap((s) => [s.steps.buffer, s.times.buffer, s.values.buffer]))] as ArrayBuffer[]);
      return;
    }
    case 'searchRunIds':
      post({ id: env.id, type: 'result', value: store.searchRunIds(r.query) });
      return;
    case 'metricColumns': {
      const value = readMetricColumns(store, r.pks);
      post({ id: env.id, type: 'result', value }, value.flatMap(([, m]) => [m.last.buffer, m.min.buffer, m.max.buffer, m.lastNaN.buffer]) as ArrayBuffer[]);
      return;
    }
    case 'metricsCsv':
      post({ id: env.id, type: 'result', value: metricsCsv(store, r.runIds, r.keys) });
      return;
  }
}

parentPort!.on('message', async (env: ReadEnvelope) => {
  try {
    await handle(env);
  } catch (err) {
    if (err instanceof Cancelled) post({ id: env.id, type: 'cancelled' });
    else post({ id: env.id, type: 'error', code: err instanceof LooplineError ? err.code : null, message: err instanceof Error ? err.message : String(err) });
  }
});
