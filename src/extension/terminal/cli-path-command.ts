import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LooplineError } from '../../core/errors.ts';
import { log } from '../log.ts';
import { installShim, refreshShim, type ShimTarget } from './cli-shim.ts';

function target(ctx: vscode.ExtensionContext): ShimTarget {
  const cliJs = join(ctx.extensionPath, 'dist', 'cli.js');
  if (!existsSync(cliJs)) throw new LooplineError('INVALID_STATE', `This build of Loopline has no bundled command line (${cliJs} is missing); run npm run build in the Loopline folder.`);
  return { execPath: process.execPath, cliJs };
}

/** Loopline: Install 'loopline' Command in PATH. */
export async function installCliInPath(ctx: vscode.ExtensionContext): Promise<string> {
  const r = installShim(target(ctx));
  if (r.conflict) {
    throw new LooplineError('INVALID_STATE', `${r.conflict} already exists and was not installed by Loopline; remove or rename it, then run this command again.`);
  }
  log().info(`Installed the loopline command: ${r.file}`);
  const msg = r.onPath
    ? `Installed ${r.file}: 'loopline' works in any new terminal (try loopline ls in a project folder).`
    : `Installed ${r.file}. Its folder is not on your PATH yet: add it (e.g. in ~/.profile: export PATH="$HOME/.local/bin:$PATH"), then open a new terminal.`;
  void vscode.window.showInformationMessage(msg);
  return r.file;
}

/** An installed shim follows the extension to its new folder after an update. */
export function refreshCliInPath(ctx: vscode.ExtensionContext): void {
  try {
    if (refreshShim(target(ctx))) log().info('Updated the loopline command to this version of the extension');
  } catch {
    // no bundled CLI in this build: nothing to refresh
  }
}
