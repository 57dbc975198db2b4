import type { SeriesResult } from '../../core/series/series-reader.ts';
import type { MetricSummary, Run } from '../../core/store/types.ts';
import { toWire, type MetricSummaryMsg, type RunMsg, type SeriesMsg } from '../../protocol/common.ts';

/** Core objects to the plain messages the webviews receive. */
export function toSummaryMsg(m: MetricSummary): MetricSummaryMsg {
  return {
    key: m.key,
    last: toWire(m.last),
    lastStep: m.lastStep,
    min: m.min === null ? null : toWire(m.min),
    minStep: m.minStep,
    max: m.max === null ? null : toWire(m.max),
    maxStep: m.maxStep,
    count: m.count,
  };
}

export function toRunMsg(run: Run, colorIndex: number): RunMsg {
  return {
    id: run.info.id,
    name: run.info.name,
    experimentId: run.info.experimentId,
    status: run.info.status,
    startTime: run.info.startTime,
    endTime: run.info.endTime,
    params: run.params,
    tags: Object.fromEntries(Object.entries(run.tags).filter(([k]) => !k.startsWith('mlflow.') && !k.startsWith('loopline.'))),
    metrics: run.metrics.map(toSummaryMsg),
    colorIndex,
  };
}

export function toSeriesMsg(runId: string, key: string, r: SeriesResult): SeriesMsg {
  // Own copies: the reader's columns may be views of a larger buffer, and each message transfers
  // its buffers whole.
  const values = Float64Array.from(r.values, (v) => (Number.isFinite(v) ? v : NaN));
  return {
    runId,
    key,
    steps: Float64Array.from(r.steps),
    times: Float64Array.from(r.times),
    values,
    downsampled: r.downsampled,
    sourcePoints: r.sourcePoints,
    minStep: r.minStep,
    maxStep: r.maxStep,
  };
}
