import { Worker } from 'node:worker_threads';
import { LooplineError } from '../../core/errors.ts';
import type { ScoreFileProgress } from '../../core/predict/batch-prediction.ts';
import type { PredictionJobResult } from '../../core/predict/prediction-job.ts';
import type { PredictWorkerReply, PredictWorkerRequest } from './predict-worker-messages.ts';

export interface PredictJob {
  result: Promise<PredictionJobResult>;
  cancel(): void;
}

/**
 * Runs a batch scoring job in a worker thread (dist/predict-worker.cjs), so parsing and writing a
 * large CSV never blocks the extension host. `cancel` asks the worker to stop (it stops the model
 * container and flags the partial output); the result then says `cancelled`.
 */
export function startPredictJob(workerScript: string, req: PredictWorkerRequest, on: { progress: (p: ScoreFileProgress) => void; status: (m: string) => void }): PredictJob {
  const worker = new Worker(workerScript, { workerData: req });
  let settled = false;
  const result = new Promise<PredictionJobResult>((resolve, reject) => {
    worker.on('message', (m: PredictWorkerReply) => {
      if (m.type === 'progress') on.progress(m);
      else if (m.type === 'status') on.status(m.message);
      else {
        settled = true;
        void worker.terminate();
        if (m.type === 'done') resolve(m.result);
        else reject(new LooplineError('INVALID_STATE', m.message));
      }
    });
    worker.on('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new LooplineError('INTERNAL_ERROR', `The batch scoring worker stopped (exit code ${code}).`));
    });
  });
  return {
    result,
    cancel: () => {
      if (!settled) worker.postMessage({ type: 'cancel' });
    },
  };
}
