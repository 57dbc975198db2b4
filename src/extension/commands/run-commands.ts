import * as vscode from 'vscode';
import { basename, dirname, join, relative } from 'node:path';
import { findGitRoot } from '../../core/store/store-location.ts';
import { formatAgo, formatRunCount } from '../../shared/display-format.ts';
import { trainingScripts } from '../runs/script-candidates.ts';
import { readSettings } from '../settings.ts';
import { containerOptionsFrom, type ContainerRunOptions } from '../../core/containers/container-options.ts';
import { readTrainingConfig } from '../../core/project/training-config.ts';
import { LooplineError } from '../../core/errors.ts';
import { splitCommandLine } from '../../core/runs/command-line.ts';
import type { KeyValue } from '../../core/store/types.ts';
import type { Node } from '../experiments/experiments-model.ts';
import { experimentChoices, orderExperimentChoices } from '../experiments/experiment-choice.ts';
import { pythonCommand } from '../python-interpreter.ts';
import type { Services } from '../services.ts';
import type { LaunchedRun } from '../runs/run-controller.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';
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
  /** Run in a container with these options (skips the "Where?" question). */
  container?: ContainerRunOptions;
  /** Run on this machine without asking "Where?". */
  local?: boolean;
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
    const picked = await pickScript(s);
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
  let container = opts.container;
  let params: KeyValue[] | undefined;
  // ▶ Run on a script with a loopline.yaml: its command (when none was given), params and container.
  const project = readTrainingConfig(folder.uri.fsPath);
  if (project && !opts.command && !opts.args) params = project.params;
  if (!container && !opts.local && !opts.command && !opts.args) {
    const where = await pickWhere(project?.container);
    if (!where) return undefined;
    if (where !== 'local') container = where;
  }
  if (container && scriptUri?.fsPath.endsWith('.py') && command && !opts.command) {
    // The host's interpreter path means nothing inside the image: use the image's python3.
    const script = relative(cwd, scriptUri.fsPath) || basename(scriptUri.fsPath);
    const at = command.indexOf(script);
    command = ['python3', ...(at >= 0 ? command.slice(at) : [script])];
  }
  const ws = s.stores.get(folder);
  const launched = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Loopline: starting run…' }, () =>
    s.runs.launch(ws, {
      command: command!,
      cwd,
      ...(experiment ? { experiment } : {}),
      ...(opts.name ? { name: opts.name } : {}),
      ...(params?.length ? { params } : {}),
      ...(container ? { container } : {}),
    }),
  );
  showNewRun(s, ws, launched.runId);
  return launched;
}

/**
 * A run just started shows in the Experiments view at once, with its running icon: the tree
 * re-reads now (not at the next store event) and, when the view is open, expands to the run
 * without taking the focus from the run's terminal.
 */
function showNewRun(s: Services, ws: WorkspaceStore, runId: string): void {
  s.experiments.refresh();
  if (!s.experimentsView.visible) return;
  const node: Node = { kind: 'run', ref: { id: ws.folder.uri.toString(), name: ws.folder.name, store: ws.store }, run: ws.store.getRun(runId) };
  void Promise.resolve(s.experimentsView.reveal(node, { select: false, focus: false, expand: false })).catch(() => undefined);
}

/** Absolute paths of the scripts recent runs used, newest first (from every open store). */
function recentScripts(s: Services): Map<string, number> {
  const out = new Map<string, number>();
  for (const ws of s.stores.allExisting()) {
    const ids = ws.store.listExperiments().map((e) => e.id);
    if (!ids.length) continue;
    const root = findGitRoot(ws.folder.uri.fsPath) ?? ws.folder.uri.fsPath;
    for (const run of ws.store.searchRuns({ experimentIds: ids, maxResults: 200 }).runs) {
      const file = run.info.sourceFile;
      if (file && !out.has(join(root, file))) out.set(join(root, file), run.info.startTime);
    }
  }
  return out;
}

