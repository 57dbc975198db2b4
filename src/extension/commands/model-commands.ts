import * as vscode from 'vscode';
import { LooplineError } from '../../core/errors.ts';
import { GateFailedError } from '../../core/registry/model-registry.ts';
import type { ModelVersion } from '../../core/registry/registry-types.ts';
import { formatGateReport, type GateReport } from '../../core/registry/validation-gates.ts';
import { listArtifactDir } from '../../core/store/artifact-files.ts';
import { registryOf, type ModelNode } from '../models/models-tree.ts';
import type { Services } from '../services.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';
import { resolveRuns } from './run-targets.ts';
import { compareRuns } from './webview-commands.ts';
import type { ComparePanel } from '../webviews/compare-panel.ts';

type VersionNode = Extract<ModelNode, { kind: 'version' }>;

function isVersionNode(a: unknown): a is VersionNode {
  return typeof a === 'object' && a !== null && (a as ModelNode).kind === 'version';
}

/** The version a command acts on: a tree node, or a pick over every version of the workspace. */
async function resolveVersion(s: Services, arg: unknown, placeHolder: string): Promise<VersionNode | undefined> {
  if (isVersionNode(arg)) return arg;
  const items = s.stores.allExisting().flatMap((ws) =>
    registryOf(ws)
      .allVersions()
      .map((version) => ({ label: `${version.model} v${version.version}`, description: version.aliases.map((a) => `@${a}`).join(' '), node: { kind: 'version' as const, ws, version } })),
  );
  if (items.length === 0) throw new LooplineError('RESOURCE_DOES_NOT_EXIST', 'No registered model versions yet: use Register Model… on a run first.');
  return (await vscode.window.showQuickPick(items, { placeHolder }))?.node;
}

function changed(s: Services, ws: WorkspaceStore): void {
  s.stores.wrote(ws);
  s.models.refresh();
}

/** Register Model… on a run (or from the palette). `opts` lets tests and other commands skip the prompts. */
export async function registerModel(s: Services, arg?: unknown, selection?: unknown, opts?: { name?: string; path?: string }): Promise<ModelVersion | undefined> {
  const [t] = await resolveRuns(s, arg, selection, { multi: false, placeHolder: 'Run whose model to register' });
  if (!t) return undefined;
  const reg = registryOf(t.ws);
  let name = opts?.name;
  if (name === undefined) {
    const existing = reg.listModels().map((m) => ({ label: m.name, description: `${m.versionCount} versions` }));
    const pick = existing.length
      ? await vscode.window.showQuickPick([...existing, { label: '$(add) New model…', description: '' }], { placeHolder: 'Register as a new version of…' })
      : { label: '$(add) New model…' };
    if (!pick) return undefined;
    name = pick.label.startsWith('$(add)')
      ? await vscode.window.showInputBox({ prompt: 'Name of the new registered model', placeHolder: 'iris', validateInput: (v) => (v.trim() && !/[/@]/.test(v) ? undefined : "A name without '/' or '@'") })
      : pick.label;
    if (!name) return undefined;
  }
  let path = opts?.path;
  if (path === undefined) {
    const entries = listArtifactDir(t.ws.store.artifactsRoot, t.run.info.id);
    if (entries.length === 0) throw new LooplineError('INVALID_PARAMETER_VALUE', `Run ${t.run.info.name} has no artifacts to register; log the model's files first (e.g. mlflow.log_artifacts('model', 'model')).`);
    const pick = await vscode.window.showQuickPick(
      [...entries.map((e) => ({ label: e.path, description: e.isDir ? 'folder' : `${e.size ?? 0} bytes` })), { label: '(all artifacts)', description: '' }],
      { placeHolder: 'Which artifact holds the model?' },
    );
    if (!pick) return undefined;
    path = pick.label === '(all artifacts)' ? '' : pick.label;
  }
  const v = reg.registerVersion({ model: name, runId: t.run.info.id, path });
  changed(s, t.ws);
  void vscode.window.showInformationMessage(`Registered ${v.model} version ${v.version} from run ${t.run.info.name}.`, 'Open Model Card').then((c) => {
    if (c) void openModelCard(s, { kind: 'version', ws: t.ws, version: v });
  });
  return v;
}

async function showReport(report: GateReport): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: formatGateReport(report) });
  await vscode.window.showTextDocument(doc, { preview: true });
}

export interface AliasResult {
  set: boolean;
  report: GateReport;
}

/**
 * Set Alias / Promote: runs the gates and shows their report. A refusal offers to override with a
 * reason (recorded in the audit log). `opts` skips the prompts (tests, other commands).
 */
