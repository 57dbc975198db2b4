/**
 * Worker-thread entry (bundled as dist/predict-worker.cjs): one batch scoring job off the extension
 * host's thread, with its own store connection. Posts throttled progress, then the result (a job
 * that stopped is a result too) or the error that kept it from starting. `cancel` aborts it: the
 * model container is stopped and the rows scored so far stay in the `.partial` file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runPredictionJob } from '../../core/predict/prediction-job.ts';
import { ModelRegistry } from '../../core/registry/model-registry.ts';
import { RunStore } from '../../core/store/run-store.ts';
import type { PredictWorkerReply, PredictWorkerRequest } from './predict-worker-messages.ts';

const port = parentPort!;
const req = workerData as PredictWorkerRequest;
const abort = new AbortController();
port.on('message', (m: unknown) => {
  if ((m as { type?: unknown })?.type === 'cancel') abort.abort();
});
const post = (m: PredictWorkerReply) => port.postMessage(m);

async function main(): Promise<void> {
  const store = RunStore.open(req.storePath, { busyTimeoutMs: 5000 });
  try {
    const result = await runPredictionJob(new ModelRegistry(store), req.ref, {
      input: req.input,
      output: req.output,
      signal: abort.signal,
      ...(req.batchSize ? { batchSize: req.batchSize } : {}),
      onStatus: (message) => post({ type: 'status', message }),
      onProgress: (p) => post({ type: 'progress', ...p }),
    });
    post({ type: 'done', result });
  } finally {
    store.close();
  }
}

main().catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
