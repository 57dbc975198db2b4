import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { LooplineError, invalid } from '../errors.ts';
import { profileRows } from '../monitoring/data-profiler.ts';
import { categoricalColumn, datasetDrift, driftColumnFromProfile, featureDrift, type DatasetDrift, type DriftSettings, type FeatureDrift } from '../monitoring/feature-drift.ts';
import { profileOrSaved } from '../monitoring/profile-file.ts';
import type { ColumnProfile, DataProfile } from '../monitoring/profile-types.ts';
import type { ModelRegistry } from '../registry/model-registry.ts';
import type { ModelVersion } from '../registry/registry-types.ts';
import type { CapturedRequest, CaptureSettings, Feedback } from './capture-store.ts';

export interface MonitorWindow {
  /** Requests of the last `sinceMs` milliseconds… */
  sinceMs?: number;
  /** …or the last N requests (the default: 1000). */
  last?: number;
}

export interface MonitorReport {
  deployment: string;
  model: string;
  version: number | null;
  window: { last?: number; sinceMs?: number; from: number | null; to: number | null };
  drifted: boolean;
  status: DatasetDrift['status'];
  share: number;
  shareThreshold: number;
  features: FeatureDrift[];
  skipped: DatasetDrift['skipped'];
  prediction: (FeatureDrift & { reference: string }) | { status: 'unavailable'; reason: string };
  accuracy: { labelled: number; correct: number; value: number | null; validation: number | null; validationMetric: string | null; delta: number | null; feedbackOutsideWindow: number };
  requests: { window: number; stored: number; errors: number; perMinute: number | null; latencyMs: { p50: number | null; p95: number | null }; capture: CaptureSettings };
  reference: { name: string; rows: number; sha256: string };
}

