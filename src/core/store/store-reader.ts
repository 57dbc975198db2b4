/**
 * Runs the reads that grow with the data off the calling thread: a worker thread with its own
 * read-only connection (src/core/store/read-worker.ts), started on first use. Each user (a panel)
 * takes a `ReadChannel`; `channel.cancel()` drops what it asked for that has not finished (the
 * worker checks between chunks), so a closed panel or a new selection stops its reads.
 */
import { Worker } from 'node:worker_threads';
import { LooplineError } from '../errors.ts';
import type { AggregateChunk, ExtraAggregate, RowsChunk } from '../series/experiment-columns.ts';
import type { SeriesResult } from '../series/series-reader.ts';
import { CHANNELS, type ReadReply, type ReadRequest } from './read-protocol.ts';
import type { SearchRunsQuery } from './types.ts';

/** A read that was cancelled (the panel closed or asked for something else). */
export class ReadCancelled extends Error {
  constructor() {
    super('The read was cancelled.');
    this.name = 'ReadCancelled';
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  onChunk?: (total: number, chunk: RowsChunk | AggregateChunk, done: boolean) => void;
  channel: number;
}

/** The worker's script: the .ts source when running from source (tests), else the bundle beside this one. */
function workerUrl(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('./read-worker.ts', import.meta.url) : new URL('./read-worker.cjs', import.meta.url);
}

export class StoreReader {
  readonly path: string;
  private worker: Worker | null = null;
  private readonly generations = new SharedArrayBuffer(4 * CHANNELS);
  private readonly gens = new Int32Array(this.generations);
  private readonly pending = new Map<number, Pending>();
  private readonly freeChannels: number[] = Array.from({ length: CHANNELS }, (_, i) => CHANNELS - 1 - i);
  private nextId = 1;
  private closed = false;
  /** Worker threads started and not yet exited (0 or 1; a test checks close() ends it). */
  private live = 0;

  private readonly workerScript: URL;

  /** `workerScript`: the worker to run (default: the one beside this module; a bench passes the bundle the editor runs). */
  constructor(path: string, workerScript: URL = workerUrl()) {
    this.path = path;
    this.workerScript = workerScript;
  }

  /** A cancellation scope for one user of the reader. */
  channel(): ReadChannel {
    const slot = this.freeChannels.pop();
    if (slot === undefined) throw new LooplineError('INTERNAL_ERROR', `More than ${CHANNELS} readers of one store are open.`);
    return new ReadChannel(this, slot);
  }

  /** @internal */
  release(slot: number): void {
    this.cancelSlot(slot);
    this.freeChannels.push(slot);
  }

  /** @internal Moves the slot's generation: the worker drops its reads, their promises reject. */
  cancelSlot(slot: number): void {
    Atomics.add(this.gens, slot, 1);
    for (const [id, p] of this.pending) {
      if (p.channel !== slot) continue;
      this.pending.delete(id);
      p.reject(new ReadCancelled());
    }
  }

  /** @internal */
  request<T>(slot: number, request: ReadRequest, onChunk?: Pending['onChunk']): Promise<T> {
    if (this.closed) return Promise.reject(new LooplineError('INVALID_STATE', 'The store reader is closed.'));
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, channel: slot, ...(onChunk ? { onChunk } : {}) });
      worker.postMessage({ id, channel: slot, gen: Atomics.load(this.gens, slot), request });
    });
  }

  /**
   * Starts the worker thread now (it opens its own connection), so that a panel's first read does
   * not also wait for the thread to boot. Resolves once the worker has opened its store (or could
   * not: the next read then says why).
   */
  warm(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const w = this.start();
    if (this.booted?.worker !== w) {
      const id = this.nextId++;
      const done = new Promise<void>((resolve) => {
        // Channel -1: no channel's cancel drops it.
        this.pending.set(id, { resolve: () => resolve(), reject: () => resolve(), channel: -1 });
      });
      w.postMessage({ id, channel: -1, gen: 0, request: { kind: 'ping' } });
      this.booted = { worker: w, done };
    }
    return this.booted.done;
  }

  /** The worker warm() last asked, and when it had opened its store. */
  private booted: { worker: Worker; done: Promise<void> } | null = null;

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.workerScript, { workerData: { path: this.path, generations: this.generations } });
    // Idle reads never keep a CLI or a test process alive.
    w.unref();
    w.on('message', (reply: ReadReply) => this.receive(reply));
    w.on('error', (err) => this.failAll(err));
    this.live++;
    w.on('exit', (code) => {
      this.live--;
      if (this.worker === w) this.worker = null;
      if (!this.closed) this.failAll(new LooplineError('INTERNAL_ERROR', `The store's read worker stopped (exit code ${code}); the next read starts a new one.`));
    });
    this.worker = w;
    return w;
  }

  private receive(reply: ReadReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return; // cancelled meanwhile
    switch (reply.type) {
      case 'chunk':
        p.onChunk?.(reply.total, reply.chunk, reply.done);
        return;
      case 'result':
        this.pending.delete(reply.id);
        p.resolve(reply.value);
        return;
      case 'cancelled':
        this.pending.delete(reply.id);
        p.reject(new ReadCancelled());
        return;
      case 'error':
        this.pending.delete(reply.id);
        p.reject(reply.code ? new LooplineError(reply.code, reply.message) : new Error(reply.message));
        return;
    }
  }

  private failAll(err: unknown): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Whether a worker thread of this reader is still running (started and not exited). */
  get running(): boolean {
    return this.live > 0;
  }

  /** Ends the worker thread (if any); pending reads reject with ReadCancelled, later ones with INVALID_STATE. */
  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new ReadCancelled());
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }
}

