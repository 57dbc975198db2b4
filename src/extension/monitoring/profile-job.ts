import { Worker } from 'node:worker_threads';
import { LooplineError } from '../../core/errors.ts';
import type { DataProfile } from '../../core/monitoring/profile-types.ts';
import type { WorkerReply, WorkerRequest } from './profile-worker-messages.ts';

export interface ProfileJob {
  result: Promise<DataProfile>;
  cancel(): void;
}

/**
 * Profiles a file in a worker thread (dist/profile-worker.cjs) so a 1 GB read never blocks the
 * extension host. `cancel` asks the worker to stop, and ends the thread if it does not within 2 s.
 */
export function startProfileJob(workerScript: string, path: string, onProgress: (p: { bytesRead: number; totalBytes: number; rows: number }) => void): ProfileJob {
  const worker = new Worker(workerScript, { workerData: { path } satisfies WorkerRequest });
  let settled = false;
  let fail: (err: Error) => void = () => undefined;
  const result = new Promise<DataProfile>((resolve, reject) => {
    fail = reject;
    worker.on('message', (m: WorkerReply) => {
      if (m.type === 'progress') onProgress(m);
      else {
        settled = true;
        void worker.terminate();
        if (m.type === 'done') resolve(m.profile);
        else reject(new LooplineError(m.type === 'cancelled' ? 'INVALID_STATE' : 'INVALID_PARAMETER_VALUE', m.message));
      }
    });
    worker.on('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new LooplineError('INTERNAL_ERROR', `The profiling worker stopped (exit code ${code}).`));
    });
  });
  return {
    result,
    cancel: () => {
      if (settled) return;
      worker.postMessage({ type: 'cancel' });
      setTimeout(() => {
        if (!settled) {
          settled = true;
          void worker.terminate();
          fail(new LooplineError('INVALID_STATE', 'Profiling was cancelled.'));
        }
      }, 2000).unref();
    },
  };
}
