/** Domain types of the experiment store. Times are epoch milliseconds. */

import type { RunStatus } from '../../shared/run-status.ts';

export { RUN_STATUSES, type RunStatus } from '../../shared/run-status.ts';
export type LifecycleStage = 'active' | 'deleted';
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export interface Experiment {
  id: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  creationTime: number;
  lastUpdateTime: number;
  tags: Record<string, string>;
}

/** The code a run used. `isRepo: false` means the run was started outside any git repository. */
export interface GitSnapshot {
  isRepo: boolean;
  commit: string | null;
  branch: string | null;
  dirty: boolean;
  /** `git diff` of uncommitted changes (tracked and untracked files) against `commit`. */
  patch: string | null;
  patchTruncated?: boolean;
}

export interface RunInfo {
  id: string;
  experimentId: string;
  name: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  lifecycleStage: LifecycleStage;
  userId: string;
  command: string | null;
  sourceFile: string | null;
  git: GitSnapshot | null;
  exitCode: number | null;
  backend: string | null;
}

export interface MetricPoint {
  key: string;
  /** NaN and ±Infinity are kept as such. */
  value: number;
  timestamp: number;
  step: number;
}

/** Kept current at insert time, so tables never scan metric histories. NaN is ignored by min/max. */
export interface MetricSummary {
  key: string;
  last: number;
  lastStep: number;
  lastTimestamp: number;
  min: number | null;
  minStep: number | null;
  max: number | null;
  maxStep: number | null;
  count: number;
}

export interface Run {
  info: RunInfo;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: MetricSummary[];
}

export interface ArtifactEntry {
  path: string;
  isDir: boolean;
  size: number | null;
  sha256?: string | null;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface LogBatch {
  metrics?: MetricPoint[];
  params?: KeyValue[];
  tags?: KeyValue[];
}

export interface NewRun {
  experimentId?: string;
  name?: string;
  /** Used by spool import so a run created offline keeps its id. */
  id?: string;
  startTime?: number;
  status?: RunStatus;
  userId?: string;
  command?: string | null;
  sourceFile?: string | null;
  git?: GitSnapshot | null;
  backend?: string | null;
  tags?: KeyValue[];
  params?: KeyValue[];
}

export interface RunUpdate {
  status?: RunStatus;
  startTime?: number;
  endTime?: number | null;
  name?: string;
  exitCode?: number | null;
}

export interface SearchRunsQuery {
  experimentIds: string[];
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
  viewType?: ViewType;
}

export interface SearchRunsPage {
  runs: Run[];
  nextPageToken: string | null;
}
