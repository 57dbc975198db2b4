import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, copyFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureParentDir, resolveArtifactPath } from '../store/artifact-files.ts';
import type { RunStore } from '../store/run-store.ts';
import type { KeyValue } from '../store/types.ts';
import type { ContainerBackend, ContainerExit, ContainerHandle } from './container-backend.ts';
import { formatBytes } from './container-options.ts';
import type { GatewayRelay } from './gateway-relay.ts';
import type { SpoolTailer } from './spool-tailer.ts';

/** Labels that let a later process find a run's container and finish it. */
export const LABEL_RUN = 'loopline.run';
export const LABEL_STORE = 'loopline.store';
export const LABEL_OUTPUTS = 'loopline.outputs';
export const LABEL_OUTPUT_DIR = 'loopline.outputDir';
export const LABEL_RELAY = 'loopline.relay';
export const LABEL_MEMORY = 'loopline.memoryBytes';
/** Set on the run when someone asked it to stop, so whoever records the end says KILLED. */
export const TAG_STOP_REQUESTED = 'loopline.stopRequested';

export interface FinishedContainer {
  exit: ContainerExit;
  tags: KeyValue[];
  /** Set when the run did not end FINISHED. */
  statusReason?: string;
  failed: boolean;
  artifacts: string[];
  problems: string[];
}

/**
 * After the container exited: copies the output folder out (remote engines), imports the rest of
 * the spool, moves the output files into the run's artifacts, removes the container and stops
 * the relay. Every step is tried even if one fails; nothing is left running.
 */
export async function finishContainer(ctx: {
  backend: ContainerBackend;
  handle: ContainerHandle;
  exit: ContainerExit;
  store: RunStore;
  runId: string;
  staging: string;
  outputDir: string;
  tailer: SpoolTailer;
  relay?: GatewayRelay;
  memoryBytes?: number;
}): Promise<FinishedContainer> {
  const problems: string[] = [];
  const step = async (what: string, fn: () => unknown) => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const { exit } = ctx;
  if (ctx.backend.remote && !exit.engineLost) await step('copying the output folder out of the container', () => ctx.handle.copyOut(ctx.outputDir, ctx.staging));
  // The container is no longer needed (its files are on this machine): the engine removes it
  // while the metrics and files are collected.
  // A stopped engine cannot remove it now: whoever starts the engine again and runs `loopline runs
  // reattach` (or opens VS Code) removes it then.
  const removed = exit.engineLost || exit.engineStopped ? ctx.handle.remove().catch(() => {}) : step('removing the container', () => ctx.handle.remove());
  await step('importing metrics', () => ctx.tailer.stop());
  problems.push(...ctx.tailer.problems);
  const artifacts: string[] = [];
  await step('collecting output files', () => artifacts.push(...moveOutputs(ctx.store, ctx.runId, ctx.staging, problems)));
  await removed;
  if (ctx.relay) await step('closing the tracking relay', () => ctx.relay!.close());
  if (!exit.engineLost) rmSync(ctx.staging, { recursive: true, force: true });
  const tags: KeyValue[] = [
    { key: 'loopline.container.exitCode', value: exit.engineLost ? 'unknown' : String(exit.exitCode) },
    { key: 'loopline.container.oomKilled', value: String(exit.oomKilled) },
  ];
  let statusReason: string | undefined;
  let failed = false;
  if (exit.engineLost || exit.engineStopped) {
    statusReason = 'Docker engine stopped during the run';
    failed = true;
  } else if (exit.oomKilled) {
    statusReason = ctx.memoryBytes ? `out of memory (limit ${formatBytes(ctx.memoryBytes)})` : 'out of memory';
    failed = true;
  } else if (exit.exitCode !== 0) {
    statusReason = `exited with code ${exit.exitCode}`;
  }
  return { exit, tags, ...(statusReason ? { statusReason } : {}), failed, artifacts, problems };
}

/** Moves files (never links: a link could point anywhere on this machine) into the run's artifacts. */
function moveOutputs(store: RunStore, runId: string, staging: string, problems: string[]): string[] {
  if (!existsSync(staging)) return [];
  const moved: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(staging, path).split('\\').join('/');
      if (rel === '.loopline') continue;
      const st = lstatSync(path);
      if (st.isDirectory()) walk(path);
      else if (st.isFile()) {
        const target = resolveArtifactPath(store.artifactsRoot, runId, rel);
        ensureParentDir(target);
        try {
          renameSync(path, target);
        } catch {
          copyFileSync(path, target);
        }
        moved.push(rel);
      } else problems.push(`output '${rel}' is not a regular file (a link or device); not kept as an artifact`);
    }
  };
  mkdirSync(staging, { recursive: true });
  walk(staging);
  return moved;
}
