import * as vscode from 'vscode';
import { DeploymentRecords } from '../../core/deploy/deployment-records.ts';
import { LooplineError } from '../../core/errors.ts';
import type { DeploymentNode } from '../deployments/deployments-tree.ts';
import type { Services } from '../services.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';
import { MonitoringPanel } from './monitoring-panel.ts';

async function pickDeployment(s: Services, arg: unknown, placeHolder: string): Promise<{ ws: WorkspaceStore; name: string } | undefined> {
  const node = arg as DeploymentNode | undefined;
  if (node && typeof node === 'object' && (node.kind === 'deployment' || node.kind === 'slot' || node.kind === 'drift')) return { ws: node.ws, name: node.deployment.name };
  const all = s.stores.allExisting().flatMap((ws) => new DeploymentRecords(ws.store.db).list().map((d) => ({ ws, d })));
  if (typeof arg === 'string') {
    const hit = all.find((x) => x.d.name === arg);
    if (!hit) throw new LooplineError('RESOURCE_DOES_NOT_EXIST', `No deployment named '${arg}'.`);
    return { ws: hit.ws, name: hit.d.name };
  }
  if (all.length === 0) throw new LooplineError('RESOURCE_DOES_NOT_EXIST', 'No deployments yet: use Deploy… on a model version.');
  const pick = await vscode.window.showQuickPick(all.map((x) => ({ label: x.d.name, description: x.d.model, x })), { placeHolder });
  return pick ? { ws: pick.x.ws, name: pick.x.d.name } : undefined;
}

/** Open Monitoring: the deployment's drift history in a webview. */
export async function openMonitoring(s: Services, arg?: unknown): Promise<MonitoringPanel | undefined> {
  const t = await pickDeployment(s, arg, 'Deployment to monitor');
  return t ? MonitoringPanel.show(s.context, t.ws, t.name) : undefined;
}

/**
 * Retrain from Deployment: `loopline retrain NAME` in a terminal (training output, gate verdicts
 * and the deploy command to run are shown there), with the labelled captured traffic or a file.
 */
export async function retrainDeployment(s: Services, arg?: unknown, opts?: { data?: string; episode?: number; confirmed?: boolean }): Promise<vscode.Terminal | undefined> {
  const t = await pickDeployment(s, arg, 'Deployment to retrain');
  if (!t) return undefined;
  let data = opts?.data;
  if (!opts?.confirmed && opts?.episode === undefined) {
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'Labelled captured traffic', description: 'requests that got a label (POST /feedback or loopline feedback)', file: false },
        { label: 'A data file…', description: 'CSV, TSV, JSON Lines or Parquet', file: true },
      ],
      { placeHolder: `Retrain ${t.name}'s live version on…` },
    );
    if (!pick) return undefined;
    if (pick.file) {
      const uri = await vscode.window.showOpenDialog({ canSelectMany: false, defaultUri: t.ws.folder.uri, openLabel: 'Retrain on this file' });
      if (!uri?.[0]) return undefined;
      data = uri[0].fsPath;
    }
  }
  const cli = vscode.Uri.joinPath(s.context.extensionUri, 'dist', 'cli.js').fsPath;
  const args = [cli, 'retrain', t.name, ...(data ? ['--data', data] : []), ...(opts?.episode !== undefined ? ['--on-drift-episode', String(opts.episode)] : [])];
  const term = vscode.window.createTerminal({ name: `Retrain ${t.name}`, cwd: t.ws.folder.uri.fsPath, shellPath: process.execPath, shellArgs: args, env: { ELECTRON_RUN_AS_NODE: '1', LOOPLINE_STORE: t.ws.store.path } });
  term.show(true);
  return term;
}
