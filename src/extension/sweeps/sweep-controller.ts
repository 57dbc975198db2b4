import * as vscode from 'vscode';
import { dirname, join } from 'node:path';
import type { SweepDefinition } from '../../core/sweeps/sweep-definition.ts';
import type { SweepScheduler } from '../../core/sweeps/sweep-scheduler.ts';
import { SweepQueue } from '../../core/sweeps/sweep-queue.ts';
import type { SweepSummary } from '../../core/sweeps/sweep-summary.ts';
import { formatNumber } from '../../shared/display-format.ts';
import { COMMANDS } from '../command-ids.ts';
import { errorMessage, log } from '../log.ts';
import { RunTerminal } from '../runs/run-terminal.ts';
import type { ServerController } from '../tracking/server-controller.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';

export interface StartedSweep {
  sweepId: string;
  finished: Promise<SweepSummary>;
}

/**
 * Runs sweeps from VS Code: creates them, works their queue in this window (trial output in one
 * terminal per sweep), resumes sweeps whose launcher is gone when the window opens, and tells
 * the user the best trial when a sweep ends.
 */
export class SweepController implements vscode.Disposable {
  private readonly schedulers = new Map<string, SweepScheduler>();
  private readonly servers: ServerController;

  constructor(servers: ServerController) {
    this.servers = servers;
  }

  isWorking(sweepId: string): boolean {
    return this.schedulers.has(sweepId);
  }

  async start(ws: WorkspaceStore, def: SweepDefinition): Promise<StartedSweep> {
    // Loaded on first use: git snapshots and process launching are not needed to show the tree.
    const { createSweep } = await import('../../core/sweeps/sweep-creation.ts');
    const { sweepId } = await createSweep(ws.store, def);
    ws.watcher.notifyLocalWrite();
    return { sweepId, finished: this.work(ws, sweepId) };
  }

  /** Works every sweep of this store that no live launcher is working (after a crash or a closed window). */
  async resumeOrphaned(ws: WorkspaceStore): Promise<StartedSweep[]> {
    const queue = new SweepQueue(ws.store);
    const orphaned = queue.activeSweepIds().filter((id) => !this.schedulers.has(id) && !queue.sweepHasLiveOwner(id));
    for (const id of orphaned) log().info(`Resuming sweep ${id}: its launcher is gone`);
    return orphaned.map((sweepId) => ({ sweepId, finished: this.work(ws, sweepId) }));
  }

  cancel(ws: WorkspaceStore, runId: string): { cancelled: string[]; stopping: string[] } {
    const queue = new SweepQueue(ws.store);
    const r = queue.cancel(runId);
    // Trials no live launcher owns are ended here.
    for (const stale of queue.staleTrials(r.sweepId)) queue.recoverStale(stale);
    ws.watcher.notifyLocalWrite();
    return r;
  }

