/**
 * The read worker: a worker thread with its own read-only connection to the store, answering the
 * reads that grow with the data (experiment table chunks, table filters, chart series, CSV export)
 * so they never block the extension host's thread. Long reads check their channel's generation
 * between chunks and stop when it moved (the panel closed or the selection changed).
 */
import { parentPort, workerData, type TransferListItem } from 'node:worker_threads';
import { LooplineError } from '../errors.ts';
import { readExperimentChunk, type ExperimentChunk } from '../series/experiment-columns.ts';
import { metricsCsv } from '../series/metrics-csv.ts';
import { readSeries, type SeriesResult } from '../series/series-reader.ts';
import { activeRunOrder } from './experiment-queries.ts';
import type { ReadEnvelope, ReadReply } from './read-protocol.ts';
import { RunStore } from './run-store.ts';

const { path, generations } = workerData as { path: string; generations: SharedArrayBuffer };
const gens = new Int32Array(generations);
const store = RunStore.open(path, { readonly: true });
/** The row order of the table last opened on each channel: pk -> row (for filters). */
const tables = new Map<number, { experimentId: string; rowOf: Map<number, number> }>();

class Cancelled extends Error {}

function post(reply: ReadReply, transfer: TransferListItem[] = []): void {
  parentPort!.postMessage(reply, transfer);
}

function buffersOf(chunk: ExperimentChunk): ArrayBuffer[] {
  const out: ArrayBuffer[] = [chunk.startTimes.buffer as ArrayBuffer, chunk.durations.buffer as ArrayBuffer, chunk.statuses.codes.buffer as ArrayBuffer];
  for (const p of Object.values(chunk.params)) out.push(p.codes.buffer as ArrayBuffer);
  for (const m of Object.values(chunk.metrics)) out.push(m.last.buffer as ArrayBuffer, m.min.buffer as ArrayBuffer, m.max.buffer as ArrayBuffer, m.lastNaN.buffer as ArrayBuffer);
  return out;
}

async function handle(env: ReadEnvelope): Promise<void> {
  const check = () => {
    if (Atomics.load(gens, env.channel) !== env.gen) throw new Cancelled();
  };
  check();
  const r = env.request;
  switch (r.kind) {
    case 'tableOpen': {
      const order = activeRunOrder(store, r.experimentId);
      const rowOf = new Map<number, number>();
      order.forEach((pk, i) => rowOf.set(pk, i));
      tables.set(env.channel, { experimentId: r.experimentId, rowOf });
      let offset = 0;
      let size = Math.max(1, r.firstRows);
      do {
        check();
        const pks = order.slice(offset, offset + size);
        const chunk = readExperimentChunk(store, pks, offset);
        offset += pks.length;
        post({ id: env.id, type: 'chunk', total: order.length, chunk, done: offset >= order.length }, buffersOf(chunk));
        size = Math.max(1, r.chunkRows);
        // Let a filter or a chart read that came meanwhile go first.
        await new Promise((resolve) => setImmediate(resolve));
      } while (offset < order.length);
      post({ id: env.id, type: 'result', value: null });
      return;
    }
    case 'tableFilter': {
      const table = tables.get(r.tableChannel);
      if (!table || table.experimentId !== r.experimentId) throw new LooplineError('INVALID_STATE', 'The table is not open any more; reopen it to filter.');
      const pks = store.matchingRunPks({ experimentIds: [r.experimentId], filter: r.expression });
      const rows = new Uint32Array(pks.length);
      let n = 0;
      for (const pk of pks) {
        const row = table.rowOf.get(pk);
        if (row !== undefined) rows[n++] = row;
      }
      const value = rows.slice(0, n);
      post({ id: env.id, type: 'result', value }, [value.buffer]);
      return;
    }
    case 'series': {
      const out: SeriesResult[] = [];
      for (const runId of r.runIds) {
        check();
        out.push(readSeries(store, { runId, key: r.key, buckets: r.buckets, byTime: r.byTime, ...(r.minStep !== undefined && r.maxStep !== undefined ? { minStep: r.minStep, maxStep: r.maxStep } : {}) }));
      }
      post({ id: env.id, type: 'result', value: out });
      return;
    }
    case 'searchRunIds':
      post({ id: env.id, type: 'result', value: store.searchRunIds(r.query) });
      return;
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
