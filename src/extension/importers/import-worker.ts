/**
 * Worker-thread entry (bundled as dist/import-worker.cjs): imports or exports runs off the
 * extension host's thread through its own connection to the store, posting throttled progress.
 * No `vscode` here: workers cannot load it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { exportToMlflow } from '../../core/importers/mlflow-export.ts';
import { importRuns } from '../../core/importers/run-import.ts';
import { RunStore } from '../../core/store/run-store.ts';
import type { ImportWorkerReply, ImportWorkerRequest } from './import-worker-messages.ts';

const port = parentPort!;
const req = workerData as ImportWorkerRequest;
const post = (m: ImportWorkerReply) => port.postMessage(m);
let last = 0;
try {
  const store = RunStore.open(req.storePath);
  try {
    if (req.kind === 'import') {
      const summary = importRuns(store, {
        path: req.path,
        format: req.format,
        experiment: req.experiment,
        isCancelled: () => Atomics.load(req.cancel, 0) === 1,
        onProgress: (progress) => {
          const now = Date.now();
          if (now - last < 100) return;
          last = now;
          post({ type: 'progress', progress });
        },
      });
      post({ type: 'imported', summary });
    } else {
      const summary = exportToMlflow(store, req.runIds, req.to, (done, total) => post({ type: 'export-progress', done, total }));
      post({ type: 'exported', summary });
    }
  } finally {
    store.close();
  }
} catch (err) {
  post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
}
