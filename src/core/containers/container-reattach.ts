import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ensureParentDir, resolveArtifactPath, sha256File } from '../store/artifact-files.ts';
import type { RunStore } from '../store/run-store.ts';
import type { RunStatus } from '../store/types.ts';
import { dockerBackend, type ContainerBackend } from './container-backend.ts';
import { finishContainer, LABEL_MEMORY, LABEL_OUTPUT_DIR, LABEL_OUTPUTS, LABEL_RELAY, LABEL_RUN, LABEL_STORE, TAG_STOP_REQUESTED } from './container-finish.ts';
import { startGatewayRelay, type GatewayRelay } from './gateway-relay.ts';
import { SpoolTailer } from './spool-tailer.ts';
import { outputPathMapper } from './output-paths.ts';

const OUTPUT_LOG = 'logs/output.log';

export interface ReattachedRun {
  runId: string;
  containerId: string;
  finished: Promise<{ status: RunStatus; exitCode: number | null; statusReason?: string }>;
}

/**
 * Finds this store's containers by label after the process that launched them went away (a closed
 * window, a killed `loopline run`): follows each running one (its whole log rewrites the run's
 * output log, metrics continue from the spool where the last reader stopped, the tracking relay
 * comes back on its old address) and records its end; containers of runs that already ended are
 * removed. Returns the runs being followed.
 */
export async function reattachContainerRuns(
  store: RunStore,
  opts: { backend?: ContainerBackend; trackingUrl?: string; onOutput?: (runId: string, chunk: Buffer, stream: 'stdout' | 'stderr') => void } = {},
): Promise<ReattachedRun[]> {
  const backend = opts.backend ?? (await dockerBackend());
  const containers = await backend.find({ [LABEL_STORE]: store.path });
  const followed: ReattachedRun[] = [];
  for (const c of containers) {
    const runId = c.labels[LABEL_RUN];
    const staging = c.labels[LABEL_OUTPUTS];
    const outputDir = c.labels[LABEL_OUTPUT_DIR] ?? '/outputs';
    let status: RunStatus | undefined;
    try {
      status = runId ? store.getRun(runId).info.status : undefined;
    } catch {
      status = undefined;
    }
    if (runId && status === 'RUNNING' && launcherAlive(store, runId)) continue; // its launcher still follows it
    if (!runId || !staging || status !== 'RUNNING') {
      // Its run is over (or gone): nothing may stay behind.
      if (!c.running) await backend.reattach(c.id, () => {}).then((h) => h.remove()).catch(() => {});
      else if (!status) await backend.reattach(c.id, () => {}).then(async (h) => (await h.signal('SIGKILL'), h.remove())).catch(() => {});
      continue;
    }
    const logFile = resolveArtifactPath(store.artifactsRoot, runId, OUTPUT_LOG);
    ensureParentDir(logFile);
    const log = createWriteStream(logFile); // the container keeps its whole log: rewrite from the start
    const handle = await backend.reattach(c.id, (chunk, stream) => {
      log.write(chunk);
      opts.onOutput?.(runId, chunk, stream);
    });
    let relay: GatewayRelay | undefined;
    const relayHost = c.labels[LABEL_RELAY];
    if (relayHost && opts.trackingUrl && c.running) {
      const [host, port] = [relayHost.slice(0, relayHost.lastIndexOf(':')), Number(relayHost.slice(relayHost.lastIndexOf(':') + 1))];
      relay = await startGatewayRelay(host, opts.trackingUrl, port).catch(() => undefined); // else the client spools
    }
    mkdirSync(join(staging, '.loopline', 'spool'), { recursive: true });
    const tailer = new SpoolTailer(store, join(staging, '.loopline', 'spool'), join(staging, '.loopline', 'offsets.json'), outputPathMapper(outputDir, staging));
    if (!backend.remote) tailer.start();
    const memory = Number(c.labels[LABEL_MEMORY] ?? 0);
    const finished = (async () => {
      const exit = await handle.wait();
      const done = await finishContainer({ backend, handle, exit, store, runId, staging, outputDir, tailer, ...(relay ? { relay } : {}), ...(memory ? { memoryBytes: memory } : {}) });
      await new Promise<void>((r) => log.end(r));
      const run = store.getRun(runId);
      const stopped = run.tags[TAG_STOP_REQUESTED] === 'true';
      const result: RunStatus = stopped ? 'KILLED' : exit.exitCode === 0 && !done.failed ? 'FINISHED' : 'FAILED';
      const tags = [...done.tags];
      const statusReason = stopped ? 'stopped by the user' : done.statusReason;
      if (statusReason) tags.push({ key: 'loopline.statusReason', value: statusReason });
      tags.push({ key: 'loopline.reattached', value: 'true' });
      for (const rel of [OUTPUT_LOG, ...done.artifacts]) {
        const file = resolveArtifactPath(store.artifactsRoot, runId, rel);
        if (existsSync(file)) store.recordArtifact(runId, rel, statSync(file).size, await sha256File(file));
      }
      store.logBatch(runId, { tags }, { enforceLimits: false });
      const exitCode = exit.engineLost ? null : exit.exitCode;
      store.updateRun(runId, { status: result, endTime: Date.now(), exitCode });
      return { status: result, exitCode, ...(statusReason ? { statusReason } : {}) };
    })();
    followed.push({ runId, containerId: c.id, finished });
  }
  return followed;
}

/** The process that launched the run is alive on this machine (so it records the end itself). */
function launcherAlive(store: RunStore, runId: string): boolean {
  const tags = store.getRun(runId).tags;
  const pid = Number(tags['loopline.launcher.pid']);
  if (!pid || pid === process.pid || tags['loopline.launcher.host'] !== hostname()) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Running container runs of this store whose launcher is gone: what `reattachContainerRuns` would follow. */
export function orphanedContainerRuns(store: RunStore): string[] {
  const ids = store.listExperiments().map((e) => e.id);
  if (!ids.length) return [];
  return store
    .searchRunIds({ experimentIds: ids, filter: "attributes.status = 'RUNNING'" })
    .filter((id) => store.getRun(id).tags['loopline.container.id'] && !launcherAlive(store, id));
}

/**
 * Stops a container run from any process (the extension's Stop Run on a run another process
 * launched, or one that was reattached): SIGTERM now, SIGKILL after `graceSec`.
 */
export async function stopContainerRun(store: RunStore, runId: string, graceSec = 10, backend?: ContainerBackend): Promise<boolean> {
  const engine = backend ?? (await dockerBackend());
  const [c] = await engine.find({ [LABEL_STORE]: store.path, [LABEL_RUN]: runId });
  if (!c || !c.running) return false;
  store.logBatch(runId, { tags: [{ key: TAG_STOP_REQUESTED, value: 'true' }] }, { enforceLimits: false });
  const handle = await engine.reattach(c.id, () => {});
  await handle.signal('SIGTERM');
  const timer = setTimeout(() => void handle.signal('SIGKILL').catch(() => {}), graceSec * 1000);
  timer.unref();
  void handle.wait().finally(() => clearTimeout(timer));
  return true;
}
