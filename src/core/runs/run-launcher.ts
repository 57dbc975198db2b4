import { createWriteStream, existsSync, readdirSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { findGitRoot } from '../store/store-location.ts';
import { joinCommandLine } from './command-line.ts';
import { snapshotGit } from '../git/git-snapshot.ts';
import { ensureParentDir, resolveArtifactPath, runArtifactDir, sha256File } from '../store/artifact-files.ts';
import { RunStore } from '../store/run-store.ts';
import type { GitSnapshot, KeyValue, Run, RunStatus } from '../store/types.ts';
import { importSpool } from '../tracking/spool-import.ts';
import { appendPythonPath, bundledPythonClientDir } from '../python-client/client-location.ts';
import { LocalProcessBackend } from './local-process-backend.ts';
import { tracePhase } from './phase-trace.ts';
import { dataLineageTags } from '../monitoring/data-lineage.ts';
import type { LaunchedProcess, RunBackend } from './run-backend.ts';

export const OUTPUT_LOG = 'logs/output.log';

export interface LaunchOptions {
  store: RunStore;
  command: string[];
  cwd: string;
  tracking: { url: string; token: string };
  experiment?: string;
  name?: string;
  params?: KeyValue[];
  backend?: RunBackend;
  /** Base environment for the child; default this process's. */
  env?: NodeJS.ProcessEnv;
  /** Where the client spools what it cannot send; imported when the run ends. */
  spoolDir: string;
  /** false: don't fingerprint the data loopline.yaml declares (the caller records the data it used). */
  recordData?: boolean;
  onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  /** How long a stop request waits for the process before killing it (ms). */
  stopGraceMs?: number;
  /**
   * Start this already-created run (a queued sweep trial, status SCHEDULED) instead of creating
   * one; its params, command and code snapshot were recorded when it was queued.
   */
  queuedRunId?: string;
  /** How often the end of the run is tried against the store before giving up (default 6, ~8 s). */
  finishAttempts?: number;
}

export interface RunOutcome {
  runId: string;
  status: RunStatus;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  startError?: string;
  /** What went wrong while finishing (spool lines that could not be imported, a failed write). */
  problems: string[];
  /** False when the store could not be written even after retrying: the run still shows RUNNING. */
  statusRecorded: boolean;
}

export interface ActiveRun {
  readonly runId: string;
  readonly process: LaunchedProcess;
  /** First call interrupts (then kills after the grace period); a second call kills at once. */
  stop(): void;
  readonly finished: Promise<RunOutcome>;
}

/**
 * Starts a tracked run: snapshots the code, creates the run, runs the command with the
 * tracking environment, keeps its output as the `logs/output.log` artifact, and records how it
 * ended (FINISHED on exit 0, FAILED otherwise, KILLED when stopped).
 */
export async function launchRun(opts: LaunchOptions): Promise<ActiveRun> {
  const { store } = opts;
  if (opts.command.length === 0) throw new Error('No command given: use `loopline run -- python3 train.py ...`.');
  const queued = opts.queuedRunId ? store.getRun(opts.queuedRunId) : undefined;
  const experiment = queued ? store.getExperiment(queued.info.experimentId) : opts.experiment ? store.ensureExperiment(opts.experiment) : store.getExperiment('0');
  const backend: RunBackend = opts.backend ?? new LocalProcessBackend();
  backend.prepare?.();
  // A command that cannot touch the workspace starts while git looks at it (the snapshot is
  // recorded before the run's end); others start only after it, so their own writes stay out.
  const gitPromise = queued ? undefined : snapshotGit(opts.cwd);
  gitPromise?.catch(() => {}); // awaited below, or with the run's end
  const git = backend.workspaceReadOnly || !gitPromise ? undefined : await gitPromise;
  tracePhase('git snapshot done');
  const sourceFile = guessSourceFile(opts.command, opts.cwd);
  const systemTags: KeyValue[] = [
    { key: 'mlflow.source.type', value: 'LOCAL' },
    // Lets another window (or the extension) stop a run this process launched.
    { key: 'loopline.launcher.pid', value: String(process.pid) },
    { key: 'loopline.launcher.host', value: hostname() },
    // Where the command ran, so "rerun" can run it the same way.
    { key: 'loopline.cwd', value: opts.cwd },
  ];
  if (sourceFile) systemTags.push({ key: 'mlflow.source.name', value: sourceFile });
  systemTags.push(...gitTags(git));
  const run = queued ? startQueuedRun(store, queued.info.id, systemTags) : store.createRun({
    experimentId: experiment.id,
    name: opts.name ?? '',
    command: joinCommandLine(opts.command),
    sourceFile,
    ...(git ? { git } : {}),
    backend: backend.name,
    tags: systemTags,
    params: opts.params ?? [],
  });
  const runId = run.info.id;
  const started = Date.now();
  tracePhase('run created');

  // A log that cannot be written (disk full, read-only) costs the log, never the run: the output
  // still reaches the caller and the run still gets its final status.
  const logFile = resolveArtifactPath(store.artifactsRoot, runId, OUTPUT_LOG);
  let logError: string | undefined;
  let log: WriteStream | undefined;
  try {
    ensureParentDir(logFile);
    log = createWriteStream(logFile);
    log.on('error', (err) => (logError ??= err.message));
  } catch (err) {
    logError = err instanceof Error ? err.message : String(err);
  }
  const writeLog = (data: Buffer | string) => {
    if (log && !logError) log.write(data);
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env ?? process.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, trackingEnv(opts.tracking, experiment.id, runId, opts.spoolDir, opts.params ?? []));
  // `import loopline` works in any repository with no install; a client the user installed wins.
  const clientDir = bundledPythonClientDir();
  if (clientDir) env.PYTHONPATH = appendPythonPath(env.PYTHONPATH, clientDir);

  // The snapshot taken while the process starts: recorded as soon as it is ready.
  const gitRecorded =
    gitPromise && !git
      ? gitPromise.then((g) => {
          store.setRunGit(runId, g);
          const tags = gitTags(g);
          if (tags.length) store.logBatch(runId, { tags }, { enforceLimits: false });
        })
      : Promise.resolve();
  gitRecorded.catch(() => {}); // reported with the end
  // The data loopline.yaml declares, fingerprinted while the command runs (retrain records its own).
  const dataRecorded =
    opts.recordData === false
      ? Promise.resolve([] as string[])
      : dataLineageTags(findGitRoot(opts.cwd) ?? opts.cwd).then(({ tags, problems }) => {
          if (tags.length) store.logBatch(runId, { tags }, { enforceLimits: false });
          return problems;
        });
  dataRecorded.catch(() => {}); // reported with the end
  const artifactsDir = runArtifactDir(store.artifactsRoot, runId);
  const proc = backend.launch({
    runId,
    experimentId: experiment.id,
    store,
    artifactsDir,
    onTags: (tags) => {
      try {
        if (store.db.open) store.logBatch(runId, { tags }, { enforceLimits: false });
      } catch {
        // recorded again with the end
      }
    },
    command: opts.command,
    cwd: opts.cwd,
    env,
    onOutput: (chunk, stream) => {
      writeLog(chunk);
      opts.onOutput?.(chunk, stream);
    },
  });

  let stopRequested = false;
  // A stop after the script itself exited (only leftovers were running) does not make it KILLED.
  let stoppedWhileRunning = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (stopRequested) {
      proc.kill();
      return;
    }
    stopRequested = true;
    stoppedWhileRunning = !proc.mainExited;
    proc.interrupt();
    killTimer = setTimeout(() => proc.kill(), opts.stopGraceMs ?? 10_000);
    killTimer.unref();
  };

  const finished = proc.exited.then(async (exit) => {
    tracePhase('process ended');
    if (killTimer) clearTimeout(killTimer);
    const problems: string[] = [];
    await gitRecorded.catch((err: unknown) => problems.push(`recording the code snapshot: ${err instanceof Error ? err.message : String(err)}`));
    problems.push(...(await dataRecorded.catch((err: unknown) => [`recording the run's data: ${err instanceof Error ? err.message : String(err)}`])));
    let firstError: string | undefined;
    // Each step is tried on its own: whatever fails, the run's final status is still recorded.
    const attempt = async (into: string[], what: string, fn: () => unknown) => {
      try {
        await fn();
      } catch (err) {
        into.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    if (exit.startError) writeLog(`loopline: ${exit.startError}\n`);
    if (log && !log.destroyed) await new Promise<void>((r) => log.end(() => r()));
    if (logError) problems.push(`writing the output log ${logFile}: ${logError} (the output shown live was complete; the log artifact is cut short)`);
    const status: RunStatus = stoppedWhileRunning ? 'KILLED' : exit.exitCode === 0 && !exit.failed ? 'FINISHED' : 'FAILED';
    const exitCode = exit.exitCode ?? (exit.signal ? 128 + signalNumber(exit.signal) : null);
    const tags = [...(exit.tags ?? [])];
    if (status !== 'FINISHED') {
      const reason =
        status === 'KILLED' ? 'stopped by the user' : (exit.statusReason ?? exit.startError ?? (exit.signal ? `ended by signal ${exit.signal}` : `exited with code ${exitCode}`));
      tags.push({ key: 'loopline.statusReason', value: reason });
    }
    const endTime = Date.now();
    // The caller may have closed its store meanwhile (a window closing), or the store may be briefly
    // unwritable: retry with a fresh connection, and say so if it never works.
    const attempts = Math.max(1, opts.finishAttempts ?? 6);
    let statusRecorded = false;
    let lastError = '';
    for (let i = 0; i < attempts && !statusRecorded; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** (i - 1), 4000)));
      let target: RunStore | undefined;
      try {
        target = i === 0 && store.db.open ? store : RunStore.open(store.path, { artifactsRoot: store.artifactsRoot });
        // Log artifact, spool, artifacts and end tags first, so readers see the run's data before it
        // shows as ended; redone with the status when the store was not writable (safe to repeat).
        const t = target;
        const extras: string[] = [];
        await attempt(extras, 'recording the output log', async () => t.recordArtifact(runId, OUTPUT_LOG, statSync(logFile).size, await sha256File(logFile)));
        await attempt(extras, 'importing spooled data', async () => extras.push(...(await importRunSpools(t, opts.spoolDir, runId)).map((p) => `spool: ${p}`)));
        for (const rel of exit.artifacts ?? []) {
          await attempt(extras, `recording artifact ${rel}`, async () => {
            const file = resolveArtifactPath(t.artifactsRoot, runId, rel);
            t.recordArtifact(runId, rel, statSync(file).size, await sha256File(file));
          });
        }
        if (tags.length) await attempt(extras, 'recording the end tags', () => t.logBatch(runId, { tags }, { enforceLimits: false }));
        target.updateRun(runId, { status, endTime, exitCode });
        statusRecorded = true;
        problems.push(...extras);
        if (i > 0) problems.push(`recording the final status needed ${i + 1} attempts (first failure: ${firstError})`);
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        firstError ??= lastError;
      } finally {
        if (target && target !== store && target.db.open) target.close();
      }
    }
    if (!statusRecorded) {
      problems.push(
        `could not record that run ${runId} ended ${status} after ${attempts} attempts: ${lastError}. It still shows RUNNING; ` +
          'check that the .loopline folder is writable and has free space.',
      );
    }
    const outcome: RunOutcome = { runId, status, exitCode, signal: exit.signal, durationMs: Date.now() - started, problems, statusRecorded };
    if (exit.startError) outcome.startError = exit.startError;
    return outcome;
  });
  return { runId, process: proc, stop, finished };
}

