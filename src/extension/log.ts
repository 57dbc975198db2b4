import * as vscode from 'vscode';

/** The `Loopline` output channel, and errors shown with an action that helps. */
let channel: vscode.LogOutputChannel | undefined;

export function log(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('Loopline', { log: true });
  return channel;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Shows an error notification. "Show Log" is always offered; `actions` add helpful next steps
 * (e.g. "Open Settings") with what each does.
 */
export async function showError(err: unknown, actions: Array<{ title: string; run: () => unknown }> = []): Promise<void> {
  const message = errorMessage(err);
  log().error(message);
  const picked = await vscode.window.showErrorMessage(`Loopline: ${message}`, ...actions.map((a) => a.title), 'Show Log');
  if (picked === 'Show Log') log().show(true);
  else actions.find((a) => a.title === picked)?.run();
}

export function openSettingsAction(query: string): { title: string; run: () => unknown } {
  return { title: 'Open Settings', run: () => vscode.commands.executeCommand('workbench.action.openSettings', query) };
}
