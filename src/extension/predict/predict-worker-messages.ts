import type { ScoreFileProgress } from '../../core/predict/batch-prediction.ts';
import type { PredictionJobResult } from '../../core/predict/prediction-job.ts';

/** What the extension hands the batch scoring worker (as workerData). */
export interface PredictWorkerRequest {
  storePath: string;
  ref: string;
  input: string;
  output: string;
  batchSize?: number;
}

export type PredictWorkerReply =
  | ({ type: 'progress' } & ScoreFileProgress)
  | { type: 'status'; message: string }
  | { type: 'done'; result: PredictionJobResult }
  | { type: 'error'; message: string };
