import { hostname } from 'node:os';
import { LooplineError } from '../errors.ts';
import { LocalProcessBackend } from '../runs/local-process-backend.ts';
import type { RunBackend } from '../runs/run-backend.ts';
import { launchRun, type ActiveRun, type RunOutcome } from '../runs/run-launcher.ts';
import type { RunStore } from '../store/run-store.ts';
import type { KeyValue } from '../store/types.ts';
import { fillCommand } from './command-template.ts';
import { crossValidationEnd } from './cross-validation.ts';
import { medianStoppingDecision } from './median-stopping.ts';
import type { SweepDefinition } from './sweep-definition.ts';
import { newOwnerId, STATUS_REASON_TAG, SweepQueue, type QueuedTrial } from './sweep-queue.ts';
import { bestTags, summarizeSweep, type SweepSummary } from './sweep-summary.ts';

export type SweepEvent =
  | { type: 'trial-started'; trial: QueuedTrial; command: string[]; params: Record<string, string> }
  | { type: 'trial-ended'; trial: QueuedTrial; outcome: RunOutcome; reason?: string }
  | { type: 'trial-recovered'; trial: QueuedTrial; retryRunId?: string; requeued?: boolean; adopted?: boolean }
  | { type: 'sweep-ended'; summary: SweepSummary };

export interface SweepSchedulerOptions {
  store: RunStore;
  tracking: { url: string; token: string };
  /** Where trials' clients spool what they cannot send (imported when each trial ends). */
  spoolDir: string;
  /** The backend trials of this sweep run on (see trial-backend.ts); default a local process. */
  backendFor?: (def: SweepDefinition) => RunBackend | Promise<RunBackend>;
  env?: NodeJS.ProcessEnv;
  /** How often the queue, cancel requests and early stopping are checked (ms). */
  pollMs?: number;
  /** How long a claim on a trial lasts without a heartbeat (ms). */
  leaseMs?: number;
  stopGraceMs?: number;
  onEvent?: (e: SweepEvent) => void;
  onOutput?: (trial: QueuedTrial, chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  /**
   * Container trials whose launcher died keep running in their container: follow them here
   * (logs, metrics, their end) with the containers' reattach. Off where something else reattaches
   * orphaned container runs already (the extension does on activation).
   */
  reattachContainers?: boolean;
}

interface OwnTrial {
  trial: QueuedTrial;
  run: ActiveRun;
  /** Set when we asked it to stop, and why. */
  stopReason?: string;
  checkedStep: number;
}

/**
 * Works a sweep's queue: starts trials through the same launcher as `loopline run` (at most the
 * sweep's parallelism at once, across every launcher working the queue), stops cancelled trials
 * and those the median stopping rule rejects, takes over trials whose launcher died, and ends
 * the sweep with its best trial recorded. Several schedulers may work one sweep at once.
 */
export class SweepScheduler {
  readonly owner = newOwnerId();
  readonly queue: SweepQueue;
  private readonly opts: SweepSchedulerOptions;
  private readonly own = new Map<string, OwnTrial>();
  /** Container trials of a dead launcher this scheduler follows until their run ends. */
  private readonly adopted = new Map<string, QueuedTrial>();
  /** Adopted trials whose cancel this scheduler is carrying out (their container is being stopped). */
  private readonly cancelling = new Set<string>();
  private readonly wakers = new Set<() => void>();
  private killed = false;

  constructor(opts: SweepSchedulerOptions) {
    this.opts = opts;
    this.queue = new SweepQueue(opts.store);
  }

  private get store(): RunStore {
    return this.opts.store;
  }

  /** Works the sweep until every trial has ended; resolves with the final summary. */
  async run(sweepId: string): Promise<SweepSummary> {
    const def = this.queue.sweep(sweepId).definition;
    const backend = await (this.opts.backendFor?.(def) ?? localOnly(def));
    const leaseMs = this.opts.leaseMs ?? 15_000;
    let renewed = 0;
    for (;;) {
      if (Date.now() - renewed > leaseMs / 3) {
        this.queue.renew(sweepId, this.owner, leaseMs);
        renewed = Date.now();
      }
      let reattach = false;
      for (const stale of this.queue.staleTrials(sweepId)) {
        if (stale.owner === this.owner) continue;
        const run = this.store.getRun(stale.runId);
        if (run.tags['loopline.container.id'] && run.info.status === 'RUNNING' && this.queue.adopt(stale, this.owner, leaseMs)) {
          this.adopted.set(stale.runId, stale);
          reattach = true;
          this.opts.onEvent?.({ type: 'trial-recovered', trial: stale, adopted: true });
          continue;
        }
        const r = this.queue.recoverStale(stale);
        this.opts.onEvent?.({ type: 'trial-recovered', trial: stale, ...r });
      }
      if (reattach && this.opts.reattachContainers) await this.reattachContainers();
      this.checkAdopted();
      this.checkOwnTrials(sweepId, def);
      while (!this.killed) {
        const next = this.queue.claimNext(sweepId, this.owner, leaseMs);
        if (!next) break;
        await this.launch(next, def, backend);
      }
      if (this.countOwn(sweepId) === 0) {
        const summary = summarizeSweep(this.store, sweepId, this.queue);
        if (summary.running === 0 && (summary.queued === 0 || summary.state !== 'active' || this.killed)) {
          if (summary.queued === 0) this.finish(sweepId, summary);
          const final = summarizeSweep(this.store, sweepId, this.queue);
          this.opts.onEvent?.({ type: 'sweep-ended', summary: final });
          return final;
        }
      }
      await this.sleep(this.opts.pollMs ?? 250);
    }
  }

