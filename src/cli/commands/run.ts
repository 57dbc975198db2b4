import { join, dirname } from 'node:path';
import { CONTAINER_ARG_SPEC, parseContainerOptions } from '../../core/containers/container-options.ts';
import { readTrainingConfig } from '../../core/project/training-config.ts';
import { launchRun } from '../../core/runs/run-launcher.ts';
import { ensureTrackingEndpoint } from '../../core/tracking/tracking-endpoint.ts';
import type { KeyValue } from '../../core/store/types.ts';
import { option, parseArgs, UsageError } from '../args.ts';
import { formatDuration } from '../format.ts';
import { cliInvocation } from '../cli-invocation.ts';
import { statusWord } from '../../shared/run-status.ts';
import { openStore } from './open-store.ts';
import { tracePhase } from '../../core/runs/phase-trace.ts';

export async function runCommand(argv: string[]): Promise<number> {
  tracePhase('cli started');
  const args = parseArgs(argv, { flags: [...CONTAINER_ARG_SPEC.flags], options: ['experiment', 'name', 'param', 'store', ...CONTAINER_ARG_SPEC.options] });
  if (args.positionals.length) args.rest = [...args.positionals, ...args.rest];
  // With no command, loopline.yaml says how this project trains (command, params, container).
  const project = args.rest.length === 0 ? readTrainingConfig(process.cwd()) : undefined;
  if (project?.command) args.rest = project.command;
  if (args.rest.length === 0) throw new UsageError('Give the command to run after --, e.g. loopline run -- python3 train.py --lr 0.01 (or put command: in loopline.yaml)');
  const params: KeyValue[] = [...(project?.params ?? [])];
  for (const p of args.options.get('param') ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param needs key=value, got '${p}'.`);
    const key = p.slice(0, eq);
    const i = params.findIndex((x) => x.key === key);
    if (i >= 0) params.splice(i, 1);
    params.push({ key, value: p.slice(eq + 1) });
  }
  const container = parseContainerOptions(args, process.cwd()) ?? project?.container;
  const backend = container ? new (await import('../../core/containers/container-run-backend.ts')).ContainerRunBackend(container) : undefined;
  // The engine client loads and the image is checked while the store and tracking server start.
  backend?.prepare();
  const store = openStore(args);
  tracePhase('store open');
  // A container with no network cannot reach a server: its metrics come through the spool in its
  // output folder, so no tracking server is started for it.
  const offline = backend?.options.network === 'none';
  const endpoint = offline ? { url: '', token: '', close: async () => {} } : await ensureTrackingEndpoint(store);
  tracePhase('tracking endpoint ready');
  try {
    const active = await launchRun({
      store,
      command: args.rest,
      cwd: process.cwd(),
      tracking: endpoint,
      experiment: option(args, 'experiment'),
      name: option(args, 'name'),
      params,
      ...(backend ? { backend, stopGraceMs: backend.stopGraceMs } : {}),
      spoolDir: join(dirname(store.path), 'spool'),
      onOutput: (chunk, stream) => (stream === 'stdout' ? process.stdout : process.stderr).write(chunk),
    });
    // Our own stdout going away (a closed pipe) must not kill the launcher mid-run.
    for (const out of [process.stdout, process.stderr]) out.on('error', () => {});
    const run = store.getRun(active.runId);
    console.error(`loopline: run ${active.runId} (${run.info.name}) started; ${offline ? 'metrics come through the output folder (no network)' : `tracking at ${endpoint.url}`}`);
    const onSignal = () => {
      console.error(backend ? `\nloopline: stopping the container (SIGTERM; SIGKILL after ${backend.options.stopTimeoutSec} s; Ctrl-C again to kill it now)…` : '\nloopline: stopping the run (Ctrl-C again to kill it now)…');
      active.stop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const outcome = await active.finished;
    tracePhase('end recorded');
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (outcome.startError) console.error(`loopline: ${outcome.startError}`);
    for (const p of outcome.problems) console.error(`loopline: ${p}`);
    console.error(
      `loopline: run ${outcome.runId} ${statusWord(outcome.status)} (exit ${outcome.exitCode ?? outcome.signal ?? '?'}) in ${formatDuration(outcome.durationMs)}; see it with: ${cliInvocation()} show ${outcome.runId.slice(0, 8)}`,
    );
    if (!outcome.statusRecorded) return 1;
    return outcome.status === 'FINISHED' ? 0 : outcome.exitCode || 1;
  } finally {
    await endpoint.close();
    store.close();
    tracePhase('closed');
  }
}
