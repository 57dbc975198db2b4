import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { LooplineError, invalid, notFound } from '../errors.ts';
import { joinCommandLine } from '../runs/command-line.ts';
import type { RunStore } from '../store/run-store.ts';
import type { GitSnapshot, KeyValue, LogBatch, Run } from '../store/types.ts';
import { fillCommand } from './command-template.ts';
import { expandTrials, parseDefinition, validateDefinition, type SweepDefinition } from './sweep-definition.ts';

export const SWEEP_TAG = 'loopline.sweep';
export const PARENT_TAG = 'mlflow.parentRunId';
export const TRIAL_TAG = 'loopline.sweep.trial';
export const ATTEMPT_TAG = 'loopline.sweep.attempt';
export const STATUS_REASON_TAG = 'loopline.statusReason';
/** A trial whose launcher died is retried as a new run at most this many times in all. */
export const MAX_ATTEMPTS = 3;

export type TrialState = 'queued' | 'running' | 'done' | 'cancelled';

export interface QueuedTrial {
  runId: string;
  sweepId: string;
  position: number;
  attempt: number;
  state: TrialState;
  cancelRequested: boolean;
  owner: string | null;
  leaseUntil: number | null;
  pid: number | null;
  host: string | null;
}

export interface SweepRecord {
  runId: string;
  definition: SweepDefinition;
  parallel: number;
  state: 'active' | 'finished' | 'cancelled';
  created: number;
  owner: string | null;
  leaseUntil: number | null;
}

interface TrialRow {
  uuid: string;
  sweep_uuid: string;
  position: number;
  attempt: number;
  state: TrialState;
  cancel_requested: number;
  owner: string | null;
  lease_until: number | null;
  pid: number | null;
  host: string | null;
}

const TRIAL_SELECT = `SELECT r.uuid, s.uuid AS sweep_uuid, t.position, t.attempt, t.state, t.cancel_requested, t.owner, t.lease_until, t.pid, t.host
  FROM sweep_trials t JOIN runs r ON r.pk = t.run JOIN runs s ON s.pk = t.sweep`;

/** Identifies one scheduler process: host, pid (to tell a dead one on this machine at once) and a nonce. */
export function newOwnerId(): string {
  return `${hostname()}|${process.pid}|${randomBytes(4).toString('hex')}`;
}

/** The owner ran on this machine, so whether its process lives can be checked directly. */
export function ownerOnThisHost(owner: string | null): boolean {
  return !!owner && owner.split('|')[0] === hostname();
}

/** False only when we can tell: the owner ran on this machine and its process is gone. */
export function ownerProcessAlive(owner: string | null): boolean {
  if (!owner) return false;
  const [host, pid] = owner.split('|');
  if (host !== hostname()) return true;
  return processAlive(Number(pid));
}

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The persistent run queue: a sweep is a parent run, its trials are child runs (SCHEDULED until
 * started), and these tables add the order and the leases. Every state change is a short
 * IMMEDIATE transaction with a compare-and-set, so several launchers (CLI, VS Code windows) can
 * work one queue: a trial is claimed by exactly one of them, and a launcher that died is noticed
 * (its lease runs out, or on this machine its process is gone) and its trials taken over.
 */
export class SweepQueue {
  readonly store: RunStore;
  private readonly now: () => number;

  constructor(store: RunStore, now: () => number = Date.now) {
    this.store = store;
    this.now = now;
  }

  private get db() {
    return this.store.db;
  }

  private pk(runId: string): number {
    const row = this.db.prepare('SELECT pk FROM runs WHERE uuid = ?').get(runId) as { pk: number } | undefined;
    if (!row) throw notFound(`Run '${runId}' not found.`);
    return row.pk;
  }