  /** Cancels the sweep: queued trials end at once, running ones are stopped (Ctrl-C, *Cancel Sweep*). */
  cancel(sweepId: string): void {
    this.queue.cancel(sweepId);
    this.wake();
  }

  /** Kills this scheduler's trials now and stops taking new ones (a second Ctrl-C). */
  killAll(): void {
    this.killed = true;
    for (const t of this.own.values()) {
      t.stopReason ??= 'cancelled by the user';
      t.run.stop();
      t.run.stop();
    }
    this.wake();
  }

  private countOwn(sweepId: string): number {
    return [...this.own.values(), ...this.adopted.values()].filter((t) => ('trial' in t ? t.trial : t).sweepId === sweepId).length;
  }

  /**
   * Adopted container trials: a cancel (from any process) stops the container, as for own trials;
   * once the run has ended (recorded by whoever follows the container) the trial leaves the queue.
   */
  private checkAdopted(): void {
    for (const [runId, t] of this.adopted) {
      const status = this.store.getRun(runId).info.status;
      if (status === 'RUNNING') {
        if (!this.cancelling.has(runId) && this.queue.trial(runId)?.cancelRequested) {
          this.cancelling.add(runId);
          void this.stopAdopted(runId).finally(() => this.wake());
        }
        continue;
      }
      this.adopted.delete(runId);
      if (this.cancelling.delete(runId)) this.store.logBatch(runId, { tags: [{ key: STATUS_REASON_TAG, value: 'cancelled by the user' }] });
      this.queue.finishTrial(runId, this.owner);
      this.opts.onEvent?.({ type: 'trial-ended', trial: t, outcome: { runId, status, exitCode: null, signal: null, durationMs: 0, problems: [], statusRecorded: true } });
    }
  }

  /** Stops an adopted trial's container (SIGTERM, SIGKILL after the grace period) from this process. */
  private async stopAdopted(runId: string): Promise<void> {
    const graceSec = (this.opts.stopGraceMs ?? 10_000) / 1000;
    let stopped = false;
    try {
      const { stopContainerRun } = await import('../containers/container-reattach.ts');
      stopped = await stopContainerRun(this.store, runId, graceSec);
    } catch {
      // no engine answers: nothing of it can still be running there for us to stop
    }
    // No running container is left to record the end: record it here.
    if (!stopped && this.store.getRun(runId).info.status === 'RUNNING') this.store.updateRun(runId, { status: 'KILLED', endTime: Date.now() });
  }

  private async reattachContainers(): Promise<void> {
    try {
      const { reattachContainerRuns } = await import('../containers/container-reattach.ts');
      const followed = await reattachContainerRuns(this.store, { trackingUrl: this.opts.tracking.url });
      for (const f of followed) void f.finished.finally(() => this.wake()).catch(() => undefined);
    } catch {
      // No engine: the adopted trials end when the engine (or another window) records them.
    }
  }

