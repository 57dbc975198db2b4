/**
 * Worker-thread entry (bundled as dist/profile-worker.cjs): profiles one file off the extension
 * host's thread, posting throttled progress, then the profile or the error. A `cancel` message
 * aborts the read between chunks. No `vscode` here: workers cannot load it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { profileFile } from '../../core/monitoring/data-profiler.ts';
import type { WorkerReply, WorkerRequest } from './profile-worker-messages.ts';

const port = parentPort!;
const { path } = workerData as WorkerRequest;
const abort = new AbortController();
port.on('message', (m: unknown) => {
  if ((m as { type?: unknown })?.type === 'cancel') abort.abort();
});
const post = (m: WorkerReply) => port.postMessage(m);
let last = 0;
profileFile(path, {
  signal: abort.signal,
  onProgress: (p) => {
    const now = Date.now();
    if (now - last < 100 && p.bytesRead < p.totalBytes) return;
    last = now;
    post({ type: 'progress', bytesRead: p.bytesRead, totalBytes: p.totalBytes, rows: p.rows });
  },
}).then(
  (profile) => post({ type: 'done', profile }),
  (err: unknown) => post({ type: abort.signal.aborted ? 'cancelled' : 'error', message: err instanceof Error ? err.message : String(err) }),
);
