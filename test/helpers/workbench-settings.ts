import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * User settings for a code-server that opens on Loopline: no Welcome page, no Chat or secondary
 * side bar, no tips or walkthroughs over the views. Used by `npm start` and the UI tests.
 */
export const QUIET_WORKBENCH_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.ignoreRecommendations': true,
  'git.openRepositoryInParentFolders': 'never',
};

/** Writes the user settings into code-server's user-data folder under `home` (see startCodeServer). */
export function writeUserSettings(home: string, settings: Record<string, unknown> = QUIET_WORKBENCH_SETTINGS): void {
  mkdirSync(join(home, 'data', 'User'), { recursive: true });
  writeFileSync(join(home, 'data', 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

/** The demo workspace opens on Loopline's overview (see loopline.openOnStartup). */
export function writeDemoWorkspaceSettings(workspace: string): void {
  // Kept out of git's view (the repository's own exclude file), so Source Control shows no change.
  if (existsSync(join(workspace, '.git', 'info'))) appendFileSync(join(workspace, '.git', 'info', 'exclude'), '.vscode/\n');
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'loopline.openOnStartup': 'overview' }, null, 2));
}