  /** Creates the parent run, one SCHEDULED child run per trial, and their queue entries, atomically. */
  createSweep(def: SweepDefinition, code: { git: GitSnapshot | null; sourceFile: string | null; backendName: string }): { sweepId: string; trialIds: string[] } {
    validateDefinition(def);
    const trials = expandTrials(def);
    const experiment = def.experiment ? this.store.ensureExperiment(def.experiment) : this.store.getExperiment('0');
    const t = this.now();
    return this.db
      .transaction(() => {
        const parent = this.store.createRun({
          experimentId: experiment.id,
          name: def.name ?? '',
          command: joinCommandLine(def.command),
          sourceFile: code.sourceFile,
          git: code.git,
          backend: code.backendName,
          tags: [
            { key: SWEEP_TAG, value: JSON.stringify(def) },
            { key: 'mlflow.source.type', value: 'LOCAL' },
            { key: 'loopline.cwd', value: def.cwd },
          ],
        });
        const sweepPk = this.pk(parent.info.id);
        this.db.prepare('INSERT INTO sweeps (run, definition, parallel, created) VALUES (?, ?, ?, ?)').run(sweepPk, JSON.stringify(def), def.parallel, t);
        const ids = trials.map((params, i) => this.insertTrial(parent, def, params, i, 1, code, []));
        return { sweepId: parent.info.id, trialIds: ids };
      })
      .immediate();
  }

  private insertTrial(
    parent: Run,
    def: SweepDefinition,
    params: Record<string, string>,
    position: number,
    attempt: number,
    code: { git: GitSnapshot | null; sourceFile: string | null; backendName: string },
    extraTags: KeyValue[],
  ): string {
    const label = Object.entries(params)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const run = this.store.createRun({
      experimentId: parent.info.experimentId,
      name: `${parent.info.name}-${position + 1}${attempt > 1 ? `-retry${attempt - 1}` : ''}`,
      status: 'SCHEDULED',
      command: joinCommandLine(fillCommand(def.command, params)),
      sourceFile: code.sourceFile,
      git: code.git,
      backend: code.backendName,
      params: Object.entries(params).map(([key, value]) => ({ key, value })),
      tags: [
        { key: PARENT_TAG, value: parent.info.id },
        { key: TRIAL_TAG, value: String(position + 1) },
        { key: ATTEMPT_TAG, value: String(attempt) },
        { key: 'mlflow.source.type', value: 'LOCAL' },
        { key: 'loopline.sweep.params', value: label },
        ...extraTags,
      ],
    });
    this.db
      .prepare('INSERT INTO sweep_trials (run, sweep, position, attempt) VALUES (?, ?, ?, ?)')
      .run(this.pk(run.info.id), this.pk(parent.info.id), position, attempt);
    return run.info.id;
  }

  sweep(sweepId: string): SweepRecord {
    const row = this.db
      .prepare('SELECT w.definition, w.parallel, w.state, w.created, w.owner, w.lease_until FROM sweeps w JOIN runs r ON r.pk = w.run WHERE r.uuid = ?')
      .get(sweepId) as { definition: string; parallel: number; state: SweepRecord['state']; created: number; owner: string | null; lease_until: number | null } | undefined;
    if (!row) throw notFound(`Run ${sweepId} is not a sweep.`);
    return { runId: sweepId, definition: parseDefinition(row.definition), parallel: row.parallel, state: row.state, created: row.created, owner: row.owner, leaseUntil: row.lease_until };
  }

  isSweep(runId: string): boolean {
    return this.db.prepare('SELECT 1 FROM sweeps w JOIN runs r ON r.pk = w.run WHERE r.uuid = ?').get(runId) !== undefined;
  }

  /** Sweeps whose parent run has not ended yet (oldest first). */
  activeSweepIds(): string[] {
    return this.db.prepare("SELECT r.uuid FROM sweeps w JOIN runs r ON r.pk = w.run WHERE w.ended IS NULL ORDER BY w.created").pluck().all() as string[];
  }

  /** Every sweep's parent run id, newest first. */
  allSweepIds(): string[] {
    return this.db.prepare('SELECT r.uuid FROM sweeps w JOIN runs r ON r.pk = w.run ORDER BY w.created DESC').pluck().all() as string[];
  }

  trials(sweepId: string): QueuedTrial[] {
    return (this.db.prepare(`${TRIAL_SELECT} WHERE s.uuid = ? ORDER BY t.position, t.attempt`).all(sweepId) as TrialRow[]).map(toTrial);
  }

