import type { ServeSpec } from '../project/project-config.ts';

/** Domain types of the model registry. Times are epoch milliseconds. */

export interface MetricSnapshot {
  last: number;
  min: number | null;
  max: number | null;
  lastStep: number;
  count: number;
}

/** A data file a run recorded (loopline.data.<role>.* tags). */
export interface DataLineage {
  name: string;
  sha256: string;
  rows: number;
  bytes: number;
}

/** Where a version came from, copied at registration so it outlives its run. */
export interface Lineage {
  runId: string | null;
  runName: string | null;
  experimentId: string | null;
  experimentName: string | null;
  runStatus: string | null;
  startTime: number | null;
  endTime: number | null;
  sourceFile: string | null;
  command: string | null;
  git: { commit: string | null; branch: string | null; dirty: boolean; patchTruncated: boolean } | null;
  params: Record<string, string>;
  metrics: Record<string, MetricSnapshot>;
  /** The sweep's parent run (`mlflow.parentRunId`), if the run was a trial. */
  sweepParent: string | null;
  /** The data files the run recorded (`loopline.data.<role>.*` tags), by role; absent in older versions. */
  data?: Record<string, DataLineage>;
  serve: ServeSpec | null;
  registeredBy: string;
  registeredAt: number;
}

export interface ModelVersion {
  model: string;
  version: number;
  creationTime: number;
  lastUpdatedTime: number;
  description: string;
  userId: string;
  source: string;
  runId: string | null;
  artifactPath: string;
  /** sha256 over the version's files; names its folder under `.loopline/registry/sha256/`. */
  contentHash: string;
  /** The folder holding the version's files (read-only copies). */
  dir: string;
  fileCount: number;
  size: number;
  archived: boolean;
  aliases: string[];
  tags: Record<string, string>;
  lineage: Lineage;
}

export interface RegisteredModel {
  name: string;
  description: string;
  creationTime: number;
  lastUpdatedTime: number;
  tags: Record<string, string>;
  /** alias → version */
  aliases: Record<string, number>;
  latestVersion: number | null;
  versionCount: number;
}

/** Which versions of a model are deployed right now; provided by the deploy feature. */
export type DeployedVersionsLookup = (model: string) => number[];
