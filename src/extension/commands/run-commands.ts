import * as vscode from 'vscode';
import { basename, dirname, relative } from 'node:path';
import { LooplineError } from '../../core/errors.ts';
import { splitCommandLine } from '../../core/runs/command-line.ts';
import type { Node } from '../experiments/experiments-model.ts';
import { pythonCommand } from '../python-interpreter.ts';
import type { Services } from '../services.ts';
import type { LaunchedRun } from '../runs/run-controller.ts';
import { resolveRuns } from './run-targets.ts';

/** Everything the Run command asks for; pass it to skip the prompts (tests, other extensions). */
export interface RunScriptOptions {
  script?: string;
  /** A full command instead of a script (e.g. `make train`). */
  command?: string[];
  args?: string[];
  experiment?: string;
  name?: string;
  cwd?: string;
}

const EXCLUDE = '{**/node_modules/**,**/.venv/**,**/venv/**,**/.loopline/**,**/site-packages/**,**/.git/**}';

export async function runTrainingScript(s: Services, arg?: vscode.Uri | Node | RunScriptOptions): Promise<LaunchedRun | undefined> {
  const folders = s.stores.folders();
  if (folders.length === 0) throw new LooplineError('INVALID_STATE', 'Open a folder first: runs are stored per workspace folder.');
  const opts: RunScriptOptions = arg && !(arg instanceof vscode.Uri) && !('kind' in arg) ? arg : {};
  let experiment = opts.experiment ?? (arg && 'kind' in arg && arg.kind === 'experiment' ? arg.experiment.name : undefined);
  let command = opts.command;
  let scriptUri = arg instanceof vscode.Uri ? arg : opts.script ? vscode.Uri.file(opts.script) : undefined;
  if (!command && !scriptUri) {
    const picked = await pickScript();
    if (!picked) return undefined;
    if (picked === 'command') {
      const line = await vscode.window.showInputBox({ prompt: 'Command to run and track', placeHolder: 'python3 train.py --lr 0.01', ignoreFocusOut: true });
      if (!line?.trim()) return undefined;
      command = splitCommandLine(line);
    } else scriptUri = picked;
  }
  const folder = (scriptUri && vscode.workspace.getWorkspaceFolder(scriptUri)) ?? folders[0]!;
  const cwd = opts.cwd ?? folder.uri.fsPath;
  const stateKey = `loopline.args:${scriptUri?.fsPath ?? command?.join(' ')}`;
  if (!command && scriptUri) {
    let args = opts.args;
    if (!args) {
      const last = s.context.workspaceState.get<string>(stateKey, '');
      const line = await vscode.window.showInputBox({
        prompt: `Arguments for ${basename(scriptUri.fsPath)} (Enter to run)`,
        value: last,
        placeHolder: '--lr 0.01 --epochs 10',
        ignoreFocusOut: true,
      });
      if (line === undefined) return undefined;
      args = splitCommandLine(line);
      await s.context.workspaceState.update(stateKey, line);
    }
    const script = relative(cwd, scriptUri.fsPath) || scriptUri.fsPath;
    command = scriptUri.fsPath.endsWith('.py') ? [...(await pythonCommand(folder)), script, ...args] : [scriptUri.fsPath, ...args];
  }
  if (!experiment && !opts.command && !opts.args) {
    experiment = await pickExperiment(s, folder);
    if (experiment === undefined) return undefined;
  }
  const ws = s.stores.get(folder);
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Loopline: starting run…' }, () =>
    s.runs.launch(ws, { command: command!, cwd, ...(experiment ? { experiment } : {}), ...(opts.name ? { name: opts.name } : {}) }),
  );
}

async function pickScript(): Promise<vscode.Uri | 'command' | undefined> {
  const files = await vscode.workspace.findFiles('**/*.py', EXCLUDE, 500);
  const active = vscode.window.activeTextEditor?.document.uri;
  const score = (u: vscode.Uri) => (active && u.toString() === active.toString() ? 0 : /train|fit|main/i.test(basename(u.fsPath)) ? 1 : 2);
  files.sort((a, b) => score(a) - score(b) || a.fsPath.localeCompare(b.fsPath));
  type Item = vscode.QuickPickItem & { value: vscode.Uri | 'command' };
  const items: Item[] = files.map((u) => ({ label: basename(u.fsPath), description: vscode.workspace.asRelativePath(dirname(u.fsPath)), value: u }));
  items.push({ label: '$(terminal) Enter a command…', description: 'any command, e.g. make train', value: 'command' });
  const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Training script to run', matchOnDescription: true });
  return picked?.value;
}

async function pickExperiment(s: Services, folder: vscode.WorkspaceFolder): Promise<string | undefined> {
  const key = 'loopline.lastExperiment';
  const last = s.context.workspaceState.get<string>(key);
  const existing = s.stores.existing(folder)?.store.listExperiments().map((e) => e.name) ?? ['Default'];
  if (!existing.includes('Default')) existing.unshift('Default');
  const names = last && existing.includes(last) ? [last, ...existing.filter((n) => n !== last)] : existing;
  const items: vscode.QuickPickItem[] = [...names.map((n) => ({ label: n })), { label: '$(add) New experiment…' }];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Experiment for this run' });
  if (!picked) return undefined;
  let name = picked.label;
  if (name.startsWith('$(add)')) {
    const typed = await vscode.window.showInputBox({ prompt: 'Name of the new experiment', validateInput: (v) => (v.trim() ? undefined : 'Give a name') });
    if (!typed) return undefined;
    name = typed.trim();
  }
  await s.context.workspaceState.update(key, name);
  return name;
}

export async function stopRun(s: Services, arg?: unknown, selection?: unknown): Promise<void> {
  const targets = await resolveRuns(s, arg, selection, { multi: true, placeHolder: 'Run to stop' });
  for (const t of targets) {
    const how = s.runs.stop(t.ws, t.run.info.id);
    void vscode.window.setStatusBarMessage(`Loopline: ${how === 'stopping' ? 'stopping' : 'asked the launcher to stop'} ${t.run.info.name}`, 4000);
  }
}

export async function rerunWithParams(s: Services, arg?: unknown, selection?: unknown, newCommand?: string): Promise<LaunchedRun | undefined> {
  const [t] = await resolveRuns(s, arg, selection, { multi: false, placeHolder: 'Run to rerun' });
  if (!t) return undefined;
  if (!t.run.info.command) throw new LooplineError('INVALID_STATE', `Run "${t.run.info.name}" has no recorded command (it was logged by a script, not launched); run the script again instead.`);
  const line =
    newCommand ??
    (await vscode.window.showInputBox({
      prompt: `Rerun "${t.run.info.name}" — change the arguments, then Enter`,
      value: t.run.info.command,
      valueSelection: [t.run.info.command.indexOf(' ') + 1, t.run.info.command.length],
      ignoreFocusOut: true,
    }));
  if (!line?.trim()) return undefined;
  const exp = t.ws.store.getExperiment(t.run.info.experimentId);
  return s.runs.launch(t.ws, { command: splitCommandLine(line), cwd: t.run.tags['loopline.cwd'] ?? t.ws.folder.uri.fsPath, experiment: exp.name });
}
