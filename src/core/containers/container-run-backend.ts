import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { appendPythonPath, bundledPythonClientDir } from '../python-client/client-location.ts';
import { ensureParentDir } from '../store/artifact-files.ts';
import type { KeyValue } from '../store/types.ts';
import type { LaunchedProcess, LaunchSpec, ProcessExit, RunBackend } from '../runs/run-backend.ts';
import { dockerBackend, isImageBuildError, type ContainerBackend, type ContainerHandle, type ContainerSpec } from './container-backend.ts';
import { buildFolderImage, buildTag } from './image-build.ts';
import { finishContainer, LABEL_MEMORY, LABEL_OUTPUT_DIR, LABEL_OUTPUTS, LABEL_RELAY, LABEL_RUN, LABEL_STORE } from './container-finish.ts';
import type { ContainerRunOptions } from './container-options.ts';
import { startGatewayRelay, type GatewayRelay } from './gateway-relay.ts';
import { SpoolTailer } from './spool-tailer.ts';
import { createWriteStream } from 'node:fs';
import { outputPathMapper } from './output-paths.ts';
import { tracePhase } from '../runs/phase-trace.ts';

export const CONTAINER_WORKDIR = '/workspace';
export const CONTAINER_CLIENT_DIR = '/opt/loopline/python';
const DEFAULT_OUTPUT_DIR = '/outputs';

/** Where a run's output folder lives on this machine while it runs (beside the artifacts). */
export function stagingDirFor(artifactsDir: string, runId: string): string {
  return join(dirname(dirname(artifactsDir)), 'outputs', runId);
}

/**
 * Runs a run's command in a container: builds or checks the image, mounts the workspace
 * read-only at /workspace and a writable output folder, gives the script the tracking
 * environment (HTTP through the network's gateway, or a spool file tailed live with no network),
 * streams the logs, and on exit turns the output folder into artifacts and removes the container.
 */
export class ContainerRunBackend implements RunBackend {
  readonly name = 'container';

  readonly options: ContainerRunOptions;
  private readonly engine: () => Promise<ContainerBackend>;

  constructor(options: ContainerRunOptions, engine: () => Promise<ContainerBackend> = dockerBackend) {
    this.options = options;
    this.engine = engine;
  }

  /** The workspace is mounted read-only; only a writable --mount could let the script change files. */
  get workspaceReadOnly(): boolean {
    return this.options.mounts.every((m) => m.readOnly);
  }

  private prepared: Promise<{ backend: ContainerBackend; image?: { id: string } | null }> | undefined;

  /**
   * Loads the engine client and checks the image while the launcher snapshots git and creates the
   * run; no ping first: the inspect fails with the same explained error when no engine answers.
   */
  prepare(): void {
    this.prepared ??= (async () => {
      const backend = await this.engine();
      tracePhase('engine module loaded');
      if (this.options.build || !this.options.image) {
        await backend.ping();
        return { backend };
      }
      const image = await backend.inspectImage(this.options.image);
      tracePhase('image inspected');
      return { backend, image };
    })();
    this.prepared.catch(() => {}); // reported by launch
  }

  /** The stop request's grace period: SIGTERM, then SIGKILL after this. */
  get stopGraceMs(): number {
    return this.options.stopTimeoutSec * 1000;
  }

