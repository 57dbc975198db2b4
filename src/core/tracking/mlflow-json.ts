import { toWire } from '../../shared/wire-number.ts';
import type { ArtifactEntry, Experiment, KeyValue, MetricPoint, Run, RunInfo } from '../store/types.ts';

/**
 * Domain objects to the JSON shapes MLflow's REST API returns (protobuf JSON: unset fields
 * omitted, int64 as numbers, non-finite doubles as the strings "NaN", "Infinity", "-Infinity").
 */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };


export function runArtifactUri(info: Pick<RunInfo, 'experimentId' | 'id'>): string {
  return `mlflow-artifacts:/${info.experimentId}/${info.id}/artifacts`;
}

function kvList(rec: Record<string, string>): KeyValue[] {
  return Object.entries(rec).map(([key, value]) => ({ key, value }));
}

export function toMlflowExperiment(e: Experiment): Json {
  return {
    experiment_id: e.id,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: e.lastUpdateTime,
    creation_time: e.creationTime,
    tags: kvList(e.tags) as unknown as Json,
  };
}

export function toMlflowRunInfo(info: RunInfo): Json {
  const out: { [k: string]: Json } = {
    run_id: info.id,
    run_uuid: info.id,
    run_name: info.name,
    experiment_id: info.experimentId,
    user_id: info.userId,
    status: info.status,
    start_time: info.startTime,
    artifact_uri: runArtifactUri(info),
    lifecycle_stage: info.lifecycleStage,
  };
  if (info.endTime !== null) out.end_time = info.endTime;
  return out;
}

export function toMlflowMetric(p: MetricPoint): Json {
  return { key: p.key, value: toWire(p.value), timestamp: p.timestamp, step: p.step };
}

export function toMlflowRun(run: Run): Json {
  return {
    info: toMlflowRunInfo(run.info),
    data: {
      metrics: run.metrics.map((m) => toMlflowMetric({ key: m.key, value: m.last, timestamp: m.lastTimestamp, step: m.lastStep })),
      params: kvList(run.params) as unknown as Json,
      tags: kvList(run.tags) as unknown as Json,
    },
    inputs: {},
  };
}

export function toMlflowFileInfo(e: ArtifactEntry, path = e.path): Json {
  const out: { [k: string]: Json } = { path, is_dir: e.isDir };
  if (!e.isDir && e.size !== null) out.file_size = e.size;
  return out;
}