/** Parses `1h`, `30m`, `2d`, `45s` into milliseconds. */
export function parseWindow(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim());
  if (!m) throw invalid(`A window is a duration such as 30m, 1h or 2d (got '${text}'); or use --last N for the last N requests.`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** Where a version's reference profile is kept once computed. */
export function referenceProfilePath(registry: ModelRegistry, v: ModelVersion): string {
  return join(dirname(registry.store.path), 'reference-profiles', `${v.model}-v${v.version}.json`);
}

/**
 * The version's reference profile: a given file (a data file or a saved profile), else the one saved
 * for the version, else computed from `loopline.yaml` `data: {train: …}` and saved for next time.
 */
export async function referenceProfile(registry: ModelRegistry, v: ModelVersion, referenceFile?: string): Promise<DataProfile> {
  const saved = referenceProfilePath(registry, v);
  if (referenceFile) {
    const p = await profileOrSaved(isAbsolute(referenceFile) ? referenceFile : join(process.cwd(), referenceFile));
    mkdirSync(dirname(saved), { recursive: true });
    writeFileSync(saved, JSON.stringify(p));
    return p;
  }
  if (existsSync(saved)) return profileOrSaved(saved);
  const data = registry.projectConfig().raw.data as { train?: unknown } | undefined;
  const train = data && typeof data === 'object' ? data.train : undefined;
  if (typeof train !== 'string') {
    throw new LooplineError('INVALID_STATE', `${v.model}/${v.version} has no reference profile: declare the training data in loopline.yaml (data: {train: data/train.csv}) or pass --reference FILE (the training data or a profile from loopline profile --out).`);
  }
  const p = await profileOrSaved(join(registry.projectDir, train));
  mkdirSync(dirname(saved), { recursive: true });
  writeFileSync(saved, JSON.stringify(p));
  return p;
}

interface ParsedExchange {
  rows: unknown[][];
  predictions: unknown[];
}

/**
 * One captured request as rows of the reference's columns: `instances`/`inputs` rows by position
 * (objects by name), `dataframe_split` and `dataframe_records` by name.
 */
export function rowsOfRequest(body: string, columns: string[]): unknown[][] {
  let j: unknown;
  try {
    j = JSON.parse(body);
  } catch {
    return [];
  }
  if (!j || typeof j !== 'object') return [];
  const o = j as Record<string, unknown>;
  const byName = (rec: Record<string, unknown>) => columns.map((c) => (c in rec ? rec[c] : undefined));
  const list = (o.instances ?? o.inputs) as unknown;
  if (Array.isArray(list)) return list.map((r) => (Array.isArray(r) ? columns.map((_, i) => (i < r.length ? r[i] : undefined)) : r && typeof r === 'object' ? byName(r as Record<string, unknown>) : []));
  const split = o.dataframe_split as { columns?: unknown; data?: unknown } | undefined;
  if (split && Array.isArray(split.data)) {
    const cols = Array.isArray(split.columns) ? (split.columns as string[]) : columns;
    return (split.data as unknown[]).filter(Array.isArray).map((r) => columns.map((c) => ((r as unknown[])[cols.indexOf(c)] ?? undefined)));
  }
  if (Array.isArray(o.dataframe_records)) return (o.dataframe_records as unknown[]).filter((r) => r && typeof r === 'object').map((r) => byName(r as Record<string, unknown>));
  return [];
}

function predictionsOf(body: string): unknown[] {
  try {
    const j = JSON.parse(body) as unknown;
    if (Array.isArray(j)) return j;
    const p = (j as { predictions?: unknown })?.predictions;
    return Array.isArray(p) ? p : [];
  } catch {
    return [];
  }
}

export const predText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function quantile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Live accuracy is compared with the first of these the version's run logged. */
const VALIDATION_METRICS = ['val_accuracy', 'validation_accuracy', 'accuracy', 'val_acc'];

/**
 * Drift, prediction drift, live accuracy and request figures of one deployment's window of captured
 * requests against the live version's reference profile.
 */
export function monitorReport(input: {
  deployment: string;
  version: ModelVersion | null;
  model: string;
  reference: DataProfile;
  captured: CapturedRequest[];
  stored: number;
  feedback: Map<string, Feedback>;
  capture: CaptureSettings;
  settings: DriftSettings;
  window: MonitorWindow;
}): MonitorReport {
  const { reference, captured } = input;
  const refCols = reference.columns.map((c) => c.name);
  const ok = captured.filter((c) => c.status >= 200 && c.status < 300);
  const exchanges: ParsedExchange[] = ok.map((c) => ({ rows: rowsOfRequest(c.request, refCols), predictions: predictionsOf(c.response) }));
  // Features: the reference columns the requests carry; a column they never carry is the target.
  const used = new Set<number>();
  for (const e of exchanges) for (const r of e.rows) r.forEach((v, i) => v !== undefined && used.add(i));
  const featureIdx = [...used].sort((a, b) => a - b);
  const featureNames = featureIdx.map((i) => refCols[i]!);
  const rows = exchanges.flatMap((e) => e.rows.map((r) => featureIdx.map((i) => r[i] ?? null)));
  const current = profileRows('captured requests', featureNames, rows);
  const refFeatures = used.size ? reference.columns.filter((c) => featureNames.includes(c.name)) : reference.columns;
  const drift = datasetDrift(refFeatures.map(driftColumnFromProfile), current.columns.map(driftColumnFromProfile), input.settings);

  const targets = used.size ? reference.columns.filter((c, i) => !used.has(i) && c.type !== 'text') : [];
  const target: ColumnProfile | undefined = targets.length === 1 ? targets[0] : undefined;
  const preds = exchanges.flatMap((e) => e.predictions.map(predText));
  const predRef = reference.predictions;
  const prediction: MonitorReport['prediction'] = predRef
    ? { ...featureDrift(driftColumnFromProfile(predRef.column), categoricalColumn('prediction', preds), input.settings), name: 'prediction', reference: predRef.source }
    : target
    ? { ...featureDrift(driftColumnFromProfile(target), categoricalColumn('prediction', preds), input.settings), name: 'prediction', reference: target.name }
    : { status: 'unavailable', reason: targets.length ? `the reference has ${targets.length} columns the requests do not carry (${targets.map((t) => t.name).join(', ')}); cannot tell which is the target` : 'the reference has no target column besides the features' };

  // Live accuracy: feedback joined to captured requests by request id.
  let labelled = 0;
  let correct = 0;
  const seen = new Set<string>();
  for (const c of ok) {
    const f = input.feedback.get(c.requestId);
    if (!f) continue;
    seen.add(c.requestId);
    const ps = predictionsOf(c.response).map(predText);
    let labels: string[] = [f.label];
    try {
      const l = JSON.parse(f.label) as unknown;
      if (Array.isArray(l) && l.length === ps.length) labels = l.map(predText);
    } catch {
      /* a plain string label */
    }
    labels.forEach((l, i) => {
      if (ps[i] === undefined) return;
      labelled++;
      if (ps[i] === l) correct++;
    });
  }
  const v = input.version;
  const metric = v ? VALIDATION_METRICS.find((m) => v.lineage.metrics?.[m]) ?? null : null;
  const validation = v && metric ? v.lineage.metrics[metric]!.last : null;
  const value = labelled ? correct / labelled : null;

  const latencies = ok.map((c) => c.latencyMs).sort((a, b) => a - b);
  const from = captured[0]?.time ?? null;
  const to = captured[captured.length - 1]?.time ?? null;
  const spanMin = from !== null && to !== null && to > from ? (to - from) / 60_000 : null;
  return {
    deployment: input.deployment,
    model: input.model,
    version: v?.version ?? null,
    window: { ...input.window, from, to },
    drifted: drift.drifted,
    status: drift.status,
    share: drift.share,
    shareThreshold: drift.shareThreshold,
    features: drift.features,
    skipped: drift.skipped,
    prediction,
    accuracy: { labelled, correct, value, validation, validationMetric: metric, delta: value !== null && validation !== null ? value - validation : null, feedbackOutsideWindow: input.feedback.size - seen.size },
    requests: {
      window: captured.length,
      stored: input.stored,
      errors: captured.length - ok.length,
      perMinute: spanMin ? captured.length / spanMin : null,
      latencyMs: { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95) },
      capture: input.capture,
    },
    reference: { name: reference.source.name, rows: reference.rows, sha256: reference.source.sha256 },
  };
}