export async function setModelAlias(s: Services, arg?: unknown, aliasArg?: string, opts?: { force?: boolean; reason?: string }): Promise<AliasResult | undefined> {
  const node = await resolveVersion(s, arg, 'Version to give an alias');
  if (!node) return undefined;
  const reg = registryOf(node.ws);
  let alias = aliasArg;
  if (alias === undefined) {
    const current = reg.getModel(node.version.model).aliases;
    const names = [...new Set(['champion', 'challenger', ...Object.keys(current)])];
    const pick = await vscode.window.showQuickPick(
      [...names.map((a) => ({ label: a, description: current[a] !== undefined ? `now v${current[a]}` : '' })), { label: '$(add) Other alias…', description: '' }],
      { placeHolder: `Alias for ${node.version.model} v${node.version.version} (the gates in loopline.yaml run first)` },
    );
    if (!pick) return undefined;
    alias = pick.label.startsWith('$(add)') ? await vscode.window.showInputBox({ prompt: 'Alias name (letters, digits, _ and -)' }) : pick.label;
    if (!alias) return undefined;
  }
  const { model, version } = node.version;
  try {
    const report = reg.setAlias(model, alias, version, opts ?? {});
    changed(s, node.ws);
    void vscode.window.showInformationMessage(`@${alias} → ${model} v${version}. ${report.passed ? `Gates passed (${report.results.length}).` : 'Gates overridden; recorded in the audit log.'}`);
    return { set: true, report };
  } catch (err) {
    if (!(err instanceof GateFailedError)) throw err;
    changed(s, node.ws); // the refusal is in the audit log
    const failed = err.report.results.filter((r) => r.verdict === 'fail').length;
    // Not awaited: the command returns the report while the notification waits for the user.
    void vscode.window
      .showWarningMessage(`@${alias} not set: ${failed} of ${err.report.results.length} gates failed for ${model} v${version}.`, 'Show Report', 'Override…')
      .then(async (choice) => {
        if (choice === 'Show Report') await showReport(err.report);
        if (choice === 'Override…') {
          const reason = await vscode.window.showInputBox({ prompt: `Why override the failing gates for ${model} v${version}? (recorded in the audit log)`, validateInput: (v) => (v.trim() ? undefined : 'A reason is required') });
          if (reason) await setModelAlias(s, node, alias, { force: true, reason });
        }
      });
    return { set: false, report: err.report };
  }
}

export async function openModelCard(s: Services, arg?: unknown): Promise<vscode.TextEditor | undefined> {
  const node = await resolveVersion(s, arg, 'Model card of which version?');
  if (!node) return undefined;
  const file = registryOf(node.ws).writeModelCard(node.version);
  return vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
}

/** Compare Versions: the compare panel on the versions' source runs. */
export async function compareModelVersions(s: Services, arg?: unknown, selection?: unknown): Promise<ComparePanel | undefined> {
  let nodes: VersionNode[] = Array.isArray(selection) ? selection.filter(isVersionNode) : [];
  if (nodes.length < 2 && typeof arg === 'object' && arg !== null && (arg as ModelNode).kind === 'model') {
    const m = arg as Extract<ModelNode, { kind: 'model' }>;
    nodes = registryOf(m.ws).listVersions(m.model.name).map((version) => ({ kind: 'version', ws: m.ws, version }));
  }
  if (nodes.length < 2) {
    const items = s.stores.allExisting().flatMap((ws) => registryOf(ws).allVersions().map((version) => ({ label: `${version.model} v${version.version}`, node: { kind: 'version' as const, ws, version } })));
    nodes = ((await vscode.window.showQuickPick(items, { canPickMany: true, placeHolder: 'Versions to compare (two or more)' })) ?? []).map((i) => i.node);
  }
  const runIds = [...new Set(nodes.map((n) => n.version.runId).filter((id): id is string => !!id && !!s.stores.findRun(id)))];
  if (runIds.length < 2) throw new LooplineError('INVALID_PARAMETER_VALUE', 'Pick two or more versions whose source runs are still in the store (versions from the same run compare as one).');
  return compareRuns(s, runIds);
}

export async function archiveModelVersion(s: Services, arg?: unknown, opts?: { undo?: boolean }): Promise<ModelVersion | undefined> {
  const node = await resolveVersion(s, arg, 'Version to archive');
  if (!node) return undefined;
  const undo = opts?.undo ?? node.version.archived;
  const v = registryOf(node.ws).archiveVersion(node.version.model, node.version.version, !undo);
  changed(s, node.ws);
  return v;
}
