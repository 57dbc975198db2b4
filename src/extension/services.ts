import type * as vscode from 'vscode';
import type { ExperimentsTreeProvider } from './experiments/experiments-tree.ts';
import type { Node } from './experiments/experiments-model.ts';
import type { ActiveRunsTreeProvider } from './runs/active-runs-tree.ts';
import type { RunController } from './runs/run-controller.ts';
import type { ServerController } from './tracking/server-controller.ts';
import type { SweepController } from './sweeps/sweep-controller.ts';
import type { WorkspaceStores } from './workspace-stores.ts';
import type { CompareViewProvider } from './webviews/compare-view.ts';
import type { ModelsTreeProvider } from './models/models-tree.ts';
import type { DeploymentsTreeProvider } from './deployments/deployments-tree.ts';
import type { DriftWatcher } from './monitoring/drift-watcher.ts';
import type { TrainingCodeLensProvider } from './codelens/training-codelens.ts';

/** The objects commands work with; made once in activate() and owned by its subscriptions. */
export interface Services {
  context: vscode.ExtensionContext;
  stores: WorkspaceStores;
  experiments: ExperimentsTreeProvider;
  experimentsView: vscode.TreeView<Node>;
  activeRuns: ActiveRunsTreeProvider;
  servers: ServerController;
  runs: RunController;
  compareView: CompareViewProvider;
  sweeps: SweepController;
  models: ModelsTreeProvider;
  deployments: DeploymentsTreeProvider;
  drift: DriftWatcher;
  codeLens: TrainingCodeLensProvider;
}
