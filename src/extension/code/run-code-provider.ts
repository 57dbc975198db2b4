import * as vscode from 'vscode';

export const RUN_CODE_SCHEME = 'loopline-run-code';

/**
 * Read-only documents holding a file as it was in a run's code: `loopline-run-code:/<path>?repo=…&tree=…`.
 * The tree id (commit plus the run's patch) is built by `runCodeTree` before the diff opens.
 */
export class RunCodeProvider implements vscode.TextDocumentContentProvider {
  static uri(repo: string, tree: string, path: string): vscode.Uri {
    return vscode.Uri.from({ scheme: RUN_CODE_SCHEME, path: `/${path}`, query: new URLSearchParams({ repo, tree }).toString() });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = new URLSearchParams(uri.query);
    const { fileInTree } = await import('../../core/git/run-code.ts');
    return fileInTree(q.get('repo') ?? '', q.get('tree') ?? '', uri.path.replace(/^\//, ''));
  }
}