  launch(spec: LaunchSpec): LaunchedProcess {
    let cancelled = false;
    let mainExited = false;
    // Closed by finishContainer on the way out; closed here when run() throws before that.
    let openRelay: GatewayRelay | undefined;
    let handle: ContainerHandle | undefined;
    const say = (text: string) => spec.onOutput(Buffer.from(`loopline: ${text}\n`), 'stderr');
    const run = async (): Promise<ProcessExit> => {
      this.prepare();
      const pending = this.prepared!;
      // The next launch of this backend (a sweep's next trial) checks again.
      this.prepared = undefined;
      const prepared = await pending;
      const backend = prepared.backend;
      const artifacts: string[] = [];
      let image = this.options.image ?? '';
      if (this.options.build) {
        const b = this.options.build;
        image = buildTag(b.context);
        say(`building image ${image} from ${b.context}${b.dockerfile ? ` (${b.dockerfile})` : ''} on ${backend.endpoint}`);
        const logFile = join(spec.artifactsDir, 'logs', 'build.log');
        ensureParentDir(logFile);
        const log = createWriteStream(logFile);
        try {
          await buildFolderImage(backend, b, (line) => {
            log.write(line + '\n');
            spec.onOutput(Buffer.from(line + '\n'), 'stdout');
          });
        } catch (err) {
          if (!isImageBuildError(err)) throw err;
          log.write(`${err.message}\n`);
          await new Promise<void>((r) => log.end(r));
          return {
            exitCode: 1,
            signal: null,
            failed: true,
            startError: `${err.message}. The failing step's output:\n${err.output}\nFix the Dockerfile (the whole log is the run's logs/build.log artifact) and run again.`,
            statusReason: `image build failed: ${err.message.replace(/^The image build failed: /, '')}`,
            artifacts: ['logs/build.log'],
            tags: [{ key: 'loopline.container.image', value: image }],
          };
        }
        await new Promise<void>((r) => log.end(r));
        artifacts.push('logs/build.log');
      }
      const found = prepared.image !== undefined ? prepared.image : await backend.inspectImage(image);
      if (!found) {
        const hint = existsSync(join(findWorkspace(spec), 'Dockerfile'))
          ? ' This workspace has a Dockerfile: build it with --build . (or --build DIR for another folder).'
          : ' Build one with --build DIR (a folder with a Dockerfile), or load it with docker load / docker pull.';
        return { exitCode: 125, signal: null, failed: true, startError: `Image '${image}' is not on the Docker engine at ${backend.endpoint} (Loopline does not pull images).${hint}`, statusReason: `image '${image}' not found`, artifacts };
      }
      if (this.options.gpus !== undefined && !(await backend.hasGpuRuntime()))
        return {
          exitCode: 125,
          signal: null,
          failed: true,
          startError: `GPUs were requested (--gpus ${this.options.gpus}) but the Docker engine at ${backend.endpoint} has no GPU runtime: install the NVIDIA Container Toolkit where the engine runs, or run without --gpus.`,
          statusReason: 'no GPU runtime on the Docker engine',
          artifacts,
        };
      if (cancelled) return { exitCode: null, signal: 'SIGTERM', artifacts };

      const outputDir = this.options.env.LOOPLINE_OUTPUT_DIR ?? DEFAULT_OUTPUT_DIR;
      const staging = stagingDirFor(spec.artifactsDir, spec.runId);
      mkdirSync(join(staging, '.loopline', 'spool'), { recursive: true });
      // The script may run as any user in the image.
      chmodSync(staging, 0o777);
      chmodSync(join(staging, '.loopline'), 0o777);
      chmodSync(join(staging, '.loopline', 'spool'), 0o777);
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(spec.env)) if (k.startsWith('LOOPLINE_') || k.startsWith('MLFLOW_') || k === 'PYTHONUNBUFFERED') env[k] = v;
      Object.assign(env, this.options.env, {
        LOOPLINE_OUTPUT_DIR: outputDir,
        LOOPLINE_SPOOL_DIR: `${outputDir}/.loopline/spool`,
        PYTHONPATH: appendPythonPath(this.options.env.PYTHONPATH, CONTAINER_CLIENT_DIR),
      });
      let relay: GatewayRelay | undefined;
      const network = this.options.network;
      const trackingUrl = spec.env.LOOPLINE_TRACKING_URI ?? '';
      const offline = () => {
        env.LOOPLINE_OFFLINE = '1';
        env.LOOPLINE_SPOOL_TAILED = '1';
        delete env.LOOPLINE_TRACKING_URI;
        delete env.MLFLOW_TRACKING_URI;
        // No server to talk to: keep the token out of the container's config (docker inspect).
        delete env.LOOPLINE_TRACKING_TOKEN;
        delete env.MLFLOW_TRACKING_TOKEN;
      };
      if (network === 'none' || !trackingUrl) offline();
      else if (network === 'host') {
        if (backend.remote) offline();
      } else {
        const gateway = await backend.networkGateway(network);
        if (gateway && backend.onThisMachine) {
          relay = openRelay = await startGatewayRelay(gateway, trackingUrl);
          env.LOOPLINE_TRACKING_URI = relay.url;
          env.MLFLOW_TRACKING_URI = relay.url;
        } else offline();
      }
      const labels: Record<string, string> = {
        [LABEL_RUN]: spec.runId,
        [LABEL_STORE]: spec.store.path,
        [LABEL_OUTPUTS]: staging,
        [LABEL_OUTPUT_DIR]: outputDir,
      };
      if (relay) labels[LABEL_RELAY] = new URL(relay.url).host;
      if (this.options.memory) labels[LABEL_MEMORY] = String(this.options.memory.bytes);
      const clientDir = bundledPythonClientDir();
      const workspace = findWorkspace(spec);
      const containerSpec: ContainerSpec = {
        image,
        imageId: found.id,
        command: spec.command,
        workingDir: CONTAINER_WORKDIR,
        env,
        labels,
        binds: [
          { source: workspace, target: CONTAINER_WORKDIR, readOnly: true },
          { source: staging, target: outputDir, readOnly: false },
          ...(clientDir ? [{ source: clientDir, target: CONTAINER_CLIENT_DIR, readOnly: true }] : []),
          ...this.options.mounts,
        ],
        copyIn: [
          // Never the store (and the server token): only the code goes to a remote engine.
          { source: workspace, target: CONTAINER_WORKDIR, exclude: ['./.loopline', './.git'] },
          { source: staging, target: outputDir },
          ...(clientDir ? [{ source: clientDir, target: CONTAINER_CLIENT_DIR }] : []),
        ],
        network,
      };
      if (this.options.cpus) containerSpec.cpus = this.options.cpus;
      if (this.options.memory) containerSpec.memoryBytes = this.options.memory.bytes;
      if (this.options.shmSize) containerSpec.shmSizeBytes = this.options.shmSize.bytes;
      if (this.options.gpus !== undefined) containerSpec.gpus = this.options.gpus;
      if (backend.remote && this.options.mounts.length) say('the Docker engine is remote: --mount folders of this machine are not available there and were left out');
      if (backend.remote) containerSpec.binds = [];

      const tailer = new SpoolTailer(spec.store, join(staging, '.loopline', 'spool'), join(staging, '.loopline', 'offsets.json'), outputPathMapper(outputDir, staging));
      try {
        tracePhase('container spec ready');
        handle = await backend.start(containerSpec, spec.onOutput);
        tracePhase('container started');
      } catch (err) {
        await relay?.close();
        const msg = err instanceof Error ? err.message : String(err);
        const notFound = /executable file not found|no such file or directory/i.exec(msg);
        if (notFound)
          return { exitCode: 127, signal: null, failed: true, startError: `Command '${spec.command[0]}' was not found in image '${image}': check the command (the working directory is ${CONTAINER_WORKDIR}, your workspace), or use an image that has it.`, statusReason: `command '${spec.command[0]}' not found in the image`, artifacts };
        throw err;
      }
      const pulling = backend.remote ? pullSpool(handle, outputDir, join(staging, '.loopline', 'spool'), tailer) : undefined;
      if (!backend.remote) tailer.start();
      const startTags: KeyValue[] = [
        { key: 'loopline.container.image', value: this.options.image ?? image },
        { key: 'loopline.container.imageId', value: handle.imageId },
        { key: 'loopline.container.id', value: handle.id },
        { key: 'loopline.container.engine', value: backend.endpoint },
        { key: 'loopline.container.network', value: network },
      ];
      if (this.options.cpus) startTags.push({ key: 'loopline.container.cpus', value: String(this.options.cpus) });
      if (this.options.memory) startTags.push({ key: 'loopline.container.memory', value: this.options.memory.text });
      if (this.options.gpus !== undefined) startTags.push({ key: 'loopline.container.gpus', value: String(this.options.gpus) });
      if (this.options.shmSize) startTags.push({ key: 'loopline.container.shmSize', value: this.options.shmSize.text });
      spec.onTags(startTags);
      if (cancelled) void handle.signal('SIGTERM');
      const exit = await handle.wait();
      await pulling?.stop();
      mainExited = true;
      tracePhase('container exit seen');
      const done = await finishContainer({
        backend,
        handle,
        exit,
        store: spec.store,
        runId: spec.runId,
        staging,
        outputDir,
        tailer,
        ...(relay ? { relay } : {}),
        ...(this.options.memory ? { memoryBytes: this.options.memory.bytes } : {}),
      });
      tracePhase('container finished (outputs, removal)');
      for (const p of done.problems) say(p);
      if (done.statusReason) say(done.statusReason);
      return {
        exitCode: exit.engineLost ? null : exit.exitCode,
        signal: null,
        tags: [...startTags, ...done.tags],
        artifacts: [...artifacts, ...done.artifacts],
        failed: done.failed,
        ...(done.statusReason ? { statusReason: done.statusReason } : {}),
      };
    };
    const exited = run().catch(async (err: unknown): Promise<ProcessExit> => {
      mainExited = true;
      await openRelay?.close().catch(() => undefined);
      const msg = err instanceof Error ? err.message : String(err);
      return { exitCode: 125, signal: null, failed: true, startError: msg, statusReason: msg.split(/: (?=[a-z])/)[0] ?? msg };
    });
    return {
      pid: undefined,
      exited,
      get mainExited() {
        return mainExited;
      },
      interrupt: () => {
        cancelled = true;
        void handle?.signal('SIGTERM').catch(() => {});
      },
      kill: () => {
        cancelled = true;
        void handle?.signal('SIGKILL').catch(() => {});
      },
    };
  }
}

/**
 * A remote engine cannot share the output folder: its spool is copied out every few seconds
 * (getArchive) and imported, so metrics still arrive while the run runs.
 */
function pullSpool(handle: ContainerHandle, outputDir: string, hostSpool: string, tailer: SpoolTailer, everyMs = 2000): { stop(): Promise<void> } {
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  const tick = () => {
    current = handle
      .copyOut(`${outputDir}/.loopline/spool`, hostSpool)
      .then(() => tailer.poll())
      .catch(() => {}) // not written yet, or the container just ended: the end copies everything
      .finally(() => {
        if (!stopped) (timer = setTimeout(tick, everyMs)).unref();
      });
  };
  let timer = setTimeout(tick, everyMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}

/** The workspace mounted at /workspace: the launch folder. */
function findWorkspace(spec: LaunchSpec): string {
  return spec.cwd;
}
