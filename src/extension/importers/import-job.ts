import { Worker } from 'node:worker_threads';
import { LooplineError } from '../../core/errors.ts';
import type { ImportWorkerReply, ImportWorkerRequest } from './import-worker-messages.ts';

export interface WorkerJob {
  result: Promise<ImportWorkerReply>;
  /** Asks the worker to stop after the run it is writing (that run is kept whole or not at all). */
  cancel(): void;
}

type Request = ImportWorkerRequest extends infer R ? (R extends ImportWorkerRequest ? Omit<R, 'cancel'> : never) : never;

/**
 * Runs an import or export in a worker thread (dist/import-worker.cjs), so reading a 1 GB event
 * file never blocks the extension host. Resolves with the worker's final message.
 */
export function startImportJob(workerScript: string, request: Request, onMessage: (m: ImportWorkerReply) => void): WorkerJob {
  const cancelFlag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(workerScript, { workerData: { ...request, cancel: cancelFlag } });
  let settled = false;
  const result = new Promise<ImportWorkerReply>((resolve, reject) => {
    worker.on('message', (m: ImportWorkerReply) => {
      if (m.type === 'progress' || m.type === 'export-progress') {
        onMessage(m);
        return;
      }
      settled = true;
      void worker.terminate();
      if (m.type === 'error') reject(new LooplineError('INVALID_PARAMETER_VALUE', m.message));
      else resolve(m);
    });
    worker.on('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new LooplineError('INTERNAL_ERROR', `The import worker stopped (exit code ${code}).`));
    });
  });
  return { result, cancel: () => Atomics.store(cancelFlag, 0, 1) };
}
