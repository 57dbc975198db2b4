import type Database from 'better-sqlite3';
import { LooplineError } from '../errors.ts';
import type { ModelRegistry } from '../registry/model-registry.ts';
import type { DriftState } from './deployment-watch.ts';

export type RetrainTrigger = 'manual' | 'on-drift';
export type RetrainStatus = 'running' | 'passed' | 'gated' | 'failed';

export interface RetrainRecord {
  id: number;
  deployment: string;
  trigger: RetrainTrigger;
  episode: number | null;
  status: RetrainStatus;
  startedTime: number;
  endedTime: number | null;
  pid: number | null;
  data: string | null;
  runId: string | null;
  version: number | null;
  detail: Record<string, unknown>;
}

interface RetrainRow {
  id: number;
  deployment: string;
  trigger: RetrainTrigger;
  episode: number | null;
  status: RetrainStatus;
  started_time: number;
  ended_time: number | null;
  pid: number | null;
  data: string | null;
  run_id: string | null;
  version: number | null;
  detail: string;
}

const toRecord = (r: RetrainRow): RetrainRecord => ({ id: r.id, deployment: r.deployment, trigger: r.trigger, episode: r.episode, status: r.status, startedTime: r.started_time, endedTime: r.ended_time, pid: r.pid, data: r.data, runId: r.run_id, version: r.version, detail: JSON.parse(r.detail) as Record<string, unknown> });

function alive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Retrains of deployments: at most one running per deployment (a unique index guards it). */
export class Retrains {
  private readonly db: Database.Database;
  constructor(db: Database.Database) {
    this.db = db;
  }

  list(deployment: string): RetrainRecord[] {
    return (this.db.prepare('SELECT * FROM retrains WHERE deployment = ? ORDER BY id').all(deployment) as RetrainRow[]).map(toRecord);
  }

  /** The running retrain; one whose process died is marked failed first. */
  running(deployment: string): RetrainRecord | null {
    const r = this.db.prepare("SELECT * FROM retrains WHERE deployment = ? AND status = 'running'").get(deployment) as RetrainRow | undefined;
    if (!r) return null;
    if (!alive(r.pid)) {
      this.finish(r.id, 'failed', { error: `the retrain's process (${r.pid}) ended without recording an outcome` });
      return null;
    }
    return toRecord(r);
  }

  /** Whether this episode already had an on-drift retrain (one per episode). */
  triggeredFor(deployment: string, episode: number): boolean {
    return this.db.prepare("SELECT 1 FROM retrains WHERE deployment = ? AND trigger = 'on-drift' AND episode = ?").get(deployment, episode) !== undefined;
  }

  begin(deployment: string, trigger: RetrainTrigger, episode: number | null, now: number): RetrainRecord {
    if (trigger === 'on-drift' && episode !== null && this.triggeredFor(deployment, episode)) throw new LooplineError('INVALID_STATE', `Drift episode ${episode} of '${deployment}' already had its on-drift retrain (one per episode).`);
    const running = this.running(deployment);
    if (running) throw new LooplineError('INVALID_STATE', `A retrain of '${deployment}' is already running (started ${new Date(running.startedTime).toISOString()} by process ${running.pid}); only one runs at a time.`);
    const info = this.db.prepare("INSERT INTO retrains (deployment, trigger, episode, status, started_time, pid) VALUES (?, ?, ?, 'running', ?, ?)").run(deployment, trigger, episode, now, process.pid);
    return toRecord(this.db.prepare('SELECT * FROM retrains WHERE id = ?').get(info.lastInsertRowid) as RetrainRow);
  }

  update(id: number, patch: { data?: string; runId?: string; version?: number }): void {
    if (patch.data !== undefined) this.db.prepare('UPDATE retrains SET data = ? WHERE id = ?').run(patch.data, id);
    if (patch.runId !== undefined) this.db.prepare('UPDATE retrains SET run_id = ? WHERE id = ?').run(patch.runId, id);
    if (patch.version !== undefined) this.db.prepare('UPDATE retrains SET version = ? WHERE id = ?').run(patch.version, id);
  }

  finish(id: number, status: Exclude<RetrainStatus, 'running'>, detail: Record<string, unknown>, now = Date.now()): void {
    this.db.prepare('UPDATE retrains SET status = ?, ended_time = ?, detail = ? WHERE id = ?').run(status, now, JSON.stringify(detail), id);
  }
}

/**
 * The drift episode an on-drift retrain is due for: `monitoring.retrain: on-drift`, the episode has
 * lasted `retrain_after` windows, it had no retrain yet, and none is running.
 */
export function onDriftRetrainDue(registry: ModelRegistry, state: DriftState): number | null {
  const e = state.episode;
  if (state.settings.retrain !== 'on-drift' || !e || e.windows < state.settings.retrainAfter) return null;
  const retrains = new Retrains(registry.store.db);
  if (retrains.triggeredFor(state.deployment, e.episode) || retrains.running(state.deployment)) return null;
  return e.episode;
}

