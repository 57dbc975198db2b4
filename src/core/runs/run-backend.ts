/**
 * Where a run's process executes. `LocalProcessBackend` is the only one today; a container
 * backend (dockerode) implements the same interface so the launcher does not change.
 */
export interface LaunchSpec {
  runId: string;
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
  launch(spec: LaunchSpec): LaunchedProcess;
}
