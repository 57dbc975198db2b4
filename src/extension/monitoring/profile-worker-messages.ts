import type { DataProfile } from '../../core/monitoring/profile-types.ts';

/** What the extension hands the profile worker (as workerData). */
export interface WorkerRequest {
  path: string;
}

export type WorkerReply =
  | { type: 'progress'; bytesRead: number; totalBytes: number; rows: number }
  | { type: 'done'; profile: DataProfile }
  | { type: 'cancelled'; message: string }
  | { type: 'error'; message: string };
