/**
 * Access to a container engine. Dockerode implements it (`docker-engine-backend.ts`, loaded on
 * first use so nothing heavy loads with the extension); the interface keeps the choice of client
 * open (a CLI-based one, Podman) and lets launchers, sweeps and deployments share one API.
 */
export interface ContainerSpec {
  image: string;
  /** The image's id when the caller already inspected it (saves a round trip after start). */
  imageId?: string;
  command: string[];
  workingDir: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  /** Host folders to mount (local engines). */
  binds: Array<{ source: string; target: string; readOnly: boolean }>;
  /** Host folders copied in before start (remote engines, which cannot see this machine's files). */
  copyIn: Array<{ source: string; target: string; /** tar --exclude patterns, e.g. ./.loopline (the store and its token). */ exclude?: string[] }>;
  network: string;
  cpus?: number;
  memoryBytes?: number;
  shmSizeBytes?: number;
  gpus?: 'all' | number;
}

export interface ContainerExit {
  exitCode: number;
  oomKilled: boolean;
  /** The engine went away while waiting (stopped or restarted): the exit code is unknown. */
  engineLost?: boolean;
  /** The engine stopped the container because the engine itself was stopping (a restart of Docker). */
  engineStopped?: boolean;
  /** The engine's own error for the container, if any. */
  error?: string;
}

export type OutputSink = (chunk: Buffer, stream: 'stdout' | 'stderr') => void;

export interface ContainerHandle {
  readonly id: string;
  readonly imageId: string;
  /** Settles once the container has exited and its output has been delivered. */
  wait(): Promise<ContainerExit>;
  signal(sig: 'SIGTERM' | 'SIGKILL' | 'SIGINT'): Promise<void>;
  /** Copies the contents of a folder in the container into `hostDir` (works on remote engines). */
  copyOut(containerPath: string, hostDir: string): Promise<void>;
  remove(): Promise<void>;
}

export interface ImageSummary {
  ref: string;
  id: string;
  size: number;
}

export interface ContainerSummary {
  id: string;
  labels: Record<string, string>;
  running: boolean;
}

export interface BuildSpec {
  context: string;
  dockerfile?: string;
  tag: string;
  buildArgs: Record<string, string>;
}

/** A long-lived container (a model server, a proxy): started detached, outlives this process. */
export interface ServiceSpec extends ContainerSpec {
  name: string;
  /** Ports to publish, e.g. {containerPort: 8080, hostPort: 9000, hostIp: '127.0.0.1'}. */
  ports?: Array<{ containerPort: number; hostPort: number; hostIp: string }>;
}

export interface ContainerBackend {
  /** Where the engine is (for messages): unix:///var/run/docker.sock, tcp://…. */
  readonly endpoint: string;
  /** True when the engine cannot see this machine's files (tcp:// or ssh://): no bind mounts. */
  readonly remote: boolean;
  /** The engine runs on this machine (a unix socket, or tcp:// to a loopback address). */
  readonly onThisMachine: boolean;
  ping(): Promise<void>;
  hasGpuRuntime(): Promise<boolean>;
  inspectImage(ref: string): Promise<{ id: string } | null>;
  listImages(): Promise<ImageSummary[]>;
  /** Streams the build's output lines; rejects with `ImageBuildError` holding the failing step's output. */
  buildImage(spec: BuildSpec, onLine: (line: string) => void): Promise<{ imageId: string }>;
  /** The address containers on `network` reach this machine at, or null (none, host, unknown). */
  networkGateway(network: string): Promise<string | null>;
  /** Creates, attaches (so no output is lost) and starts a container. */
  start(spec: ContainerSpec, onOutput: OutputSink): Promise<ContainerHandle>;
  find(labels: Record<string, string>): Promise<ContainerSummary[]>;
  /** Follows an existing container: its whole log from the start, then its end. */
  reattach(id: string, onOutput: OutputSink): Promise<ContainerHandle>;
  /** Creates and starts a detached service container; returns its id. */
  startService(spec: ServiceSpec): Promise<string>;
  /** Signals a container by id (SIGHUP makes nginx reload its configuration gracefully). */
  signalContainer(id: string, sig: 'SIGHUP' | 'SIGTERM' | 'SIGKILL'): Promise<void>;
  removeContainer(id: string): Promise<void>;
  /** The last `lines` lines of a container's output (stdout and stderr interleaved). */
  containerLogs(id: string, lines: number): Promise<string>;
  /** Creates a user-defined bridge network unless it exists. */
  ensureNetwork(name: string, labels: Record<string, string>): Promise<void>;
  removeNetwork(name: string): Promise<void>;
  /** Container name → IPv4 address of the containers attached to `network`. */
  networkAddresses(network: string): Promise<Record<string, string>>;
}

/** A build that failed; `output` is the end of its log, ending with the failing step's output. */
export class ImageBuildError extends Error {
  readonly output: string;
  constructor(message: string, output: string) {
    super(message);
    this.name = 'ImageBuildError';
    this.output = output;
  }
}

/**
 * True for an `ImageBuildError`, also one made by the separately bundled engine module (a different
 * copy of the class, so `instanceof` cannot tell).
 */
export function isImageBuildError(err: unknown): err is ImageBuildError {
  return err instanceof Error && err.name === 'ImageBuildError' && typeof (err as { output?: unknown }).output === 'string';
}

let loaded: Promise<ContainerBackend> | undefined;

/** The dockerode-backed engine for DOCKER_HOST (or the default socket), loaded on first use. */
export function dockerBackend(): Promise<ContainerBackend> {
  loaded ??= import('./docker-engine-backend.ts').then((m) => m.DockerEngineBackend.fromEnvironment());
  return loaded;
}
