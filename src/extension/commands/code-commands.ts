import * as vscode from 'vscode';
import { join } from 'node:path';
import { LooplineError } from '../../core/errors.ts';
import { findGitRoot } from '../../core/store/store-location.ts';
import { RunCodeProvider } from '../code/run-code-provider.ts';
import type { Services } from '../services.ts';
import { resolveRuns } from './run-targets.ts';

/** Opens VS Code's multi-file diff: the run's exact code (commit + its patch) against the working tree. */
export async function showCodeDiff(s: Services, arg?: unknown, selection?: unknown): Promise<number> {
  const [t] = await resolveRuns(s, arg, selection, { multi: false, placeHolder: 'Run whose code to compare with the working tree' });
  if (!t) return 0;
  const repo = findGitRoot(t.ws.folder.uri.fsPath);
  if (!repo) throw new LooplineError('INVALID_STATE', `${t.ws.folder.name} is not a git repository, so there is no code to compare.`);
  const { runCodeTree, changedSinceRun } = await import('../../core/git/run-code.ts');
  const tree = await runCodeTree(repo, t.run.info.git);
  const files = await changedSinceRun(repo, tree);
  if (files.length === 0) {
    void vscode.window.showInformationMessage(`The working tree matches the code of run "${t.run.info.name}".`);
    return 0;
  }
  const empty = vscode.Uri.from({ scheme: 'loopline-run-code', path: '/empty', query: new URLSearchParams({ repo, tree: 'empty' }).toString() });
  const resources = files.map((f) => {
    const working = vscode.Uri.file(join(repo, f.path));
    const atRun = f.status === 'A' ? empty : RunCodeProvider.uri(repo, tree, f.path);
    return [working, atRun, f.status === 'D' ? empty : working] as [vscode.Uri, vscode.Uri, vscode.Uri];
  });
  await vscode.commands.executeCommand('vscode.changes', `Run "${t.run.info.name}" ↔ Working Tree`, resources);
  return files.length;
}

/** Creates a branch at the run's commit with its uncommitted changes applied. */
export async function checkoutRunCode(s: Services, arg?: unknown, selection?: unknown, branchName?: string): Promise<string | undefined> {
  const [t] = await resolveRuns(s, arg, selection, { multi: false, placeHolder: "Run whose code to check out" });
  if (!t) return undefined;
  const repo = findGitRoot(t.ws.folder.uri.fsPath);
  if (!repo) throw new LooplineError('INVALID_STATE', `${t.ws.folder.name} is not a git repository.`);
  const suggested = `loopline/${t.run.info.name.replace(/[^\w.\-/]+/g, '-')}`;
  const branch =
    branchName ??
    (await vscode.window.showInputBox({
      prompt: `New branch for the code of run "${t.run.info.name}" (commit ${t.run.info.git?.commit?.slice(0, 8) ?? '?'} plus its uncommitted changes)`,
      value: suggested,
      validateInput: (v) => (/^[\w.\-/]+$/.test(v) && !v.includes('..') ? undefined : 'Use letters, digits, - _ . /'),
    }));
  if (!branch) return undefined;
  const { checkoutRunCode: checkout } = await import('../../core/git/run-code.ts');
  await checkout(repo, t.run.info.git, branch);
  void vscode.window.showInformationMessage(`Checked out the code of run "${t.run.info.name}" on branch ${branch}.`);
  return branch;
}