  trial(runId: string): QueuedTrial | undefined {
    const row = this.db.prepare(`${TRIAL_SELECT} WHERE r.uuid = ?`).get(runId) as TrialRow | undefined;
    return row ? toTrial(row) : undefined;
  }

  /** Queued and running trials of every sweep, for `loopline queue` and the Runs view. */
  pending(): QueuedTrial[] {
    return (this.db.prepare(`${TRIAL_SELECT} WHERE t.state IN ('queued', 'running') ORDER BY t.sweep, t.position`).all() as TrialRow[]).map(toTrial);
  }

  /** Claims the next queued trial if fewer than the sweep's parallelism are running (across all launchers). */
  claimNext(sweepId: string, owner: string, leaseMs: number): QueuedTrial | undefined {
    return this.db
      .transaction(() => {
        const sweepPk = this.pk(sweepId);
        const sweep = this.db.prepare('SELECT parallel, state FROM sweeps WHERE run = ?').get(sweepPk) as { parallel: number; state: string };
        if (sweep.state !== 'active') return undefined;
        const running = this.db.prepare("SELECT COUNT(*) FROM sweep_trials WHERE sweep = ? AND state = 'running'").pluck().get(sweepPk) as number;
        if (running >= sweep.parallel) return undefined;
        const next = this.db.prepare("SELECT run FROM sweep_trials WHERE sweep = ? AND state = 'queued' ORDER BY position, attempt LIMIT 1").pluck().get(sweepPk) as number | undefined;
        if (next === undefined) return undefined;
        this.db.prepare("UPDATE sweep_trials SET state = 'running', owner = ?, lease_until = ?, pid = NULL, host = NULL WHERE run = ?").run(owner, this.now() + leaseMs, next);
        const uuid = this.db.prepare('SELECT uuid FROM runs WHERE pk = ?').pluck().get(next) as string;
        return this.trial(uuid);
      })
      .immediate();
  }

  setTrialProcess(runId: string, pid: number | undefined, host: string): void {
    this.db.prepare('UPDATE sweep_trials SET pid = ?, host = ? WHERE run = ?').run(pid ?? null, host, this.pk(runId));
  }

  /** The heartbeat: extends the lease on this owner's running trials and on the sweep. */
  renew(sweepId: string, owner: string, leaseMs: number): void {
    const until = this.now() + leaseMs;
    const pk = this.pk(sweepId);
    this.db
      .transaction(() => {
        this.db.prepare("UPDATE sweep_trials SET lease_until = ? WHERE sweep = ? AND owner = ? AND state = 'running'").run(until, pk, owner);
        this.db.prepare('UPDATE sweeps SET owner = ?, lease_until = ? WHERE run = ?').run(owner, until, pk);
      })
      .immediate();
  }

  /** Records that a trial's run ended (its status is recorded by the launcher). False if another launcher took it over meanwhile. */
  finishTrial(runId: string, owner: string): boolean {
    return this.db.prepare("UPDATE sweep_trials SET state = 'done' WHERE run = ? AND state = 'running' AND owner = ?").run(this.pk(runId), owner).changes === 1;
  }

  /**
   * Takes over a running trial of a launcher that died without ending it (a container trial,
   * whose container runs on): this owner now follows it until its run ends.
   */
  adopt(trial: QueuedTrial, owner: string, leaseMs: number): boolean {
    return (
      this.db
        .prepare("UPDATE sweep_trials SET owner = ?, lease_until = ? WHERE run = ? AND state = 'running' AND owner IS ?")
        .run(owner, this.now() + leaseMs, this.pk(trial.runId), trial.owner).changes === 1
    );
  }

  /** A scheduler is working the sweep now (its lease is current and, on this machine, its process alive). */
  sweepHasLiveOwner(sweepId: string): boolean {
    const s = this.sweep(sweepId);
    return s.owner !== null && (s.leaseUntil ?? 0) > this.now() && ownerProcessAlive(s.owner);
  }

