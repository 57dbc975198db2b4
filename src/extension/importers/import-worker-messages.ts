import type { ExportSummary } from '../../core/importers/mlflow-export.ts';
import type { ImportFormat, ImportProgress, ImportSummary } from '../../core/importers/import-types.ts';

/** What the extension hands the import worker (as workerData). `cancel` is a shared flag: the import is synchronous, so a message would arrive only after it ended. */
export type ImportWorkerRequest =
  | { kind: 'import'; storePath: string; path: string; format?: ImportFormat; experiment?: string; cancel: Int32Array }
  | { kind: 'export'; storePath: string; runIds: string[]; to: string; cancel: Int32Array };

export type ImportWorkerReply =
  | { type: 'progress'; progress: ImportProgress }
  | { type: 'export-progress'; done: number; total: number }
  | { type: 'imported'; summary: ImportSummary }
  | { type: 'exported'; summary: ExportSummary }
  | { type: 'error'; message: string };