function gitTags(git: GitSnapshot | undefined): KeyValue[] {
  const tags: KeyValue[] = [];
  if (git?.commit) tags.push({ key: 'mlflow.source.git.commit', value: git.commit });
  if (git?.branch) tags.push({ key: 'mlflow.source.git.branch', value: git.branch });
  return tags;
}

/** A queued run starts now: RUNNING, its start time reset so its duration excludes the wait. */
function startQueuedRun(store: RunStore, runId: string, tags: KeyValue[]): Run {
  const run = store.getRun(runId);
  if (run.info.status !== 'SCHEDULED') throw new Error(`Run ${runId} is ${run.info.status}, not SCHEDULED; only a queued run can be started.`);
  store.updateRun(runId, { status: 'RUNNING', startTime: Date.now() });
  store.logBatch(runId, { tags: tags.filter((t) => !(t.key in run.tags)) });
  return store.getRun(runId);
}

/** The variables both Loopline's client and MLflow's read, so either logs into this run. */
export function trackingEnv(
  tracking: { url: string; token: string },
  experimentId: string,
  runId: string,
  spoolDir: string,
  params: KeyValue[],
): Record<string, string> {
  return {
    LOOPLINE_TRACKING_URI: tracking.url,
    LOOPLINE_TRACKING_TOKEN: tracking.token,
    LOOPLINE_RUN_ID: runId,
    LOOPLINE_EXPERIMENT_ID: experimentId,
    LOOPLINE_SPOOL_DIR: spoolDir,
    LOOPLINE_PARAMS: JSON.stringify(Object.fromEntries(params.map((p) => [p.key, p.value]))),
    MLFLOW_TRACKING_URI: tracking.url,
    MLFLOW_TRACKING_TOKEN: tracking.token,
    MLFLOW_EXPERIMENT_ID: experimentId,
    MLFLOW_RUN_ID: runId,
    // Output arrives line by line instead of in 4 KB blocks at exit.
    PYTHONUNBUFFERED: '1',
  };
}