  /**
   * Running trials whose launcher is gone. On this machine that is known for sure: its process
   * died (a live owner whose lease ran out is only late with its heartbeat, e.g. a suspended
   * laptop or a busy event loop, and keeps its trials). Elsewhere only its lease can tell.
   */
  staleTrials(sweepId: string): QueuedTrial[] {
    const t = this.now();
    return this.trials(sweepId).filter((x) => x.state === 'running' && (ownerOnThisHost(x.owner) ? !ownerProcessAlive(x.owner) : (x.leaseUntil ?? 0) < t));
  }

  /**
   * Takes over a trial whose launcher died, by compare-and-set on its owner: only the one caller
   * that wins it kills what is left of its process (on this machine, if still alive), so it cannot
   * end twice, and a trial another launcher took or renewed meanwhile is left alone. A trial that
   * never started goes back to the queue; one that was running ends FAILED with the reason and is
   * retried as a new run (up to MAX_ATTEMPTS), unless the sweep or the trial was cancelled.
   */
  recoverStale(trial: QueuedTrial): { retryRunId?: string; requeued?: boolean } {
    let took = false;
    const result = this.db
      .transaction(() => {
        const pk = this.pk(trial.runId);
        took = this.db.prepare("UPDATE sweep_trials SET state = 'done' WHERE run = ? AND state = 'running' AND owner IS ? AND lease_until IS ?").run(pk, trial.owner, trial.leaseUntil).changes === 1;
        if (!took) return {};
        const run = this.store.getRun(trial.runId);
        const sweep = this.sweep(trial.sweepId);
        // Its end was recorded already (e.g. a reattached container run): nothing to redo.
        if (run.info.status !== 'RUNNING' && run.info.status !== 'SCHEDULED') return {};
        if (run.info.status === 'SCHEDULED' && !trial.cancelRequested) {
          this.db.prepare("UPDATE sweep_trials SET state = 'queued', owner = NULL, lease_until = NULL, pid = NULL, host = NULL WHERE run = ?").run(pk);
          return { requeued: true };
        }
        const cancelled = trial.cancelRequested || sweep.state === 'cancelled';
        const retry = !cancelled && sweep.state === 'active' && trial.attempt < MAX_ATTEMPTS;
        const owner = trial.owner?.split('|') ?? [];
        let reason = `its launcher (pid ${owner[1] ?? '?'} on ${owner[0] ?? '?'}) stopped during the trial`;
        let retryRunId: string | undefined;
        if (retry) {
          const parent = this.store.getRun(trial.sweepId);
          const params = Object.fromEntries(Object.keys(run.params).filter((k) => sweep.definition.params.some((p) => p.name === k)).map((k) => [k, run.params[k]!]));
          retryRunId = this.insertTrial(parent, sweep.definition, params, trial.position, trial.attempt + 1, { git: run.info.git, sourceFile: run.info.sourceFile, backendName: run.info.backend ?? 'local' }, [
            { key: 'loopline.sweep.retryOf', value: run.info.id },
          ]);
          reason += `; retried as run ${retryRunId}`;
        }
        if (run.info.status === 'RUNNING' || run.info.status === 'SCHEDULED') {
          this.store.updateRun(trial.runId, { status: cancelled ? 'KILLED' : 'FAILED', endTime: this.now() });
          this.store.logBatch(trial.runId, { tags: [{ key: STATUS_REASON_TAG, value: cancelled ? 'cancelled by the user' : reason }] });
        }
        return retryRunId ? { retryRunId } : {};
      })
      .immediate();
    if (took && trial.pid && trial.host === hostname() && processAlive(trial.pid)) killGroup(trial.pid);
    return result;
  }

