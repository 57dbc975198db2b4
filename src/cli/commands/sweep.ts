import { dirname, join } from 'node:path';
import type { RunStore } from '../../core/store/run-store.ts';
import { CONTAINER_ARG_SPEC, parseContainerOptions } from '../../core/containers/container-options.ts';
import { newSeed } from '../../core/sweeps/seeded-random.ts';
import { createSweep } from '../../core/sweeps/sweep-creation.ts';
import { crossValidationEnd } from '../../core/sweeps/cross-validation.ts';
import { crossValidationReport } from './cv-report.ts';
import { trialBackend } from '../../core/sweeps/trial-backend.ts';
import { parseCount, parseEarlyStop, parseMode, parseParamSpec, trialCount, type SweepDefinition } from '../../core/sweeps/sweep-definition.ts';
import { SweepQueue, type QueuedTrial } from '../../core/sweeps/sweep-queue.ts';
import { SweepScheduler } from '../../core/sweeps/sweep-scheduler.ts';
import { summarizeSweep, type SweepSummary } from '../../core/sweeps/sweep-summary.ts';
import { ensureTrackingEndpoint } from '../../core/tracking/tracking-endpoint.ts';
import { option, parseArgs, UsageError } from '../args.ts';
import { formatNumber, table, toJson } from '../format.ts';
import { openStore } from './open-store.ts';

const SWEEP_OPTIONS = ['name', 'experiment', 'param', 'random', 'seed', 'parallel', 'early-stop', 'metric', 'mode', 'store'];

/** `loopline sweep [--name N] --param lr=0.1,0.01 [--random N] [--seed S] [--parallel K] [--early-stop …] -- CMD {lr}` */
export async function sweepCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: [...CONTAINER_ARG_SPEC.flags], options: [...SWEEP_OPTIONS, ...CONTAINER_ARG_SPEC.options] });
  if (args.positionals.length) args.rest = [...args.positionals, ...args.rest];
  // Trials run where `loopline run` would run them: a local process, or a container (--container …).
  const container = parseContainerOptions(args, process.cwd());
  if (args.rest.length === 0) throw new UsageError('Give the training command after --, with {param} placeholders, e.g. loopline sweep --param lr=0.1,0.01 -- python3 train.py --lr {lr}');
  const params = (args.options.get('param') ?? []).map(parseParamSpec);
  const random = option(args, 'random');
  const seed = option(args, 'seed');
  const earlyStop = option(args, 'early-stop');
  const metric = option(args, 'metric');
  const def: SweepDefinition = {
    version: 1,
    command: args.rest,
    cwd: process.cwd(),
    params,
    strategy: random === undefined ? 'grid' : 'random',
    seed: seed === undefined ? newSeed() : parseCount(seed, '--seed', 0),
    parallel: parseCount(option(args, 'parallel') ?? '1', '--parallel', 1),
    backend: container ? { kind: 'container', options: { ...container } } : { kind: 'local' },
  };
  const name = option(args, 'name');
  if (name) def.name = name;
  const experiment = option(args, 'experiment');
  if (experiment) def.experiment = experiment;
  if (random !== undefined) def.samples = parseCount(random, '--random', 1);
  if (earlyStop) def.earlyStop = parseEarlyStop(earlyStop);
  if (metric) def.objective = { metric, mode: parseMode(option(args, 'mode') ?? def.earlyStop?.mode ?? 'max', '--mode') };
  else if (option(args, 'mode')) throw new UsageError('--mode needs --metric NAME (the metric the best trial is chosen by).');
  const store = openStore(args);
  try {
    const { sweepId } = await createSweep(store, def);
    const sweepName = store.getRun(sweepId).info.name;
    console.error(
      `loopline: sweep ${sweepId} (${sweepName}): ${trialCount(def)} ${def.strategy} trials${def.strategy === 'random' ? ` (seed ${def.seed})` : ''}, ${def.parallel} at a time`,
    );
    return await workSweeps(store, [sweepId]);
  } finally {
    store.close();
  }
}