/** One user's reads; cancel() stops them all, dispose() also frees the slot. */
export class ReadChannel {
  private readonly reader: StoreReader;
  /** @internal */
  readonly slot: number;
  private disposed = false;

  constructor(reader: StoreReader, slot: number) {
    this.reader = reader;
    this.slot = slot;
  }

  cancel(): void {
    if (!this.disposed) this.reader.cancelSlot(this.slot);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.reader.release(this.slot);
  }

  /**
   * Streams an experiment's active runs as table chunks: `firstRows` first, then `chunkRows` at a
   * time. A first open of `parallelRows` runs or more (default 20,000 on a machine of four cores or
   * more) reads the metrics in a second thread.
   */
  openTable(
    experimentId: string,
    onChunk: (total: number, chunk: RowsChunk, done: boolean) => void,
    opts: { firstRows?: number; chunkRows?: number; parallelRows?: number; tag?: number; aggregates?: ExtraAggregate[] } = {},
  ): Promise<void> {
    const request: ReadRequest = {
      kind: 'tableOpen',
      experimentId,
      firstRows: opts.firstRows ?? 500,
      chunkRows: opts.chunkRows ?? 10_000,
      ...(opts.parallelRows !== undefined ? { parallelRows: opts.parallelRows } : {}),
      ...(opts.tag !== undefined ? { tag: opts.tag } : {}),
      ...(opts.aggregates?.length ? { aggregates: opts.aggregates } : {}),
    };
    return this.reader.request<null>(this.slot, request, onChunk as Pending['onChunk']).then(() => undefined);
  }

  /**
   * One aggregate (min or max) of every metric of the read `tag` of the table open on `table`,
   * streamed in chunks of `chunkRows` once that read has every row: from the columns the worker
   * holds, no SQLite read. Rejects with INVALID_STATE when the table was read again since (then
   * the rows it would belong to are gone), with ReadCancelled when cancelled or the read stopped.
   */
  tableAggregate(table: ReadChannel, experimentId: string, tag: number, aggregate: ExtraAggregate, onChunk: (total: number, chunk: AggregateChunk, done: boolean) => void, chunkRows = 10_000): Promise<void> {
    return this.reader.request<null>(this.slot, { kind: 'tableAggregate', experimentId, tableChannel: table.slot, tag, aggregate, chunkRows }, onChunk as Pending['onChunk']).then(() => undefined);
  }

  /** Rows of the table last opened on `table` that match an MLflow search expression, in the filter's order. */
  filterTable(table: ReadChannel, experimentId: string, expression: string): Promise<Uint32Array> {
    return this.reader.request<Uint32Array>(this.slot, { kind: 'tableFilter', experimentId, expression, tableChannel: table.slot });
  }

  series(runIds: string[], key: string, opts: { byTime: boolean; buckets: number; minStep?: number; maxStep?: number }): Promise<SeriesResult[]> {
    return this.reader.request<SeriesResult[]>(this.slot, { kind: 'series', runIds, key, ...opts });
  }

  /** Ids of the runs matching an MLflow search, in its order (at most maxResults + 1 when given). */
  searchRunIds(query: Omit<SearchRunsQuery, 'pageToken'>): Promise<string[]> {
    return this.reader.request<string[]>(this.slot, { kind: 'searchRunIds', query });
  }

  metricsCsv(runIds: string[], keys: string[]): Promise<string> {
    return this.reader.request<string>(this.slot, { kind: 'metricsCsv', runIds, keys });
  }
}