  /**
   * Cancels a sweep (every trial not yet ended) or one trial. Queued trials end KILLED at once;
   * running ones are marked, and their launcher stops them within a poll interval.
   */
  cancel(runId: string): { sweepId: string; cancelled: string[]; stopping: string[] } {
    return this.db
      .transaction(() => {
        const cancelled: string[] = [];
        const stopping: string[] = [];
        let targets: QueuedTrial[];
        let sweepId: string;
        if (this.isSweep(runId)) {
          sweepId = runId;
          const s = this.sweep(runId);
          if (s.state !== 'active' && !this.trials(runId).some((t) => t.state === 'running')) throw new LooplineError('INVALID_STATE', `Sweep ${runId} has already ended (${s.state}); nothing to cancel.`);
          this.db.prepare("UPDATE sweeps SET state = 'cancelled' WHERE run = ? AND state = 'active'").run(this.pk(runId));
          targets = this.trials(runId).filter((t) => t.state === 'queued' || t.state === 'running');
        } else {
          const trial = this.trial(runId);
          if (!trial) throw invalid(`Run ${runId} is not a sweep trial. A run started with loopline run stops with Ctrl-C in its terminal, or Stop Run in VS Code.`);
          if (trial.state === 'done' || trial.state === 'cancelled') {
            throw new LooplineError('INVALID_STATE', `Trial ${runId} has already ended (${this.store.getRun(runId).info.status}); nothing to cancel.`);
          }
          sweepId = trial.sweepId;
          targets = [trial];
        }
        for (const t of targets) {
          const pk = this.pk(t.runId);
          if (t.state === 'queued') {
            this.db.prepare("UPDATE sweep_trials SET state = 'cancelled' WHERE run = ?").run(pk);
            this.store.updateRun(t.runId, { status: 'KILLED', endTime: this.now() });
            this.store.logBatch(t.runId, { tags: [{ key: STATUS_REASON_TAG, value: 'cancelled by the user before it started' }] });
            cancelled.push(t.runId);
          } else {
            this.db.prepare('UPDATE sweep_trials SET cancel_requested = 1 WHERE run = ?').run(pk);
            stopping.push(t.runId);
          }
        }
        return { sweepId, cancelled, stopping };
      })
      .immediate();
  }

  /**
   * Ends the sweep's parent run once no trial is queued or running: FINISHED if any trial
   * finished, KILLED if cancelled, FAILED otherwise. Only one caller does it (compare-and-set).
   */
  finishSweepIfDone(sweepId: string, bestTags: KeyValue[], outcome: { status: 'FINISHED' | 'FAILED' | 'KILLED'; reason?: string }, results: LogBatch = {}): boolean {
    return this.db
      .transaction(() => {
        const pk = this.pk(sweepId);
        const open = this.db.prepare("SELECT COUNT(*) FROM sweep_trials WHERE sweep = ? AND state IN ('queued', 'running')").pluck().get(pk) as number;
        if (open > 0) return false;
        const done = this.db
          .prepare("UPDATE sweeps SET state = CASE state WHEN 'cancelled' THEN 'cancelled' ELSE 'finished' END, owner = NULL, lease_until = NULL, ended = ? WHERE run = ? AND ended IS NULL")
          .run(this.now(), pk);
        if (done.changes === 0) return false;
        const parent = this.store.getRun(sweepId);
        if (parent.info.status === 'RUNNING') this.store.updateRun(sweepId, { status: outcome.status, endTime: this.now() });
        const tags = [...bestTags, ...(results.tags ?? [])];
        if (outcome.reason) tags.push({ key: STATUS_REASON_TAG, value: outcome.reason });
        // Recorded under the same compare-and-set, so two launchers never write a sweep's results twice.
        if (tags.length || results.metrics?.length) this.store.logBatch(sweepId, { tags, metrics: results.metrics ?? [] }, { enforceLimits: false });
        return true;
      })
      .immediate();
  }

  hasEnded(sweepId: string): boolean {
    return this.db.prepare('SELECT ended FROM sweeps WHERE run = ?').pluck().get(this.pk(sweepId)) !== null;
  }
}

function toTrial(r: TrialRow): QueuedTrial {
  return {
    runId: r.uuid,
    sweepId: r.sweep_uuid,
    position: r.position,
    attempt: r.attempt,
    state: r.state,
    cancelRequested: r.cancel_requested === 1,
    owner: r.owner,
    leaseUntil: r.lease_until,
    pid: r.pid,
    host: r.host,
  };
}

/** Local trials run in their own process group (see LocalProcessBackend); end all of it. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}