async function pickScript(s: Services): Promise<vscode.Uri | 'command' | undefined> {
  const pyFiles = await vscode.workspace.findFiles('**/*.py', EXCLUDE, 2000);
  const configured = new Set<string>();
  for (const folder of s.stores.folders()) {
    for (const pattern of readSettings(folder).trainingScripts) {
      for (const u of await vscode.workspace.findFiles(new vscode.RelativePattern(folder, pattern), EXCLUDE, 500)) configured.add(u.fsPath);
    }
  }
  const byPath = new Map([...pyFiles, ...[...configured].map((p) => vscode.Uri.file(p))].map((u) => [u.fsPath, u]));
  const files = await Promise.all(
    [...byPath.keys()].map(async (path) => {
      let text = '';
      try {
        const bytes = await vscode.workspace.fs.readFile(byPath.get(path)!);
        if (path.endsWith('.py') && bytes.byteLength < 2_000_000) text = new TextDecoder().decode(bytes);
      } catch {
        // unreadable: not offered
      }
      return { path, text, configured: configured.has(path) };
    }),
  );
  const recent = recentScripts(s);
  const scripts = trainingScripts(files, [...recent.keys()], vscode.window.activeTextEditor?.document.uri.fsPath);
  type Item = vscode.QuickPickItem & { value: vscode.Uri | 'command' | 'other' };
  const fileItem = (path: string): Item => {
    const ran = recent.get(path);
    return { label: basename(path), description: [vscode.workspace.asRelativePath(dirname(path)), ran ? `last run ${formatAgo(ran)}` : ''].filter(Boolean).join(' · '), value: byPath.get(path)! };
  };
  const items: Item[] = scripts.map(fileItem);
  if (pyFiles.length > 0) items.push({ label: '$(file-code) Other Python file…', description: 'any .py file of the workspace', value: 'other' });
  items.push({ label: '$(terminal) Enter a command…', description: 'any command, e.g. make train', value: 'command' });
  const picked = await vscode.window.showQuickPick(items, {
    placeHolder: scripts.length ? 'Training script to run' : 'No training scripts found (a __main__ block that imports loopline or mlflow): pick another file or enter a command',
    matchOnDescription: true,
  });
  if (picked?.value !== 'other') return picked?.value;
  const other = await vscode.window.showQuickPick(
    pyFiles.sort((a, b) => a.fsPath.localeCompare(b.fsPath)).map((u) => ({ label: basename(u.fsPath), description: vscode.workspace.asRelativePath(dirname(u.fsPath)), value: u })),
    { placeHolder: 'Python file to run', matchOnDescription: true },
  );
  return other?.value;
}

/** "Where?": this machine, or a container from a local image or a Dockerfile of the workspace. */
export async function pickWhere(fromProject: ContainerRunOptions | undefined): Promise<ContainerRunOptions | 'local' | undefined> {
  type Item = vscode.QuickPickItem & { value: 'local' | 'container' | ContainerRunOptions };
  const items: Item[] = [{ label: '$(vm) This machine', description: 'run the script here', value: 'local' }];
  if (fromProject) items.unshift({ label: '$(package) As in loopline.yaml', description: fromProject.image ?? `build ${vscode.workspace.asRelativePath(fromProject.build!.context)}`, value: fromProject });
  items.push({ label: '$(package) A container…', description: 'a local Docker image or a Dockerfile of this workspace', value: 'container' });
  const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Where should the run execute?', ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked.value !== 'container') return picked.value;
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  type ImageItem = vscode.QuickPickItem & { raw?: { image?: string; build?: string; dockerfile?: string } };
  const dockerfiles = await vscode.workspace.findFiles('**/{Dockerfile,*.Dockerfile,Dockerfile.*}', EXCLUDE, 50);
  const imageItems: ImageItem[] = dockerfiles.map((u) => ({
    label: `$(file) Build ${vscode.workspace.asRelativePath(u)}`,
    description: 'build this Dockerfile, then run in it',
    raw: { build: dirname(u.fsPath), dockerfile: basename(u.fsPath) },
  }));
  try {
    const { dockerBackend } = await import('../../core/containers/container-backend.ts');
    const images = await (await dockerBackend()).listImages();
    imageItems.push(...images.map((i) => ({ label: i.ref, description: `${(i.size / 1e6).toFixed(0)} MB`, raw: { image: i.ref } })));
  } catch (err) {
    // Still offer the Dockerfiles; say why the engine's images are missing.
    imageItems.push({ label: '$(warning) No images from the Docker engine', detail: err instanceof Error ? err.message : String(err) });
  }
  const image = await vscode.window.showQuickPick(imageItems, { placeHolder: 'Image to run in (local images and Dockerfiles of this workspace)', matchOnDescription: true, ignoreFocusOut: true });
  if (!image?.raw) return undefined;
  return containerOptionsFrom({ ...image.raw, network: 'bridge' }, cwd, '--');
}

/** The experiment selected in the Experiments view (or that of the selected run), in this folder. */
export function selectedExperimentId(s: Services, folder: vscode.WorkspaceFolder): string | undefined {
  const n = s.experimentsView.selection[0];
  if (!n || !('ref' in n) || n.ref.id !== folder.uri.toString()) return undefined;
  return n.kind === 'experiment' ? n.experiment.id : n.kind === 'run' ? n.run.info.experimentId : undefined;
}

async function pickExperiment(s: Services, folder: vscode.WorkspaceFolder): Promise<string | undefined> {
  const key = 'loopline.lastExperiment';
  const ws = s.stores.existing(folder);
  const choices = ws ? orderExperimentChoices(experimentChoices(ws.store), selectedExperimentId(s, folder)) : [];
  if (!choices.some((c) => c.name === 'Default')) choices.push({ id: '0', name: 'Default', runCount: 0, lastRunTime: null });
  const items: vscode.QuickPickItem[] = [
    ...choices.map((c) => ({ label: c.name, description: c.runCount ? formatRunCount(c.runCount) : 'no runs yet' })),
    { label: '$(add) New experiment…' },
  ];
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
  const launched = await s.runs.launch(t.ws, { command: splitCommandLine(line), cwd: t.run.tags['loopline.cwd'] ?? t.ws.folder.uri.fsPath, experiment: exp.name });
  showNewRun(s, t.ws, launched.runId);
  return launched;
}
