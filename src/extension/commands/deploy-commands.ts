import * as vscode from 'vscode';
import { dockerBackend } from '../../core/containers/container-backend.ts';
import { DeploymentManager, type DeployResult } from '../../core/deploy/deployment-manager.ts';
import { DeploymentRecords, type DeploymentRecord } from '../../core/deploy/deployment-records.ts';
import { LooplineError } from '../../core/errors.ts';
import type { DeploymentNode } from '../deployments/deployments-tree.ts';
import { registryOf, type ModelNode } from '../models/models-tree.ts';
import type { Services } from '../services.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';

async function managerOf(ws: WorkspaceStore): Promise<DeploymentManager> {
  return new DeploymentManager(registryOf(ws), await dockerBackend());
}

function changed(s: Services, ws: WorkspaceStore): void {
  s.stores.wrote(ws);
  s.models.refresh();
  s.deployments.refresh();
}

/**
 * After a switch: watch the new version in the background and say so if it is rolled back by itself.
 * Resolves with the warning shown (undefined when the version settled).
 */
function watchAfterSwitch(s: Services, ws: WorkspaceStore, mgr: DeploymentManager, name: string): Promise<string | undefined> {
  const c = vscode.workspace.getConfiguration('loopline', ws.folder.uri);
  const settleMs = Math.max(0, c.get<number>('deploy.settleSeconds', 60)) * 1000;
  if (settleMs === 0) return Promise.resolve(undefined);
  return mgr.watchAfterSwitch(name, { settleMs, maxErrorRate: c.get<number>('deploy.maxErrorRate', 0.05) }).then(
    (res) => {
      if (!res.rolledBack) return undefined;
      changed(s, ws);
      const text = `Automatic rollback of ${name}: version ${res.version} ${res.reason}. The previous version serves again.`;
      void vscode.window.showWarningMessage(text);
      return text;
    },
    (err: unknown) => {
      void vscode.window.showErrorMessage(`Watching ${name} after the switch failed: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    },
  );
}

/** The deployment a command acts on: a tree node, a name, or a pick. */
async function resolveDeployment(s: Services, arg: unknown, placeHolder: string): Promise<{ ws: WorkspaceStore; d: DeploymentRecord } | undefined> {
  const node = arg as DeploymentNode | undefined;
  if (node && typeof node === 'object' && (node.kind === 'deployment' || node.kind === 'slot')) return { ws: node.ws, d: node.deployment };
  const all = s.stores.allExisting().flatMap((ws) => new DeploymentRecords(ws.store.db).list().map((d) => ({ ws, d })));
  if (typeof arg === 'string') return all.find((x) => x.d.name === arg) ?? Promise.reject(new LooplineError('RESOURCE_DOES_NOT_EXIST', `No deployment named '${arg}'.`));
  if (all.length === 0) throw new LooplineError('RESOURCE_DOES_NOT_EXIST', 'No deployments yet: use Deploy… on a model version.');
  const pick = await vscode.window.showQuickPick(all.map((x) => ({ label: x.d.name, description: `${x.d.model} · http://127.0.0.1:${x.d.port}`, x })), { placeHolder });
  return pick?.x;
}

/** Deploy… on a model version: asks for the deployment name (and strategy) unless given. */
export async function deployVersion(s: Services, arg?: unknown, opts?: { name?: string; strategy?: 'blue-green' | 'canary'; percent?: number }): Promise<(DeployResult & { settled?: Promise<string | undefined> }) | undefined> {
  const node = arg as ModelNode | undefined;
  if (!node || typeof node !== 'object' || node.kind !== 'version') throw new LooplineError('INVALID_PARAMETER_VALUE', 'Deploy… works on a model version in the Models view.');
  const v = node.version;
  let name = opts?.name;
  if (!name) {
    const existing = new DeploymentRecords(node.ws.store.db).list().filter((d) => d.model === v.model);
    const pick = await vscode.window.showQuickPick(
      [...existing.map((d) => ({ label: d.name, description: `blue/green switch from v${d.slots.find((x) => x.role === 'live')?.version}` })), { label: '$(add) New deployment…', description: '' }],
      { placeHolder: `Deploy ${v.model} v${v.version} to…` },
    );
    if (!pick) return undefined;
    name = pick.label.startsWith('$(add)') ? await vscode.window.showInputBox({ prompt: 'Deployment name (lowercase letters, digits, -)', value: `${v.model.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-prod` }) : pick.label;
    if (!name) return undefined;
  }
  const mgr = await managerOf(node.ws);
  const res = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Deploying ${v.model} v${v.version} as ${name}…` }, () =>
    mgr.deploy(`${v.model}/${v.version}`, { name: name!, ...(opts?.strategy ? { strategy: opts.strategy } : {}), ...(opts?.percent ? { percent: opts.percent } : {}) }),
  );
  changed(s, node.ws);
  void vscode.window.showInformationMessage(`${v.model} v${v.version} is serving at ${res.endpoint}.`);
  // The settle watch runs in the background; its outcome (the warning shown, if any) is returned for callers that wait.
  if (res.deployment.strategy === 'blue-green' && res.deployment.slots.some((x) => x.role === 'previous')) return { ...res, settled: watchAfterSwitch(s, node.ws, mgr, name) };
  return res;
}

export async function rollbackDeployment(s: Services, arg?: unknown): Promise<DeploymentRecord | undefined> {
  const t = await resolveDeployment(s, arg, 'Deployment to roll back');
  if (!t) return undefined;
  const t0 = performance.now();
  const d = await (await managerOf(t.ws)).rollback(t.d.name);
  changed(s, t.ws);
  void vscode.window.showInformationMessage(`${d.name} is back on v${d.slots.find((x) => x.role === 'live')?.version} (${Math.round(performance.now() - t0)} ms).`);
  return d;
}

export async function promoteCanary(s: Services, arg?: unknown): Promise<DeploymentRecord | undefined> {
  const t = await resolveDeployment(s, arg, 'Deployment whose canary to promote');
  if (!t) return undefined;
  const mgr = await managerOf(t.ws);
  const d = await mgr.promote(t.d.name);
  changed(s, t.ws);
  void watchAfterSwitch(s, t.ws, mgr, d.name);
  return d;
}

export async function undeploy(s: Services, arg?: unknown, opts?: { confirmed?: boolean }): Promise<boolean> {
  const t = await resolveDeployment(s, arg, 'Deployment to remove');
  if (!t) return false;
  if (!opts?.confirmed) {
    const ok = await vscode.window.showWarningMessage(`Remove deployment ${t.d.name}? Its containers stop and http://127.0.0.1:${t.d.port} stops answering.`, { modal: true }, 'Undeploy');
    if (ok !== 'Undeploy') return false;
  }
  await (await managerOf(t.ws)).undeploy(t.d.name);
  changed(s, t.ws);
  return true;
}

/** Send Test Request: edit a JSON body, see the response and its latency. */
export async function sendTestRequest(s: Services, arg?: unknown, bodyArg?: string): Promise<{ status: number; body: string; ms: number } | undefined> {
  const t = await resolveDeployment(s, arg, 'Deployment to send a request to');
  if (!t) return undefined;
  const body = bodyArg ?? (await vscode.window.showInputBox({ prompt: `POST http://127.0.0.1:${t.d.port}/invocations`, value: '{"instances": [[5.1, 3.5, 1.4, 0.2]]}' }));
  if (body === undefined) return undefined;
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${t.d.port}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const ms = Math.round(performance.now() - t0);
  void vscode.window.showInformationMessage(`HTTP ${res.status} in ${ms} ms: ${text.slice(0, 300)}`);
  return { status: res.status, body: text, ms };
}

/** Open Endpoint Logs: the containers' output and the newest access-log lines, in an editor. */
export async function openEndpointLogs(s: Services, arg?: unknown): Promise<string | undefined> {
  const t = await resolveDeployment(s, arg, 'Deployment whose logs to open');
  if (!t) return undefined;
  const node = arg as DeploymentNode | undefined;
  const slotId = node && typeof node === 'object' && node.kind === 'slot' ? node.slot.id : undefined;
  const text = await (await managerOf(t.ws)).endpointLogs(t.d.name, slotId ? { slotId } : {});
  const doc = await vscode.workspace.openTextDocument({ content: text, language: 'log' });
  await vscode.window.showTextDocument(doc, { preview: false });
  return text;
}