/** Imports what the client spooled for this run; returns problems, keeps files that had any. */
async function importRunSpools(store: RunStore, spoolDir: string, runId: string): Promise<string[]> {
  if (!existsSync(spoolDir)) return [];
  const problems: string[] = [];
  for (const name of readdirSync(spoolDir).filter((n) => n.startsWith(`${runId}-`) && n.endsWith('.jsonl'))) {
    const file = join(spoolDir, name);
    const result = await importSpool(store, file);
    if (result.problems.length === 0) {
      rmSync(file, { force: true });
      // The client keeps copies of spooled artifact files beside the spool file.
      rmSync(file.replace(/\.jsonl$/, '.artifacts'), { recursive: true, force: true });
    }
    else problems.push(...result.problems.map((p) => `${file}:${p.line}: ${p.message}`));
  }
  return problems;
}

/**
 * The script a command runs (`python3 train.py`, `python -m pkg.train`), relative to the git root
 * (or cwd outside git), so runs of one script match wherever they were launched from.
 */
export function guessSourceFile(command: string[], cwd: string): string | null {
  const m = command.indexOf('-m');
  if (m >= 0 && command[m + 1]) return command[m + 1]!;
  const base = findGitRoot(cwd) ?? cwd;
  for (const arg of command) {
    if (/\.(py|ipynb|sh|js|ts|R|jl)$/.test(arg) && existsSync(resolve(cwd, arg))) return relative(base, resolve(cwd, arg)).split('\\').join('/') || arg;
  }
  return null;
}

function signalNumber(sig: string): number {
  const table: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };
  return table[sig] ?? 0;
}