  private async launch(trial: QueuedTrial, def: SweepDefinition, backend: RunBackend): Promise<void> {
    const run = this.store.getRun(trial.runId);
    const params = Object.fromEntries(def.params.map((p) => [p.name, run.params[p.name] ?? '']));
    const command = fillCommand(def.command, params);
    const paramList: KeyValue[] = Object.entries(params).map(([key, value]) => ({ key, value }));
    let active: ActiveRun;
    try {
      active = await launchRun({
        store: this.store,
        command,
        cwd: def.cwd,
        tracking: this.opts.tracking,
        params: paramList,
        backend,
        env: { ...(this.opts.env ?? process.env), LOOPLINE_SWEEP_ID: trial.sweepId, LOOPLINE_TRIAL: String(trial.position + 1) },
        spoolDir: this.opts.spoolDir,
        queuedRunId: trial.runId,
        ...(this.opts.stopGraceMs !== undefined ? { stopGraceMs: this.opts.stopGraceMs } : 'stopGraceMs' in backend ? { stopGraceMs: Number(backend.stopGraceMs) } : {}),
        onOutput: (chunk, stream) => this.opts.onOutput?.(trial, chunk, stream),
      });
    } catch (err) {
      // Could not start it at all: it ends FAILED with the reason and the sweep goes on.
      const reason = `could not start: ${err instanceof Error ? err.message : String(err)}`;
      this.store.updateRun(trial.runId, { status: 'FAILED', endTime: Date.now() });
      this.store.logBatch(trial.runId, { tags: [{ key: STATUS_REASON_TAG, value: reason }] });
      this.queue.finishTrial(trial.runId, this.owner);
      return;
    }
    this.queue.setTrialProcess(trial.runId, active.process.pid, hostname());
    const own: OwnTrial = { trial, run: active, checkedStep: -1 };
    this.own.set(trial.runId, own);
    this.opts.onEvent?.({ type: 'trial-started', trial, command, params });
    void active.finished.then((outcome) => {
      this.own.delete(trial.runId);
      // The launcher records why a run failed; a stop we asked for gets our own reason.
      const reason = own.stopReason ?? (outcome.status === 'FAILED' ? (this.store.db.open ? this.store.getRun(trial.runId).tags[STATUS_REASON_TAG] : undefined) : undefined);
      try {
        if (own.stopReason && this.store.db.open) this.store.logBatch(trial.runId, { tags: [{ key: STATUS_REASON_TAG, value: own.stopReason }] });
        if (this.store.db.open) this.queue.finishTrial(trial.runId, this.owner);
      } finally {
        this.opts.onEvent?.({ type: 'trial-ended', trial, outcome, ...(reason ? { reason } : {}) });
        this.wake();
      }
    });
  }

  /** Stops own trials that were cancelled (from any process) or that the median rule rejects. */
  private checkOwnTrials(sweepId: string, def: SweepDefinition): void {
    for (const t of this.own.values()) {
      if (t.trial.sweepId !== sweepId || t.stopReason) continue;
      if (this.queue.trial(t.trial.runId)?.cancelRequested) {
        t.stopReason = 'cancelled by the user';
        t.run.stop();
        continue;
      }
      if (!def.earlyStop) continue;
      const spec = def.earlyStop;
      const m = this.store.getRun(t.trial.runId).metrics.find((x) => x.key === spec.metric);
      if (!m || m.lastStep === t.checkedStep || m.lastStep < spec.minSteps) continue;
      t.checkedStep = m.lastStep;
      const bestSoFar = spec.mode === 'min' ? m.min : m.max;
      if (bestSoFar === null) continue;
      const others = this.otherValuesAtStep(sweepId, t.trial.runId, spec.metric, m.lastStep);
      const decision = medianStoppingDecision(spec, { bestSoFar, step: m.lastStep }, others);
      if (decision.stop) {
        t.stopReason = decision.reason!;
        t.run.stop();
      }
    }
  }

  /** Each other trial's value of `metric` at `step` (its last point at or before it), if it got that far. */
  private otherValuesAtStep(sweepId: string, runId: string, metric: string, step: number): number[] {
    const values: number[] = [];
    for (const o of this.queue.trials(sweepId)) {
      if (o.runId === runId || o.state === 'queued' || o.state === 'cancelled') continue;
      const m = this.store.getRun(o.runId).metrics.find((x) => x.key === metric);
      if (!m || m.lastStep < step) continue;
      const exact = this.store.metricHistory(o.runId, metric, { minStep: step, maxStep: step });
      const points = exact.length ? exact : this.store.metricHistory(o.runId, metric, { maxStep: step });
      const v = points[points.length - 1]?.value;
      if (v !== undefined) values.push(v);
    }
    return values;
  }

  private finish(sweepId: string, summary: SweepSummary): void {
    const def = this.queue.sweep(sweepId).definition;
    if (def.crossValidation) {
      const cv = crossValidationEnd(this.store, summary);
      this.queue.finishSweepIfDone(sweepId, [], cv.outcome, cv.batch);
      return;
    }
    const anyFinished = summary.trials.some((t) => t.status === 'FINISHED');
    const outcome =
      summary.state === 'cancelled'
        ? { status: 'KILLED' as const, reason: 'cancelled by the user' }
        : anyFinished
          ? { status: 'FINISHED' as const }
          : { status: 'FAILED' as const, reason: 'no trial finished' };
    this.queue.finishSweepIfDone(sweepId, bestTags(summary), outcome);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }
}

/** Without a backend chooser only local trials can run (keeps dockerode out of bundles that do not need it). */
function localOnly(def: SweepDefinition): RunBackend {
  if (def.backend.kind !== 'local') {
    throw new LooplineError('INVALID_STATE', `This sweep's trials run in containers; resume it from a terminal with: loopline queue resume`);
  }
  return new LocalProcessBackend();
}
