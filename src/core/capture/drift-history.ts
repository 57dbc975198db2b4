import type Database from 'better-sqlite3';
import type { DriftSettings, FeatureDrift } from '../monitoring/feature-drift.ts';
import type { DataProfile } from '../monitoring/profile-types.ts';
import type { ModelVersion } from '../registry/registry-types.ts';
import type { CaptureStore } from './capture-store.ts';
import { monitorReport, type MonitorReport } from './deployment-monitor.ts';
import type { HistorySettings } from './history-settings.ts';

/** One feature's result as kept in the history (the report's fields a chart or table needs). */
export type WindowFeature = Pick<FeatureDrift, 'name' | 'test' | 'statistic' | 'threshold' | 'sampleSize' | 'drifted' | 'status'> & {
  pValue?: number | null;
  distance?: number | null;
  psi: number | null;
};

export interface DriftWindow {
  id: number;
  deployment: string;
  model: string;
  version: number | null;
  firstRequest: number;
  lastRequest: number;
  from: number;
  to: number;
  requests: number;
  status: MonitorReport['status'];
  share: number;
  /** Dataset or prediction drift: what opens or continues an episode. */
  alert: boolean;
  episode: number | null;
  features: WindowFeature[];
  prediction: (WindowFeature & { reference: string }) | null;
  accuracy: { labelled: number; correct: number; value: number | null };
  computedTime: number;
}

export interface DriftEpisode {
  deployment: string;
  episode: number;
  firstWindow: number;
  startedTime: number;
  /** Features (and "prediction") that drifted in the episode's first window. */
  drifted: string[];
  announcedTime: number | null;
  /** Alerting windows so far. */
  windows: number;
  /** The newest evaluated window still alerts. */
  ongoing: boolean;
}

interface WindowRow {
  id: number;
  deployment: string;
  model: string;
  version: number | null;
  first_request: number;
  last_request: number;
  from_time: number;
  to_time: number;
  requests: number;
  status: MonitorReport['status'];
  share: number;
  prediction_status: string | null;
  alert: number;
  episode: number | null;
  labelled: number;
  correct: number;
  result: string;
  computed_time: number;
}

function toWindow(r: WindowRow): DriftWindow {
  const res = JSON.parse(r.result) as { features: WindowFeature[]; prediction: DriftWindow['prediction'] };
  return {
    id: r.id,
    deployment: r.deployment,
    model: r.model,
    version: r.version,
    firstRequest: r.first_request,
    lastRequest: r.last_request,
    from: r.from_time,
    to: r.to_time,
    requests: r.requests,
    status: r.status,
    share: r.share,
    alert: r.alert === 1,
    episode: r.episode,
    features: res.features,
    prediction: res.prediction,
    accuracy: { labelled: r.labelled, correct: r.correct, value: r.labelled ? r.correct / r.labelled : null },
    computedTime: r.computed_time,
  };
}

const slim = (f: FeatureDrift): WindowFeature => ({
  name: f.name,
  test: f.test,
  statistic: f.statistic,
  ...('pValue' in f ? { pValue: f.pValue ?? null } : { distance: f.distance ?? null }),
  threshold: f.threshold,
  sampleSize: f.sampleSize,
  drifted: f.drifted,
  status: f.status,
  psi: f.psi.value,
});

export interface HistoryUpdate {
  deployment: string;
  model: string;
  capture: CaptureStore;
  /** The version serving now (requests captured without a version label belong to it). */
  liveVersion: ModelVersion | null;
  versionOf: (version: number) => ModelVersion | null;
  /** The reference profile of a version; throws a clear error when it has none. */
  referenceFor: (v: ModelVersion) => Promise<DataProfile>;
  drift: DriftSettings;
  history: HistorySettings;
  now?: () => number;
  /** Most windows computed in one update; a longer backlog skips to its newest part. */
  maxWindows?: number;
}

/**
 * Sliding windows of captured requests, each window's drift result, and drift episodes: a run of
 * alerting windows that counts as one event (warned about once, retrained for once).
 */
export class DriftHistory {
  private readonly db: Database.Database;
  constructor(db: Database.Database) {
    this.db = db;
  }

  /** The newest `limit` windows, oldest first. */
  windows(deployment: string, limit = 100): DriftWindow[] {
    const rows = this.db.prepare('SELECT * FROM drift_windows WHERE deployment = ? ORDER BY first_request DESC LIMIT ?').all(deployment, limit) as WindowRow[];
    return rows.reverse().map(toWindow);
  }

