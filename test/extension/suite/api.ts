import * as vscode from 'vscode';
import type { LooplineApi } from '../../../src/extension/extension.ts';

/** The activated extension's API (its services), as the tests drive it. */
export async function looplineApi(): Promise<LooplineApi> {
  const ext = vscode.extensions.getExtension<LooplineApi>('loopline.loopline');
  if (!ext) throw new Error('extension loopline.loopline is not installed in this host');
  return ext.isActive ? ext.exports : ext.activate();
}

export function workspaceDir(): string {
  const dir = process.env.LOOPLINE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!dir) throw new Error('no test workspace');
  return dir;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