/** Runs schedulers for these sweeps in this process until they end; Ctrl-C cancels them. */
export async function workSweeps(store: RunStore, sweepIds: string[]): Promise<number> {
  const endpoint = await ensureTrackingEndpoint(store);
  const partial = new Map<string, string>();
  const queue = new SweepQueue(store);
  const cvSweeps = new Set(sweepIds.filter((id) => queue.sweep(id).definition.crossValidation));
  const isCv = (sweepId: string) => cvSweeps.has(sweepId);
  const scheduler = new SweepScheduler({
    store,
    tracking: endpoint,
    spoolDir: join(dirname(store.path), 'spool'),
    backendFor: trialBackend,
    reattachContainers: true,
    onOutput: (trial, chunk, stream) => writePrefixed(partial, trial, chunk.toString('utf8'), stream),
    onEvent: (e) => {
      const label = (t: QueuedTrial) => `${isCv(t.sweepId) ? `fold ${t.position}` : `trial ${t.position + 1}`}${t.attempt > 1 ? ` (attempt ${t.attempt})` : ''}`;
      if (e.type === 'trial-started') console.error(`loopline: ${label(e.trial)} started: run ${e.trial.runId.slice(0, 8)}  ${Object.entries(e.params).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      else if (e.type === 'trial-ended') console.error(`loopline: ${label(e.trial)} ${e.outcome.status}${e.reason ? `: ${e.reason}` : ''}`);
      else if (e.type === 'trial-recovered')
        console.error(
          `loopline: ${label(e.trial)} lost its launcher; ${e.adopted ? 'following its container' : e.requeued ? 'queued again' : e.retryRunId ? `retrying as run ${e.retryRunId.slice(0, 8)}` : 'ended'}`,
        );
    },
  });
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      console.error('\nloopline: cancelling the sweep: queued trials are dropped, running ones stopped (Ctrl-C again to kill them now)…');
      for (const id of sweepIds) scheduler.cancel(id);
    } else scheduler.killAll();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summaries = await Promise.all(sweepIds.map((id) => scheduler.run(id)));
    let code = 0;
    for (const s of summaries) {
      if (isCv(s.sweepId)) {
        const cv = crossValidationEnd(store, s);
        console.error(crossValidationReport(s, cv.result, cv.outcome));
        if (cv.outcome.status !== 'FINISHED') code = 1;
      } else {
        console.error(report(s));
        if (!s.best) code = 1;
      }
    }
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await endpoint.close();
  }
}

/** Trial output line by line, each line prefixed with its trial number, so parallel trials stay readable. */
function writePrefixed(partial: Map<string, string>, trial: QueuedTrial, text: string, stream: 'stdout' | 'stderr'): void {
  const key = `${trial.runId}:${stream}`;
  const lines = ((partial.get(key) ?? '') + text).split('\n');
  partial.set(key, lines.pop()!);
  const out = stream === 'stdout' ? process.stdout : process.stderr;
  for (const line of lines) out.write(`[${trial.position + 1}] ${line}\n`);
}

function report(s: SweepSummary): string {
  const lines = [`loopline: sweep ${s.sweepId} (${s.name}) ${s.status}: ${s.trials.length} trial runs`];
  const rows = s.trials.map((t) => [
    String(t.trial) + (t.attempt > 1 ? `.${t.attempt}` : ''),
    t.runId.slice(0, 8),
    t.status,
    Object.entries(t.params).map(([k, v]) => `${k}=${v}`).join(' '),
    t.value === null ? '-' : formatNumber(t.value),
    (t.runId === s.best?.runId ? 'best ' : '') + (t.statusReason ?? ''),
  ]);
  lines.push(table(['TRIAL', 'RUN', 'STATUS', 'PARAMS', s.objective ? `${s.objective.mode.toUpperCase()} ${s.objective.metric}` : 'VALUE', ''], rows));
  if (s.best && s.objective) {
    lines.push(`loopline: best trial: run ${s.best.runId} (${s.best.name}) ${s.objective.metric}=${formatNumber(s.best.value)} with ${Object.entries(s.best.params).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  } else lines.push('loopline: no trial finished with a value of the objective metric.');
  lines.push(`loopline: compare the trials with: loopline ls --filter "tags.mlflow.parentRunId = '${s.sweepId}'"`);
  return lines.join('\n');
}

/** `loopline queue [--json]`, `loopline queue cancel RUN|SWEEP`, `loopline queue resume [SWEEP]`. */
export async function queueCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'], options: ['store'] });
  const [action, target, ...extra] = args.positionals;
  if (extra.length) throw new UsageError(`Unexpected '${extra.join(' ')}'. Usage: loopline queue [cancel RUN|SWEEP | resume [SWEEP]] [--json]`);
  const store = openStore(args);
  try {
    const queue = new SweepQueue(store);
    if (action === undefined || action === 'ls' || action === 'list') return listQueue(store, queue, args.flags.has('json'));
    if (action === 'cancel') {
      if (!target) throw new UsageError('Give the run id of a trial or a sweep: loopline queue cancel RUN|SWEEP');
      const r = queue.cancel(store.resolveRunId(target));
      console.error(`loopline: cancelled ${r.cancelled.length} queued trial(s)${r.stopping.length ? `; stopping ${r.stopping.length} running trial(s) (their launcher stops them within a second)` : ''}.`);
      recoverOrphans(store, queue, r.sweepId);
      return 0;
    }
    if (action === 'resume') {
      const ids = target ? [store.resolveRunId(target)] : queue.activeSweepIds();
      if (target && !queue.isSweep(ids[0]!)) throw new UsageError(`Run ${target} is not a sweep; give the sweep's (parent) run id.`);
      if (ids.length === 0) {
        console.error('loopline: the queue is empty; nothing to resume.');
        return 0;
      }
      console.error(`loopline: resuming ${ids.length} sweep(s): ${ids.map((i) => i.slice(0, 8)).join(', ')}`);
      return await workSweeps(store, ids);
    }
    throw new UsageError(`Unknown queue action '${action}'. Usage: loopline queue [cancel RUN|SWEEP | resume [SWEEP]] [--json]`);
  } finally {
    store.close();
  }
}

/** A cancel with no live launcher still ends the trials: their processes are killed and recorded here. */
function recoverOrphans(store: RunStore, queue: SweepQueue, sweepId: string): void {
  for (const stale of queue.staleTrials(sweepId)) queue.recoverStale(stale);
  if (!queue.trials(sweepId).some((t) => t.state === 'running' || t.state === 'queued') && !queue.hasEnded(sweepId)) {
    const s = summarizeSweep(store, sweepId, queue);
    if (queue.sweep(sweepId).definition.crossValidation) {
      const cv = crossValidationEnd(store, s);
      queue.finishSweepIfDone(sweepId, [], cv.outcome, cv.batch);
      return;
    }
    queue.finishSweepIfDone(sweepId, [], s.state === 'cancelled' ? { status: 'KILLED', reason: 'cancelled by the user' } : { status: s.trials.some((t) => t.status === 'FINISHED') ? 'FINISHED' : 'FAILED' });
  }
}

function listQueue(store: RunStore, queue: SweepQueue, json: boolean): number {
  const pending = queue.pending();
  if (json) {
    console.log(toJson(pending.map((t) => ({ ...t, name: store.getRun(t.runId).info.name, status: store.getRun(t.runId).info.status, params: store.getRun(t.runId).params }))));
    return 0;
  }
  if (pending.length === 0) {
    console.log('The queue is empty. Start a sweep with: loopline sweep --param lr=0.1,0.01 -- python3 train.py --lr {lr}');
    return 0;
  }
  const sweepNames = new Map<string, string>();
  const rows = pending.map((t) => {
    const run = store.getRun(t.runId);
    if (!sweepNames.has(t.sweepId)) sweepNames.set(t.sweepId, store.getRun(t.sweepId).info.name);
    return [
      t.runId.slice(0, 8),
      run.info.name,
      `${t.sweepId.slice(0, 8)} ${sweepNames.get(t.sweepId)}`,
      String(t.position + 1),
      t.cancelRequested ? 'STOPPING' : run.info.status,
      Object.entries(run.params).map(([k, v]) => `${k}=${v}`).join(' '),
    ];
  });
  console.log(table(['RUN', 'NAME', 'SWEEP', 'TRIAL', 'STATUS', 'PARAMS'], rows));
  return 0;
}
