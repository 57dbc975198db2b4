import type { SeriesResult } from '../../core/series/series-reader.ts';
import type { MetricSummary, Run } from '../../core/store/types.ts';
import type { CompareInit } from '../../protocol/compare-protocol.ts';
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

/** The Compare webview's `init` for these runs (without `firstSeries`, which the session adds). */
export function toCompareInit(runs: Run[], mode: CompareInit['mode']): CompareInit {
  const metricKeys = [...new Set(runs.flatMap((r) => r.metrics.map((m) => m.key)))].sort();
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const sweepParams = runs.length > 1 ? paramKeys.filter((k) => new Set(runs.map((r) => r.params[k])).size > 1) : [];
  return {
    type: 'init',
    mode,
    runs: runs.map((r, i) => toRunMsg(r, i)),
    metricKeys,
    paramKeys,
    sweepParams,
    live: runs.some((r) => r.info.status === 'RUNNING'),
  };
}
