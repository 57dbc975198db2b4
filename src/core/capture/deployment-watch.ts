import { dirname, join } from 'node:path';
import { upstreamVersions } from '../deploy/access-metrics.ts';
import { DeploymentRecords } from '../deploy/deployment-records.ts';
import { invalid } from '../errors.ts';
import { monitoringSettings } from '../monitoring/monitoring-settings.ts';
import type { ModelRegistry } from '../registry/model-registry.ts';
import type { ModelVersion } from '../registry/registry-types.ts';
import { CaptureStore } from './capture-store.ts';
import { referenceProfile, rowsOfRequest } from './deployment-monitor.ts';
import { profileRows } from '../monitoring/data-profiler.ts';
import type { DataProfile } from '../monitoring/profile-types.ts';
import { DriftHistory, type DriftEpisode, type DriftWindow } from './drift-history.ts';
import { historySettings, type HistorySettings } from './history-settings.ts';

/** Where a deployment's proxy writes its capture log (the same path DeploymentManager.captureLog gives). */
export function captureLogPath(storePath: string, deployment: string): string {
  return join(dirname(storePath), 'deployments', deployment, 'logs', 'capture.jsonl');
}

export interface DriftState {
  deployment: string;
  model: string;
  liveVersion: number | null;
  windows: DriftWindow[];
  /** The episode in progress (the newest evaluated window alerts), if any. */
  episode: DriftEpisode | null;
  /** Episodes opened by this refresh. */
  newEpisodes: DriftEpisode[];
  settings: HistorySettings;
}

/**
 * Brings a deployment's drift history up to date: ingests what the proxy captured since the last
 * call, computes every new complete window against the live version's reference profile and
 * returns the newest `show` windows. Needs no container engine (the CLI and the extension share it).
 */
export async function refreshDriftHistory(registry: ModelRegistry, deployment: string, opts: { referenceFile?: string; show?: number; now?: () => number } = {}): Promise<DriftState> {
  const db = registry.store.db;
  const d = new DeploymentRecords(db).get(deployment);
  const capture = new CaptureStore(db);
  const live = d.slots.find((s) => s.role === 'live');
  capture.ingest(deployment, captureLogPath(registry.store.path, deployment), upstreamVersions(d.slots));
  const liveVersion = live ? registry.getVersion(d.model, live.version) : null;
  if (!liveVersion) throw invalid(`Deployment '${deployment}' has no live version, so there is nothing to compare its traffic with. Deploy one with loopline deploy MODEL/VERSION --name ${deployment}, or loopline rollback ${deployment}.`);
  const project = registry.projectConfig();
  const settings = historySettings(project);
  const history = new DriftHistory(db);
  const versionOf = (n: number): ModelVersion | null => {
    try {
      return registry.getVersion(d.model, n);
    } catch {
      return null;
    }
  };
  const { newEpisodes } = await history.update({
    deployment,
    model: d.model,
    capture,
    liveVersion,
    versionOf,
    referenceFor: (v) => referenceProfile(registry, v, v.version === liveVersion.version ? opts.referenceFile : undefined),
    drift: monitoringSettings(project),
    history: settings,
    ...(opts.now ? { now: opts.now } : {}),
  });
  return { deployment, model: d.model, liveVersion: liveVersion.version, windows: history.windows(deployment, opts.show ?? 100), episode: history.currentEpisode(deployment), newEpisodes, settings };
}

/** The profile of one window's captured requests (the reference's feature columns), to draw beside the reference. */
export function windowProfile(registry: ModelRegistry, w: DriftWindow, reference: DataProfile): DataProfile {
  const capture = new CaptureStore(registry.store.db);
  const captured = capture.requestsFrom(w.deployment, w.firstRequest, w.requests).filter((c) => c.id <= w.lastRequest && c.status >= 200 && c.status < 300);
  const cols = reference.columns.map((c) => c.name);
  const names = w.features.map((f) => f.name);
  const idx = names.map((n) => cols.indexOf(n));
  const rows = captured.flatMap((c) => rowsOfRequest(c.request, cols).map((r) => idx.map((i) => r[i] ?? null)));
  return profileRows(`window ${w.id}`, names, rows);
}
