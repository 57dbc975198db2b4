import * as vscode from 'vscode';
import { installPythonClient, reattachOrphanedContainerRuns } from './containers/container-commands.ts';
import { LooplineError, explainStoreError } from '../core/errors.ts';
import { RUN_CODE_SCHEME, RunCodeProvider } from './code/run-code-provider.ts';
import { TrainingCodeLensProvider } from './codelens/training-codelens.ts';
import { checkoutRunCode, showCodeDiff } from './commands/code-commands.ts';
import { addTag, copyRunId, deleteRun, newExperiment, openArtifact, renameRun, restoreRun, revealArtifacts } from './commands/run-edit-commands.ts';
import { rerunWithParams, runTrainingScript, stopRun } from './commands/run-commands.ts';
import { compareRuns, openExperimentTable, openRunDetail } from './commands/webview-commands.ts';
import { ComparePanel } from './webviews/compare-panel.ts';
import { CompareViewProvider } from './webviews/compare-view.ts';
import { RunDetailPanel } from './webviews/run-detail-panel.ts';
import { runIdsOf } from './experiments/experiments-tree.ts';
import {
  clearFilter,
  copyTrackingUri,
  filterRuns,
  sortRuns,
  startTrackingServer,
  stopTrackingServer,
  toggleTrash,
} from './commands/view-commands.ts';
import { ExperimentsTreeProvider } from './experiments/experiments-tree.ts';
import type { Node } from './experiments/experiments-model.ts';
import { errorMessage, log, openSettingsAction, showError } from './log.ts';
import { ActiveRunsTreeProvider } from './runs/active-runs-tree.ts';
import { RunController } from './runs/run-controller.ts';
import type { Services } from './services.ts';
import { readSettings } from './settings.ts';
import { LooplineStatusBar } from './status-bar.ts';
import { ServerController } from './tracking/server-controller.ts';
import { extensionHostNodeProblem } from './node-requirement.ts';
import { startEventLoopProbe } from './diagnostics/event-loop-probe.ts';
import { SweepController } from './sweeps/sweep-controller.ts';
import { cancelQueued, compareSweep, startSweep } from './sweeps/sweep-commands.ts';
import { WorkspaceStores, type WorkspaceStore } from './workspace-stores.ts';
import { COMMANDS, type CommandId } from './command-ids.ts';
import { openDataProfile } from './monitoring/data-profile-commands.ts';
import { scoreFileWithModel } from './predict/score-file-command.ts';
import { DataProfilePanel } from './monitoring/data-profile-panel.ts';
import { evaluateModel, openEvaluationReport } from './evaluate/evaluate-commands.ts';
import { ModelsTreeProvider } from './models/models-tree.ts';
import { DeploymentsTreeProvider } from './deployments/deployments-tree.ts';
import { DriftWatcher } from './monitoring/drift-watcher.ts';
import { openMonitoring, retrainDeployment } from './monitoring/monitoring-commands.ts';
import { deployVersion, openEndpointLogs, promoteCanary, rollbackDeployment, sendTestRequest, undeploy } from './commands/deploy-commands.ts';
import { exportRunsCommand, importRunsCommand, offerImportOnOpen } from './importers/import-commands.ts';
import { archiveModelVersion, compareModelVersions, openModelCard, registerModel, setModelAlias } from './commands/model-commands.ts';
import { showOverviewIfAsked } from './layout/overview-layout.ts';
import { installCliInPath, refreshCliInPath } from './terminal/cli-path-command.ts';

/** What activate() returns: used by the extension-host tests and the activation benchmark. */
export interface LooplineApi {
  services: Services;
  activationMs: number;
  /** Messages of errors shown to the user, newest last. */
  errors: string[];
}

