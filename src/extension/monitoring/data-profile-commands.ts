import * as vscode from 'vscode';
import { DataProfilePanel, pickDataFile } from './data-profile-panel.ts';

/**
 * Loopline: Open Data Profile. From the Explorer (the clicked file; with two files selected, the
 * first is the reference and the second is compared with it), the palette (a pick), or a command
 * call with a Uri (or path string).
 */
export async function openDataProfile(ctx: vscode.ExtensionContext, arg?: unknown, selection?: unknown): Promise<DataProfilePanel | undefined> {
  const uris = Array.isArray(selection) ? selection.filter((u): u is vscode.Uri => u instanceof vscode.Uri) : [];
  const first = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.file(arg) : undefined;
  if (uris.length >= 2) return DataProfilePanel.show(ctx, uris[0]!, uris[1]!);
  const file = first ?? (await pickDataFile('Open Data Profile'));
  if (!file) return undefined;
  const second = selection instanceof vscode.Uri ? selection : typeof selection === 'string' ? vscode.Uri.file(selection) : undefined;
  return DataProfilePanel.show(ctx, file, second);
}
