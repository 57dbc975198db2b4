import * as vscode from 'vscode';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { LooplineError } from '../../core/errors.ts';
import type { ActiveRun, RunOutcome } from '../../core/runs/run-launcher.ts';
import type { ContainerRunOptions } from '../../core/containers/container-options.ts';
import type { KeyValue } from '../../core/store/types.ts';
import { SweepQueue, TRIAL_TAG } from '../../core/sweeps/sweep-queue.ts';
import { formatDuration } from '../../shared/display-format.ts';
import { statusWord } from '../../shared/run-status.ts';
import { log } from '../log.ts';
import type { ServerController } from '../tracking/server-controller.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';
import { RunTerminal } from './run-terminal.ts';

export interface LaunchRequest {
  command: string[];
  cwd: string;
  experiment?: string;
  name?: string;
  params?: KeyValue[];
  /** Run in a container (dockerode is loaded only then). */
  container?: ContainerRunOptions;
}

export interface LaunchedRun {
  runId: string;
  finished: Promise<RunOutcome>;
  terminal: vscode.Terminal;
}

/** Starts runs from VS Code (each with its own terminal) and stops them, ours or other processes'. */
export class RunController implements vscode.Disposable {
  private readonly active = new Map<string, { run: ActiveRun; ws: WorkspaceStore }>();
  private readonly servers: ServerController;

  constructor(servers: ServerController) {
    this.servers = servers;
  }

  isOwn(runId: string): boolean {
    return this.active.has(runId);
  }

  async launch(ws: WorkspaceStore, req: LaunchRequest): Promise<LaunchedRun> {
    const endpoint = await this.servers.ensure(ws);
    // Loaded on first use: git snapshots and process launching are not needed to show the tree.
    const { launchRun } = await import('../../core/runs/run-launcher.ts');
    let terminal: RunTerminal | undefined;
    const buffered: Buffer[] = [];
    const backend = req.container ? new (await import('../../core/containers/container-run-backend.ts')).ContainerRunBackend(req.container) : undefined;
    // An image build shows its steps in a progress notification (and in full in the terminal).
    let buildStep: ((step: string) => void) | undefined;
    let buildDone: (() => void) | undefined;
    if (req.container?.build) {
      void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Loopline: building the image' }, (progress) => {
        buildStep = (step) => progress.report({ message: step });
        return new Promise<void>((resolve) => (buildDone = resolve));
      });
    }
    const watchBuild = (chunk: Buffer) => {
      if (!buildDone) return;
      const text = chunk.toString();
      const step = /Step \d+\/\d+ : [^\n]*/.exec(text);
      if (step) buildStep?.(step[0].slice(0, 80));
      if (/Successfully tagged|The image build failed/.test(text)) buildDone();
    };
    const active = await launchRun({
      store: ws.store,
      command: req.command,
      cwd: req.cwd,
      tracking: endpoint,
      ...(req.experiment ? { experiment: req.experiment } : {}),
      ...(req.name ? { name: req.name } : {}),
      params: req.params ?? [],
      spoolDir: join(dirname(ws.store.path), 'spool'),
      ...(backend ? { backend, stopGraceMs: backend.stopGraceMs } : {}),
      onOutput: (chunk) => {
        watchBuild(chunk);
        if (terminal) terminal.write(chunk);
        else buffered.push(chunk);
      },
    });
    void active.finished.finally(() => buildDone?.());
    ws.watcher.notifyLocalWrite();
    const run = ws.store.getRun(active.runId);
    this.active.set(active.runId, { run: active, ws });
    terminal = new RunTerminal({ stop: () => active.stop(), isRunning: () => this.active.has(active.runId), runName: run.info.name });
    terminal.write(`\x1b[2m$ ${run.info.command ?? ''}\x1b[0m\n`);
    for (const b of buffered) terminal.write(b);
    const term = vscode.window.createTerminal({ name: `Loopline: ${run.info.name}`, pty: terminal, iconPath: new vscode.ThemeIcon('beaker') });
    term.show(true);
    log().info(`Run ${active.runId} (${run.info.name}) started: ${run.info.command}`);
    const finished = active.finished.catch((err: unknown) => {
      // The launcher records what it can; never leave the run looking active in this window, and
      // always close out its terminal.
      this.active.delete(active.runId);
      const message = err instanceof Error ? err.message : String(err);
      log().error(`Run ${active.runId} could not be finished: ${message}`);
      terminal!.finish(`Run ${run.info.name}: its end could not be recorded (${message}); see Loopline: Show Log`);
      throw err;
    }).then((outcome) => {
      this.active.delete(active.runId);
      ws.watcher.notifyLocalWrite();
      const how = outcome.startError ?? `exit ${outcome.exitCode ?? outcome.signal ?? '?'}`;
      for (const p of outcome.problems) {
        log().warn(p);
        terminal!.write(`\x1b[33mloopline: ${p}\x1b[0m\n`);
      }
      terminal!.finish(`Run ${run.info.name} ${statusWord(outcome.status)} (${how}) in ${formatDuration(outcome.durationMs)}`);
      log().info(`Run ${active.runId} ${outcome.status} (${how})`);
      if (!outcome.statusRecorded) void vscode.window.showWarningMessage(`Loopline: run "${run.info.name}" ended ${outcome.status}, but the store could not record it: ${outcome.problems.at(-1) ?? ''}`);
      if (outcome.status === 'FAILED') {
        void vscode.window.showErrorMessage(`Loopline: run "${run.info.name}" failed (${how}).`, 'Show Output').then((c) => {
          if (c === 'Show Output') term.show();
        });
      }
      return outcome;
    });
    return { runId: active.runId, finished, terminal: term };
  }

  /**
   * Stops a run: ours directly; one launched by a `loopline run` on this machine by signalling
   * its launcher (which then stops the script and records KILLED).
   */
  stop(ws: WorkspaceStore, runId: string): 'stopping' | 'signalled' {
    const own = this.active.get(runId);
    if (own) {
      own.run.stop();
      return 'stopping';
    }
    const run = ws.store.getRun(runId);
    if (run.info.status !== 'RUNNING' && run.info.status !== 'SCHEDULED') {
      throw new LooplineError('INVALID_STATE', `Run "${run.info.name}" is not running (it is ${run.info.status}).`);
    }
    if (run.tags[TRIAL_TAG]) {
      // A sweep trial: cancelled through the queue, so its launcher stops only this trial.
      new SweepQueue(ws.store).cancel(runId);
      return 'signalled';
    }
    const pid = Number(run.tags['loopline.launcher.pid']);
    if (!pid || run.tags['loopline.launcher.host'] !== hostname()) {
      throw new LooplineError('INVALID_STATE', `Run "${run.info.name}" was not started by Loopline on this machine; stop it where it runs.`);
    }
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      if (run.tags['loopline.container.id']) {
        // Its launcher is gone but the container runs on: stop the container (found by label).
        void import('../../core/containers/container-reattach.ts')
          .then((m) => m.stopContainerRun(ws.store, runId))
          .catch((err: unknown) => log().error(`Stopping the container of run ${runId}: ${err instanceof Error ? err.message : String(err)}`));
        return 'signalled';
      }
      throw new LooplineError(
        'INVALID_STATE',
        `The process that launched run "${run.info.name}" (pid ${pid}) is gone; the run was left RUNNING by a crash. Delete it or leave it.`,
      );
    }
    return 'signalled';
  }

  dispose(): void {
    // Closing the window stops runs it launched rather than leaving orphans.
    for (const { run } of this.active.values()) run.stop();
  }
}