export function activate(context: vscode.ExtensionContext): LooplineApi {
  const t0 = performance.now();
  // Before anything opens a store: on an older VS Code, say why instead of crashing in better-sqlite3.
  const nodeProblem = extensionHostNodeProblem(process.versions.node, vscode.version);
  if (nodeProblem) {
    void vscode.window.showErrorMessage(nodeProblem);
    return { errors: [nodeProblem], activationMs: 0 } as unknown as LooplineApi;
  }
  const errors: string[] = [];
  const stores = new WorkspaceStores();
  const experiments = new ExperimentsTreeProvider(stores, t0);
  const experimentsView = vscode.window.createTreeView('loopline.experiments', { treeDataProvider: experiments, canSelectMany: true, showCollapseAll: true });
  context.subscriptions.push(experiments.attach(experimentsView));
  const activeRuns = new ActiveRunsTreeProvider(stores);
  const runsView = vscode.window.createTreeView('loopline.runs', { treeDataProvider: activeRuns });
  const servers = new ServerController(vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.cjs').fsPath);
  // A window that stops showing a store (folder removed, storePath changed) stops using its server.
  context.subscriptions.push(stores.onWillClose((ws) => servers.release(ws)));
  const runs = new RunController(servers);
  const openRun = (ws: WorkspaceStore, runId: string) => RunDetailPanel.show(context, ws, runId);
  const compareView = new CompareViewProvider(context, openRun);
  const sweeps = new SweepController(servers);
  const models = new ModelsTreeProvider(stores);
  const modelsView = vscode.window.createTreeView('loopline.models', { treeDataProvider: models, canSelectMany: true });
  context.subscriptions.push(models, modelsView);
  // Drift history of deployments, kept current in the background; warns once per drift episode.
  const retrainsStarted = new Set<string>();
  const drift = new DriftWatcher(stores, (ws, name, episode) => {
    const key = `${ws.store.path}:${name}:${episode}`;
    if (retrainsStarted.has(key)) return;
    retrainsStarted.add(key);
    void retrainDeployment(s, name, { episode, confirmed: true });
  });
  const deployments = new DeploymentsTreeProvider(stores, (ws, name) => drift.problem(ws, name));
  const deploymentsView = vscode.window.createTreeView('loopline.deployments', { treeDataProvider: deployments });
  deployments.refreshWhileVisible(deploymentsView);
  context.subscriptions.push(deployments, deploymentsView, drift, drift.onDidChange(() => deployments.refresh()));
  const codeLens = new TrainingCodeLensProvider(stores);
  const s: Services = { context, stores, experiments, experimentsView, activeRuns, servers, runs, compareView, sweeps, models, deployments, drift, codeLens };
  const statusBar = new LooplineStatusBar(activeRuns, servers);
  context.subscriptions.push(stores, experiments, experimentsView, activeRuns, runsView, servers, runs, sweeps, codeLens, statusBar);
  context.subscriptions.push(
    compareView,
    vscode.window.registerWebviewViewProvider(CompareViewProvider.viewId, compareView),
    vscode.window.registerWebviewPanelSerializer(ComparePanel.viewType, ComparePanel.serializer(context, stores, openRun)),
    followSelection(experimentsView, stores, compareView),
    vscode.languages.registerCodeLensProvider([{ language: 'python', scheme: 'file' }, { scheme: 'file', pattern: '**/*' }], codeLens),
    vscode.workspace.registerTextDocumentContentProvider(RUN_CODE_SCHEME, new RunCodeProvider()),
  );

  /** Every command reports failures as a notification with a helpful action, never a raw stack. */
  const register = (id: CommandId, fn: (...args: any[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await fn(...args);
        } catch (raw) {
          const err = explainStoreError(raw);
          errors.push(errorMessage(err));
          const actions = [];
          if (err instanceof LooplineError && /store|--store|LOOPLINE_STORE/i.test(err.message)) actions.push(openSettingsAction('loopline.storePath'));
          if (/port/i.test(errorMessage(err))) actions.push(openSettingsAction('loopline.trackingServer.port'));
          void showError(err, actions);
          return undefined;
        }
      }),
    );

  register(COMMANDS.runTrainingScript, (arg) => runTrainingScript(s, arg));
  register(COMMANDS.stopRun, (arg, sel) => stopRun(s, arg, sel));
  register(COMMANDS.installPythonClient, () => installPythonClient(s));
  register(COMMANDS.reattachContainerRuns, () => reattachOrphanedContainerRuns(s));
  // Container runs whose launcher went away are followed again, after the first render.
  const reattachTimer = setTimeout(() => void reattachOrphanedContainerRuns(s).catch((err) => log().warn(`container runs not reattached: ${errorMessage(err)}`)), 2500);
  context.subscriptions.push({ dispose: () => clearTimeout(reattachTimer) });
  register(COMMANDS.rerunWithParams, (arg, sel, cmd) => rerunWithParams(s, arg, sel, cmd));
  register(COMMANDS.compareSelectedRuns, (arg, sel) => compareRuns(s, arg, sel));
  register(COMMANDS.openExperimentTable, (arg) => openExperimentTable(s, arg));
  register(COMMANDS.openRunDetail, (arg, sel) => openRunDetail(s, arg, sel));
  register(COMMANDS.newExperiment, (name) => newExperiment(s, typeof name === 'string' ? name : undefined));
  register(COMMANDS.renameRun, (arg, sel, name) => renameRun(s, arg, sel, name));
  register(COMMANDS.addTag, (arg, sel, tag) => addTag(s, arg, sel, tag));
  register(COMMANDS.deleteRun, (arg, sel) => deleteRun(s, arg, sel));
  register(COMMANDS.restoreRun, (arg, sel) => restoreRun(s, arg, sel));
  register(COMMANDS.copyRunId, (arg, sel) => copyRunId(s, arg, sel));
  register(COMMANDS.revealArtifacts, (arg, sel) => revealArtifacts(s, arg, sel));
  register(COMMANDS.openArtifact, (runId, path) => openArtifact(s, runId, path));
  register(COMMANDS.showCodeDiff, (arg, sel) => showCodeDiff(s, arg, sel));
  register(COMMANDS.checkoutRunCode, (arg, sel, branch) => checkoutRunCode(s, arg, sel, branch));
  register(COMMANDS.startTrackingServer, () => startTrackingServer(s));
  register(COMMANDS.stopTrackingServer, () => stopTrackingServer(s));
  register(COMMANDS.copyTrackingUri, () => copyTrackingUri(s));
  register(COMMANDS.refresh, () => {
    experiments.refresh();
    activeRuns.refresh();
  });
  register(COMMANDS.sortRuns, (sort) => sortRuns(s, sort));
  register(COMMANDS.filterRuns, (preset) => filterRuns(s, preset));
  register(COMMANDS.clearFilter, () => clearFilter(s));
  register(COMMANDS.showTrash, () => toggleTrash(s));
  register(COMMANDS.showLog, () => log().show());
  register(COMMANDS.loadMoreRuns, (refId: string, experimentId: string) => {
    const ref = experiments.refs().find((r) => r.id === refId);
    if (ref) experiments.model.loadMore(ref, experimentId);
    experiments.refresh();
  });
  register(COMMANDS.openDataProfile, (arg, sel) => openDataProfile(context, arg, sel));
  register(COMMANDS.scoreFileWithModel, (arg, opts) => scoreFileWithModel(s, arg, opts && typeof opts === 'object' && !Array.isArray(opts) && !(opts instanceof vscode.Uri) ? opts : {}));
  context.subscriptions.push(vscode.window.registerWebviewPanelSerializer(DataProfilePanel.viewType, DataProfilePanel.serializer(context)));
  register(COMMANDS.revealRun, async (runId: string) => {
    const ws = stores.findRun(runId);
    if (!ws) throw new LooplineError('RESOURCE_DOES_NOT_EXIST', `Run ${runId} is not in this workspace.`);
    const run = ws.store.getRun(runId);
    const ref = { id: ws.folder.uri.toString(), name: ws.folder.name, store: ws.store };
    const node: Node = { kind: 'run', ref, run };
    await vscode.commands.executeCommand('loopline.experiments.focus');
    await experimentsView.reveal(node, { select: true, focus: true, expand: false }).then(undefined, () => undefined);
  });

  register(COMMANDS.startSweep, (arg) => startSweep(s, arg));
  register(COMMANDS.cancelQueued, (arg) => cancelQueued(s, arg));
  register(COMMANDS.compareSweep, (arg) => compareSweep(s, arg));
  // Sweeps whose launcher is gone (a crash, a closed window) continue here, after the first render.
  const resumeTimer = setTimeout(() => {
    for (const ws of stores.allExisting()) {
      sweeps.resumeOrphaned(ws).catch((err) => log().warn(`sweeps of ${ws.folder.name} not resumed: ${errorMessage(err)}`));
    }
  }, 2000);
  context.subscriptions.push({ dispose: () => clearTimeout(resumeTimer) });
  register(COMMANDS.registerModel, (arg, sel, opts) => registerModel(s, arg, sel, opts));
  register(COMMANDS.setModelAlias, (arg, alias, opts) => setModelAlias(s, arg, typeof alias === 'string' ? alias : undefined, opts));
  register(COMMANDS.openModelCard, (arg) => openModelCard(s, arg));
  register(COMMANDS.compareModelVersions, (arg, sel) => compareModelVersions(s, arg, sel));
  register(COMMANDS.archiveModelVersion, (arg, opts) => archiveModelVersion(s, arg, opts));
  register(COMMANDS.refreshModels, () => models.refresh());
  register(COMMANDS.deployModelVersion, (arg, opts) => deployVersion(s, arg, opts));
  register(COMMANDS.evaluateModel, (arg, opts) => evaluateModel(s, arg, opts));
  register(COMMANDS.openEvaluationReport, (arg, sel) => openEvaluationReport(s, arg, sel));
  register(COMMANDS.rollbackDeployment, (arg) => rollbackDeployment(s, arg));
  register(COMMANDS.promoteCanary, (arg) => promoteCanary(s, arg));
  register(COMMANDS.undeploy, (arg, opts) => undeploy(s, arg, opts));
  register(COMMANDS.openMonitoring, (arg) => openMonitoring(s, arg));
  register(COMMANDS.retrainDeployment, (arg, opts) => retrainDeployment(s, arg, opts));
  register(COMMANDS.sendTestRequest, (arg, body) => sendTestRequest(s, arg, typeof body === 'string' ? body : undefined));
  register(COMMANDS.openEndpointLogs, (arg) => openEndpointLogs(s, arg));
  register(COMMANDS.refreshDeployments, () => deployments.refresh());
  register(COMMANDS.importRuns, (opts) => importRunsCommand(s, opts && typeof opts === 'object' && !(opts instanceof vscode.Uri) ? opts : opts instanceof vscode.Uri ? { path: opts.fsPath } : {}));
  register(COMMANDS.exportRunsToMlflow, (arg, sel, to) => exportRunsCommand(s, arg, sel, typeof to === 'string' ? to : undefined));
  // Offer to import existing MLflow / TensorBoard history into an empty store, after the first render.
  const offerTimer = setTimeout(() => void offerImportOnOpen(s).catch((err) => log().warn(`import offer: ${errorMessage(err)}`)), 3000);
  context.subscriptions.push({ dispose: () => clearTimeout(offerTimer) });

  if (readSettings().serverAutoStart) {
    // Serve stores that already exist so external MLflow scripts can log right away (never create
    // one here), after the first render so the sidebar does not wait for it.
    const timer = setTimeout(() => {
      for (const ws of stores.allExisting()) {
        servers.ensure(ws).catch((err) => log().warn(`tracking server for ${ws.folder.name} not started: ${errorMessage(err)}`));
      }
    }, 1500);
    context.subscriptions.push({ dispose: () => clearTimeout(timer) });
  }
  register(COMMANDS.installCliInPath, () => installCliInPath(context));
  const shimTimer = setTimeout(() => refreshCliInPath(context), 3000);
  context.subscriptions.push({ dispose: () => clearTimeout(shimTimer) });
  void showOverviewIfAsked(s).catch((err) => log().warn(`overview not shown: ${errorMessage(err)}`));
  const probeDir = process.env.LOOPLINE_BENCH_PROBE_DIR;
  if (probeDir) context.subscriptions.push(startEventLoopProbe(probeDir));
  const activationMs = performance.now() - t0;
  log().info(`Activated in ${activationMs.toFixed(1)} ms`);
  return { services: s, activationMs, errors };
}

/** The docked Compare view follows the Experiments selection (debounced: arrow keys move fast). */
function followSelection(view: vscode.TreeView<Node>, stores: WorkspaceStores, compareView: CompareViewProvider): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  const sub = view.onDidChangeSelection((e) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      const ids = runIdsOf(e.selection);
      const first = e.selection.find((n) => n.kind === 'run' || n.kind === 'sweep');
      if (!first || (first.kind !== 'run' && first.kind !== 'sweep')) return;
      const ws = stores.allExisting().find((w) => w.folder.uri.toString() === first.ref.id);
      if (ws) compareView.show(ws, ids);
    }, 150);
  });
  return { dispose: () => (clearTimeout(timer), sub.dispose()) };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