  private async work(ws: WorkspaceStore, sweepId: string): Promise<SweepSummary> {
    const endpoint = await this.servers.ensure(ws);
    const { SweepScheduler } = await import('../../core/sweeps/sweep-scheduler.ts');
    const name = ws.store.getRun(sweepId).info.name;
    let terminal: RunTerminal | undefined = undefined;
    const scheduler = new SweepScheduler({
      store: ws.store,
      tracking: endpoint,
      spoolDir: join(dirname(ws.store.path), 'spool'),
      // Local processes or containers, as the sweep says (dockerode loads only for containers).
      backendFor: async (def) => (await import('../../core/sweeps/trial-backend.ts')).trialBackend(def),
      onOutput: (trial, chunk) => terminal?.write(prefixLines(`[${trial.position + 1}] `, chunk.toString('utf8'))),
      onEvent: (e) => {
        ws.watcher.notifyLocalWrite();
        if (e.type === 'trial-started') terminal?.write(`\x1b[2mtrial ${e.trial.position + 1}: ${e.command.join(' ')}\x1b[0m\n`);
        else if (e.type === 'trial-ended') terminal?.write(`\x1b[2mtrial ${e.trial.position + 1} ${e.outcome.status}${e.reason ? `: ${e.reason}` : ''}\x1b[0m\n`);
      },
    });
    this.schedulers.set(sweepId, scheduler);
    terminal = new RunTerminal({ stop: () => scheduler.cancel(sweepId), isRunning: () => this.schedulers.has(sweepId), runName: `sweep ${name}` });
    const term = vscode.window.createTerminal({ name: `Loopline sweep: ${name}`, pty: terminal, iconPath: new vscode.ThemeIcon('type-hierarchy') });
    term.show(true);
    try {
      const summary = await scheduler.run(sweepId);
      const cv = describeCrossValidation(ws, summary);
      terminal.finish(cv ? `Cross-validation ${summary.name} ${summary.status}. ${cv}` : describe(summary));
      this.notify(ws, summary, cv);
      return summary;
    } catch (err) {
      log().error(`Sweep ${sweepId}: ${errorMessage(err)}`);
      throw err;
    } finally {
      this.schedulers.delete(sweepId);
      ws.watcher.notifyLocalWrite();
    }
  }

  private notify(ws: WorkspaceStore, s: SweepSummary, cv?: string): void {
    if (s.running > 0 || s.queued > 0) return; // another launcher finishes it
    const message = cv
      ? `Loopline: cross-validation "${s.name}" ${s.status === 'KILLED' ? 'cancelled' : s.status === 'FAILED' ? 'failed' : 'finished'}. ${cv}`
      : `Loopline: sweep "${s.name}" ${s.status === 'KILLED' ? 'cancelled' : 'finished'}. ${describeBest(s)}`;
    void vscode.window.showInformationMessage(message, 'Compare').then((choice) => {
      if (choice === 'Compare') void vscode.commands.executeCommand(COMMANDS.compareSweep, s.sweepId);
    });
    log().info(message);
  }

  dispose(): void {
    // Closing the window stops the trials it runs; the queue stays and resumes on the next open.
    for (const s of this.schedulers.values()) s.killAll();
  }
}

function describeBest(s: SweepSummary): string {
  if (!s.best || !s.objective) return 'No trial finished with a value of the objective metric.';
  return `Best trial: ${s.best.name} with ${s.objective.metric} ${formatNumber(s.best.value)} (${Object.entries(s.best.params).map(([k, v]) => `${k}=${v}`).join(' ')}).`;
}

/** For `loopline cv` sweeps: the first metrics' mean ± std from the parent run, and how many folds finished. */
function describeCrossValidation(ws: WorkspaceStore, s: SweepSummary): string | undefined {
  if (!new SweepQueue(ws.store).sweep(s.sweepId).definition.crossValidation) return undefined;
  const parent = ws.store.getRun(s.sweepId);
  const value = (key: string) => parent.metrics.find((m) => m.key === key)?.last;
  const means = parent.metrics.filter((m) => m.key.startsWith('cv.') && m.key.endsWith('.mean')).map((m) => m.key.slice(3, -5));
  const shown = means.slice(0, 3).map((k) => `${k} ${formatNumber(value(`cv.${k}.mean`))} ± ${formatNumber(value(`cv.${k}.std`))}`);
  const folds = parent.tags['loopline.cv.foldsFinished'];
  const reason = s.status === 'FAILED' ? ` ${parent.tags['loopline.statusReason'] ?? ''}` : '';
  return `${shown.join(', ') || 'No fold logged a metric.'}${folds ? ` (${folds} folds finished)` : ''}.${reason}`;
}

function describe(s: SweepSummary): string {
  return `Sweep ${s.name} ${s.status}: ${s.trials.length} trial runs. ${describeBest(s)}`;
}

/** Prefixes each line with its trial number; a chunk may end mid-line, which then continues unprefixed. */
function prefixLines(prefix: string, text: string): string {
  return text.replace(/(^|\n)(?=.)/g, `$1${prefix}`);
}
