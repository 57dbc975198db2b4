import * as vscode from 'vscode';
import { refreshDriftHistory } from '../../core/capture/deployment-watch.ts';
import { DriftHistory, type DriftEpisode } from '../../core/capture/drift-history.ts';
import { onDriftRetrainDue } from '../../core/capture/retrain-records.ts';
import { DeploymentRecords } from '../../core/deploy/deployment-records.ts';
import { registryWithDeployments } from '../../core/deploy/registry-with-deployments.ts';
import { COMMANDS } from '../command-ids.ts';
import { log } from '../log.ts';
import { formatDateTime } from '../../shared/display-format.ts';
import type { WorkspaceStore, WorkspaceStores } from '../workspace-stores.ts';


/**
 * Keeps every deployment's drift history current (ingest + new windows, the same core the CLI's
 * `loopline monitor` uses) and shows the drift warning once per episode — across windows and
 * processes, through the episode's `announced_time`. With `monitoring.retrain: on-drift` it starts
 * the retrain once per episode.
 */
export class DriftWatcher implements vscode.Disposable {
  private readonly stores: WorkspaceStores;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly problems = new Map<string, string>();
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;
  private readonly retrain: (ws: WorkspaceStore, deployment: string, episode: number) => void;
  /** Warnings shown (read by the extension-host tests). */
  readonly announced: string[] = [];

  constructor(stores: WorkspaceStores, retrain: (ws: WorkspaceStore, deployment: string, episode: number) => void, everyMs = 15_000) {
    this.stores = stores;
    this.retrain = retrain;
    if (everyMs > 0) this.timer = setInterval(() => void this.check(), everyMs);
  }

  problem(ws: WorkspaceStore, deployment: string): string | undefined {
    return this.problems.get(`${ws.store.path}\u0000${deployment}`);
  }

  /** One pass over every deployment; concurrent calls share the pass in progress. */
  check(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    let changed = false;
    for (const ws of this.stores.allExisting()) {
      let names: string[];
      try {
        names = new DeploymentRecords(ws.store.db).list().map((d) => d.name);
      } catch {
        continue;
      }
      const registry = registryWithDeployments(ws.store);
      for (const name of names) {
        const key = `${ws.store.path}\u0000${name}`;
        try {
          const before = new DriftHistory(ws.store.db).windows(name, 1)[0]?.id;
          const state = await refreshDriftHistory(registry, name, { show: 1 });
          if (this.problems.delete(key) || state.windows[0]?.id !== before) changed = true;
          if (state.episode) this.announce(ws, state.episode);
          const due = onDriftRetrainDue(registry, state);
          if (due !== null) this.retrain(ws, name, due);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          if (this.problems.get(key) !== message) {
            this.problems.set(key, message);
            changed = true;
            log().warn(`Drift of ${name}: ${message}`);
          }
        }
      }
    }
    if (changed) this.changed.fire();
  }

  private announce(ws: WorkspaceStore, e: DriftEpisode): void {
    if (!new DriftHistory(ws.store.db).markAnnounced(e.deployment, e.episode)) return;
    const text = `Deployment ${e.deployment} is drifting: ${e.drifted.join(', ') || 'prediction'} (drift episode ${e.episode}, since ${formatDateTime(e.startedTime)}).`;
    this.announced.push(text);
    void vscode.window.showWarningMessage(text, 'Open Monitoring', 'Retrain…').then((pick) => {
      if (pick === 'Open Monitoring') void vscode.commands.executeCommand(COMMANDS.openMonitoring, e.deployment);
      if (pick === 'Retrain…') void vscode.commands.executeCommand(COMMANDS.retrainDeployment, e.deployment);
    });
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.changed.dispose();
  }
}