  episodes(deployment: string): DriftEpisode[] {
    const rows = this.db
      .prepare(
        `SELECT e.*, (SELECT COUNT(*) FROM drift_windows w WHERE w.deployment = e.deployment AND w.episode = e.episode) AS windows
         FROM drift_episodes e WHERE deployment = ? ORDER BY episode`,
      )
      .all(deployment) as Array<{ deployment: string; episode: number; first_window: number; started_time: number; drifted: string; announced_time: number | null; windows: number }>;
    const latest = this.latestEvaluated(deployment);
    return rows.map((r) => ({
      deployment: r.deployment,
      episode: r.episode,
      firstWindow: r.first_window,
      startedTime: r.started_time,
      drifted: JSON.parse(r.drifted) as string[],
      announcedTime: r.announced_time,
      windows: r.windows,
      ongoing: latest?.episode === r.episode,
    }));
  }

  /** The episode the deployment is in now, if any. */
  currentEpisode(deployment: string): DriftEpisode | null {
    return this.episodes(deployment).find((e) => e.ongoing) ?? null;
  }

  /** Marks an episode's warning as shown; true only for the first caller (any process). */
  markAnnounced(deployment: string, episode: number, now = Date.now()): boolean {
    return this.db.prepare('UPDATE drift_episodes SET announced_time = ? WHERE deployment = ? AND episode = ? AND announced_time IS NULL').run(now, deployment, episode).changes === 1;
  }

  /** Forgets a deployment's history (with its captures). */
  clear(deployment: string): void {
    this.db.prepare('DELETE FROM drift_windows WHERE deployment = ?').run(deployment);
    this.db.prepare('DELETE FROM drift_episodes WHERE deployment = ?').run(deployment);
  }

  private latestEvaluated(deployment: string): { episode: number | null; alert: number } | undefined {
    return this.db.prepare("SELECT episode, alert FROM drift_windows WHERE deployment = ? AND status != 'insufficient-data' ORDER BY first_request DESC LIMIT 1").get(deployment) as { episode: number | null; alert: number } | undefined;
  }

  /**
   * Computes every complete window not yet in the history (window_requests requests, a new one
   * every window_step), stores each result, and opens an episode when a window alerts after one
   * that did not. Windows with too little data neither open nor close an episode.
   */
  async update(u: HistoryUpdate): Promise<{ added: DriftWindow[]; newEpisodes: DriftEpisode[] }> {
    const { deployment, capture } = u;
    const size = u.history.windowRequests;
    const step = u.history.windowStep;
    const now = u.now ?? Date.now;
    const last = this.db.prepare('SELECT first_request FROM drift_windows WHERE deployment = ? ORDER BY first_request DESC LIMIT 1').get(deployment) as { first_request: number } | undefined;
    // The next window starts `step` requests after the last one's start (ids are not contiguous:
    // other deployments share the sequence); if the ring dropped past it, at the oldest kept.
    let ids = capture.idsFrom(deployment, last?.first_request ?? 0);
    if (last && ids[0] === last.first_request) ids = ids.slice(step);
    const maxWindows = u.maxWindows ?? 200;
    const possible = ids.length >= size ? Math.floor((ids.length - size) / step) + 1 : 0;
    if (possible > maxWindows) ids = ids.slice((possible - maxWindows) * step);
    const references = new Map<number, DataProfile>();
    const feedback = capture.feedback(deployment);
    const added: DriftWindow[] = [];
    const newEpisodes: DriftEpisode[] = [];
    const captureSettings = capture.settings(deployment); // once, not per window
    for (let start = 0; start + size <= ids.length; start += step) {
      const captured = capture.requestsFrom(deployment, ids[start]!, size);
      if (captured.length < size) break;
      const version = this.windowVersion(captured.map((c) => c.version), u);
      if (!version) break;
      let reference = references.get(version.version);
      if (!reference) {
        reference = await u.referenceFor(version);
        references.set(version.version, reference);
      }
      const rep = monitorReport({
        deployment,
        model: u.model,
        version,
        reference,
        captured,
        stored: 0,
        feedback,
        capture: captureSettings,
        settings: u.drift,
        window: { last: size },
      });
      added.push(this.insert(rep, captured[0]!.id, captured[captured.length - 1]!.id, now(), newEpisodes));
    }
    this.refreshAccuracy(u, feedback, now());
    return { added, newEpisodes };
  }

