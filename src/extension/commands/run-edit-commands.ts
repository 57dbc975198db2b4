import * as vscode from 'vscode';
import { existsSync, mkdirSync } from 'node:fs';
import { LooplineError } from '../../core/errors.ts';
import { requireArtifactFile, runArtifactDir } from '../../core/store/artifact-files.ts';
import type { Services } from '../services.ts';
import { resolveRuns } from './run-targets.ts';

export async function newExperiment(s: Services, name?: string): Promise<string | undefined> {
  const folders = s.stores.folders();
  if (folders.length === 0) throw new LooplineError('INVALID_STATE', 'Open a folder first: experiments are stored per workspace folder.');
  const folder = folders.length === 1 ? folders[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder whose store gets the experiment' });
  if (!folder) return undefined;
  const typed =
    name ??
    (await vscode.window.showInputBox({
      prompt: 'Name of the new experiment',
      validateInput: (v) => (!v.trim() ? 'Give a name' : s.stores.existing(folder)?.store.findExperimentByName(v.trim()) ? `'${v.trim()}' already exists` : undefined),
    }));
  if (!typed?.trim()) return undefined;
  const ws = s.stores.get(folder);
  const e = ws.store.createExperiment(typed.trim());
  s.stores.wrote(ws);
  s.experiments.refresh();
  return e.id;
}

export async function renameRun(s: Services, arg?: unknown, selection?: unknown, newName?: string): Promise<void> {
  const [t] = await resolveRuns(s, arg, selection, { multi: false, placeHolder: 'Run to rename' });
  if (!t) return;
  const name =
    newName ??
    (await vscode.window.showInputBox({
      prompt: `New name for "${t.run.info.name}"`,
      value: t.run.info.name,
      validateInput: (v) => (v.trim() ? (v.length > 250 ? 'At most 250 characters' : undefined) : 'The name cannot be empty'),
    }));
  if (!name?.trim()) return;
  t.ws.store.updateRun(t.run.info.id, { name: name.trim() });
  s.stores.wrote(t.ws);
}

export async function addTag(s: Services, arg?: unknown, selection?: unknown, tag?: string): Promise<void> {
  const targets = await resolveRuns(s, arg, selection, { multi: true, placeHolder: 'Run(s) to tag' });
  if (targets.length === 0) return;
  const text =
    tag ??
    (await vscode.window.showInputBox({
      prompt: 'Tag as key=value (or just a key)',
      placeHolder: 'baseline=true',
      validateInput: (v) => {
        const key = v.split('=')[0]!.trim();
        if (!key) return 'Give a tag key';
        if (!/^[\p{L}\p{N}_\-. :/]+$/u.test(key)) return 'Keys may contain letters, digits, _ - . space : /';
        return undefined;
      },
    }));
  if (!text?.trim()) return;
  const eq = text.indexOf('=');
  const key = (eq >= 0 ? text.slice(0, eq) : text).trim();
  const value = eq >= 0 ? text.slice(eq + 1).trim() : 'true';
  for (const t of targets) t.ws.store.logBatch(t.run.info.id, { tags: [{ key, value }] });
  for (const ws of new Set(targets.map((t) => t.ws))) s.stores.wrote(ws);
}

export async function deleteRun(s: Services, arg?: unknown, selection?: unknown): Promise<void> {
  const targets = await resolveRuns(s, arg, selection, { multi: true, placeHolder: 'Run(s) to delete' });
  if (targets.length === 0) return;
  for (const t of targets) t.ws.store.setRunLifecycle(t.run.info.id, 'deleted');
  for (const ws of new Set(targets.map((t) => t.ws))) s.stores.wrote(ws);
  const names = targets.map((t) => `"${t.run.info.name}"`).join(', ');
  // Not awaited: the command is done once the runs are in the trash; Undo may come much later.
  void vscode.window.showInformationMessage(`Moved ${names} to the trash.`, 'Undo').then((undo) => {
    if (undo !== 'Undo') return;
    for (const t of targets) t.ws.store.setRunLifecycle(t.run.info.id, 'active');
    for (const ws of new Set(targets.map((t) => t.ws))) s.stores.wrote(ws);
  });
}

export async function restoreRun(s: Services, arg?: unknown, selection?: unknown): Promise<void> {
  const targets = await resolveRuns(s, arg, selection, { multi: true, placeHolder: 'Deleted run(s) to restore', view: 'deleted' });
  for (const t of targets) t.ws.store.setRunLifecycle(t.run.info.id, 'active');
  for (const ws of new Set(targets.map((t) => t.ws))) s.stores.wrote(ws);
}

export async function copyRunId(s: Services, arg?: unknown, selection?: unknown): Promise<string | undefined> {
  const targets = await resolveRuns(s, arg, selection, { multi: true, placeHolder: 'Run whose id to copy' });
  if (targets.length === 0) return undefined;
  const text = targets.map((t) => t.run.info.id).join('\n');
  await vscode.env.clipboard.writeText(text);
  void vscode.window.setStatusBarMessage(`Copied run id ${targets.length > 1 ? `(${targets.length})` : text}`, 3000);
  return text;
}

export async function revealArtifacts(s: Services, arg?: unknown, selection?: unknown): Promise<void> {
  const [t] = await resolveRuns(s, arg, selection, { multi: false, placeHolder: 'Run whose artifacts to reveal' });
  if (!t) return;
  const dir = runArtifactDir(t.ws.store.artifactsRoot, t.run.info.id);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(dir));
}

export async function openArtifact(s: Services, runId: string, path: string): Promise<void> {
  const ws = s.stores.findRun(runId);
  if (!ws) throw new LooplineError('RESOURCE_DOES_NOT_EXIST', `Run ${runId} is not in this workspace.`);
  const file = requireArtifactFile(ws.store.artifactsRoot, runId, path);
  await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file), { preview: true });
}
