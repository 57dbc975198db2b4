import type { KeyValue, LifecycleStage, RunStatus } from '../store/types.ts';
import type { ArtifactSources } from './artifact-sources.ts';
import type { PointBuffer } from './point-buffer.ts';
import type { SeriesPoints } from '../store/metric-writer.ts';

export const IMPORT_FORMATS = ['mlflow', 'tensorboard', 'dvclive', 'wandb'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Tags every imported run keeps, so a second import of the same source finds it again. */
export const IMPORT_TAGS = {
  format: 'loopline.import.format',
  source: 'loopline.import.source',
  sourceId: 'loopline.import.source_id',
  artifactsMissing: 'loopline.import.artifacts_missing',
} as const;

/** Something in the source that was skipped; `position` is a line, byte offset or record number. */
export interface ImportProblem {
  file: string;
  position?: string;
  message: string;
}

export interface SourceExperiment {
  name: string;
  deleted: boolean;
}

export interface SourceArtifact {
  /** Path inside the run's artifact folder, '/'-separated. */
  path: string;
  /** Absolute path of the file to copy. */
  file: string;
}

/** One run as read, in full, from a source: what the writer turns into one transaction. */
export interface SourceRun {
  /** Stable id of the run inside its source (MLflow run id, run folder, W&B run id). */
  sourceId: string;
  experiment: SourceExperiment;
  name: string;
  /** A run id to keep when it is free (MLflow's own 32-hex ids). */
  preferredId?: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  lifecycleStage: LifecycleStage;
  userId: string;
  params: KeyValue[];
  tags: KeyValue[];
  points: PointBuffer;
  artifacts: SourceArtifact[];
}

/** What readers report besides runs: skipped items and things that are not scalar metrics. */
export interface ReadContext {
  /** Declares an experiment of the source, so one without runs is imported too. */
  experiment(e: SourceExperiment): void;
  problem(file: string, position: string | undefined, message: string): void;
  /**
   * Whether a source file may be read: false, with the problem reported, for a symbolic link that
   * leads outside the imported folder (its content would land in params or tags). A file that
   * does not exist is left to the caller.
   */
  readable(file: string): boolean;
  /** Where artifact files may be copied from (the imported folder and any named with --artifacts-from). */
  artifactSources: ArtifactSources;
  /** Reports artifacts that are not copied because they lie outside those folders. */
  refuseArtifacts(file: string, message: string): void;
  /** Counts summaries that are not imported as metrics (histograms, images, …) by kind. */
  nonScalar(kind: string, n?: number): void;
  cancelled(): boolean;
  /**
   * Where a reader of big sources hands a full chunk of one metric's points while it is still
   * reading the run (so a 1 GB event file's points never sit in memory together). The points are
   * written inside the run's transaction, which commits only when the run has been read in full
   * and is dropped if it never is; a dry run lets them go.
   */
  spill?: (run: RunStub, key: string, points: SeriesPoints) => void;
}

/** What a reader knows of a run before it has read it: enough to find or create its row. */
export type RunStub = Pick<SourceRun, 'sourceId' | 'experiment' | 'name' | 'preferredId'>;

export interface ImportProgress {
  runsRead: number;
  pointsRead: number;
  skipped: number;
  current: string;
}

export interface ImportSummary {
  format: ImportFormat;
  source: string;
  dryRun: boolean;
  cancelled: boolean;
  experiments: string[];
  runs: { read: number; created: number; updated: number; unchanged: number };
  runIds: string[];
  params: number;
  tags: number;
  metricPoints: { read: number; added: number };
  /**
   * `missing`: runs whose artifact folder is not on this machine; `refused`: folders or files
   * outside the imported folder, not copied; `failed`: files that could not be copied. Each
   * refused or failed one is listed in `skipped` with its file and reason.
   */
  artifacts: { copied: number; missing: number; refused: number; failed: number };
  notImported: Record<string, number>;
  skipped: ImportProblem[];
}