  /** The version most of the window's requests were answered by (unlabelled: the live one). */
  private windowVersion(versions: Array<number | null>, u: HistoryUpdate): ModelVersion | null {
    const counts = new Map<number, number>();
    for (const v of versions) {
      const k = v ?? u.liveVersion?.version;
      if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    let best: number | undefined;
    for (const [k, n] of counts) if (best === undefined || n > counts.get(best)!) best = k;
    if (best === undefined) return null;
    return best === u.liveVersion?.version ? u.liveVersion : u.versionOf(best);
  }

  private insert(rep: MonitorReport, first: number, lastId: number, time: number, newEpisodes: DriftEpisode[]): DriftWindow {
    const p = rep.prediction;
    const prediction = 'test' in p ? { ...slim(p as FeatureDrift), reference: (p as { reference: string }).reference } : null;
    const alert = rep.status !== 'insufficient-data' && (rep.drifted || prediction?.status === 'drift');
    return this.db.transaction(() => {
      let episode: number | null = null;
      const prev = this.latestEvaluated(rep.deployment);
      if (alert) {
        if (prev?.alert === 1 && prev.episode !== null) episode = prev.episode;
        else {
          const max = (this.db.prepare('SELECT MAX(episode) AS m FROM drift_episodes WHERE deployment = ?').get(rep.deployment) as { m: number | null }).m ?? 0;
          episode = max + 1;
        }
      }
      const features = rep.features.map(slim);
      const info = this.db
        .prepare(
          `INSERT INTO drift_windows (deployment, model, version, first_request, last_request, from_time, to_time, requests, status, share, prediction_status, alert, episode, labelled, correct, result, computed_time)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(rep.deployment, rep.model, rep.version, first, lastId, rep.window.from ?? 0, rep.window.to ?? 0, rep.requests.window, rep.status, rep.share, prediction?.status ?? null, alert ? 1 : 0, episode, rep.accuracy.labelled, rep.accuracy.correct, JSON.stringify({ features, prediction }), time);
      const id = Number(info.lastInsertRowid);
      if (alert && episode !== (prev?.alert === 1 ? prev.episode : null)) {
        const drifted = [...features.filter((f) => f.drifted).map((f) => f.name), ...(prediction?.status === 'drift' ? ['prediction'] : [])];
        this.db.prepare('INSERT INTO drift_episodes (deployment, episode, first_window, started_time, drifted) VALUES (?, ?, ?, ?, ?)').run(rep.deployment, episode, id, rep.window.to ?? time, JSON.stringify(drifted));
        newEpisodes.push({ deployment: rep.deployment, episode: episode!, firstWindow: id, startedTime: rep.window.to ?? time, drifted, announcedTime: null, windows: 1, ongoing: true });
      }
      return toWindow(this.db.prepare('SELECT * FROM drift_windows WHERE id = ?').get(id) as WindowRow);
    })();
  }

  /** Labels often arrive after a window was computed: recompute live accuracy of windows older than the newest label. */
  private refreshAccuracy(u: HistoryUpdate, feedback: ReturnType<CaptureStore['feedback']>, time: number): void {
    if (!feedback.size) return;
    const newest = u.capture.latestFeedbackTime(u.deployment);
    const stale = this.db
      .prepare('SELECT id, first_request, requests FROM drift_windows WHERE deployment = ? AND computed_time <= ? ORDER BY first_request DESC LIMIT 50')
      .all(u.deployment, newest) as Array<{ id: number; first_request: number; requests: number }>;
    const update = this.db.prepare('UPDATE drift_windows SET labelled = ?, correct = ?, computed_time = ? WHERE id = ?');
    for (const w of stale) {
      const captured = u.capture.requestsFrom(u.deployment, w.first_request, w.requests);
      if (captured[0]?.id !== w.first_request) continue; // the ring dropped it: keep what was computed
      const { labelled, correct } = accuracyOf(captured, feedback);
      update.run(labelled, correct, time, w.id);
    }
  }
}

/** Labelled and correctly predicted rows of captured exchanges (feedback joined by request id). */
export function accuracyOf(captured: ReturnType<CaptureStore['requests']>, feedback: ReturnType<CaptureStore['feedback']>): { labelled: number; correct: number } {
  let labelled = 0;
  let correct = 0;
  for (const c of captured) {
    if (c.status < 200 || c.status >= 300) continue;
    const f = feedback.get(c.requestId);
    if (!f) continue;
    let preds: unknown[] = [];
    try {
      const j = JSON.parse(c.response) as unknown;
      preds = Array.isArray(j) ? j : Array.isArray((j as { predictions?: unknown })?.predictions) ? ((j as { predictions: unknown[] }).predictions) : [];
    } catch {
      continue;
    }
    const ps = preds.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
    let labels: string[] = [f.label];
    try {
      const l = JSON.parse(f.label) as unknown;
      if (Array.isArray(l) && l.length === ps.length) labels = l.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
    } catch {
      /* a plain string label */
    }
    labels.forEach((l, i) => {
      if (ps[i] === undefined) return;
      labelled++;
      if (ps[i] === l) correct++;
    });
  }
  return { labelled, correct };
}
