import * as vscode from 'vscode';
import { writeFileSync } from 'node:fs';

/** Asks where to save, then writes; returns the path, or undefined when cancelled. */
export async function saveWithDialog(fileName: string, data: string | Buffer, filters: Record<string, string[]>): Promise<string | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const safeName = fileName.replace(/[^\w.\-]+/g, '_').slice(0, 120) || 'export';
  const target = await vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, safeName) : undefined, filters });
  if (!target) return undefined;
  writeFileSync(target.fsPath, data);
  void vscode.window.setStatusBarMessage(`Saved ${target.fsPath}`, 4000);
  return target.fsPath;
}

export function pngFromDataUrl(dataUrl: string): Buffer {
  return Buffer.from(dataUrl.slice('data:image/png;base64,'.length), 'base64');
}
