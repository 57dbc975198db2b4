import type { RunStore } from '../store/run-store.ts';
import type { KeyValue } from '../store/types.ts';

/**
 * Where a run's process executes. `LocalProcessBackend` runs a child process; `ContainerRunBackend`
 * (src/core/containers) runs the command in a container; the launcher is the same for both.
 */
export interface LaunchSpec {
  runId: string;
  experimentId: string;
  /** The store the run lives in (container backends import metrics and tags while it runs). */
  store: RunStore;
  /** Host folder of the run's artifacts; a backend may put files there and list them in `ProcessExit.artifacts`. */
  artifactsDir: string;
  /** Record tags while the run is running (the container id once it exists, …). */
  onTags: (tags: KeyValue[]) => void;
  /** argv: the program and its arguments, never passed through a shell. */
  command: string[];
  cwd: string;
  env: Record<string, string>;
  /** Every chunk of output, in order, with the stream it came from. */
  onOutput: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
}

export interface ProcessExit {
  /** null when the process was ended by a signal. */
  exitCode: number | null;
  signal: string | null;
  /** Set when the process could not start at all (e.g. command not found). */
  startError?: string;
  /** Why it did not end FINISHED, as a sentence (`out of memory (limit 64 MiB)`); recorded as `loopline.statusReason`. */
  statusReason?: string;
  /** Ended badly even if an exit code says 0 (the engine went away). */
  failed?: boolean;
  /** Tags to record with the end (exit code, OOM, …). */
  tags?: KeyValue[];
  /** Files the backend put under `LaunchSpec.artifactsDir`, relative to it. */
  artifacts?: string[];
}

export interface LaunchedProcess {
  readonly pid: number | undefined;
  readonly exited: Promise<ProcessExit>;
  /** The main process has exited (others it started may still run until `exited` settles). */
  readonly mainExited: boolean;
  /** Ask the process to stop (SIGINT, so Python raises KeyboardInterrupt and can clean up). */
  interrupt(): void;
  /** End it now. */
  kill(): void;
}

export interface RunBackend {
  readonly name: string;
  /**
   * The command cannot change the workspace (a read-only mount), so the launcher may take the git
   * snapshot while the process starts instead of before.
   */
  readonly workspaceReadOnly?: boolean;
  /** Starts slow, run-independent preparation (loading an engine client, checking an image) early. */
  prepare?(): void;
  launch(spec: LaunchSpec): LaunchedProcess;
}
