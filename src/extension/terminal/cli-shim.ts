import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

/**
 * A `loopline` command on PATH that runs the CLI bundled in the extension, as VS Code's own `code`
 * command does: the editor's executable as Node (`ELECTRON_RUN_AS_NODE=1`) on `dist/cli.js`.
 * No `vscode` import, so it is tested in plain Node. The shim is rewritten when the extension moves
 * (an update installs it in a new folder), and never overwrites a `loopline` it did not write.
 */
export const SHIM_MARKER = 'Installed by Loopline: Install \'loopline\' Command in PATH';

export interface ShimTarget {
  /** The executable that runs JavaScript (VS Code's process.execPath). */
  execPath: string;
  /** The bundled CLI. */
  cliJs: string;
  platform?: NodeJS.Platform;
  pathEnv?: string;
  home?: string;
}

export interface ShimResult {
  file: string;
  /** The folder it went into is on PATH, so `loopline` works in a new terminal. */
  onPath: boolean;
  /** A `loopline` not written by Loopline was already there: left alone. */
  conflict?: string;
}

export function shimText(t: ShimTarget): string {
  if ((t.platform ?? process.platform) === 'win32') {
    return `@echo off\r\nrem ${SHIM_MARKER}\r\nset ELECTRON_RUN_AS_NODE=1\r\n"${t.execPath}" "${t.cliJs}" %*\r\n`;
  }
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  return `#!/bin/sh\n# ${SHIM_MARKER}\nELECTRON_RUN_AS_NODE=1 exec ${q(t.execPath)} ${q(t.cliJs)} "$@"\n`;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where the shim goes: an existing, writable folder on PATH in the user's home, else ~/.local/bin. */
export function shimFolder(t: ShimTarget): { dir: string; onPath: boolean } {
  const home = t.home ?? homedir();
  const onPath = (t.pathEnv ?? process.env.PATH ?? '').split(t.platform === 'win32' ? ';' : delimiter).filter(Boolean).map((d) => resolve(d));
  const preferred = (t.platform ?? process.platform) === 'win32' ? [join(home, 'AppData', 'Local', 'Programs', 'loopline', 'bin')] : [join(home, '.local', 'bin'), join(home, 'bin')];
  const hit = preferred.find((d) => onPath.includes(resolve(d)) && existsSync(d) && writable(d));
  if (hit) return { dir: hit, onPath: true };
  return { dir: preferred[0]!, onPath: onPath.includes(resolve(preferred[0]!)) };
}

export function installShim(t: ShimTarget): ShimResult {
  const { dir, onPath } = shimFolder(t);
  const file = join(dir, (t.platform ?? process.platform) === 'win32' ? 'loopline.cmd' : 'loopline');
  if (existsSync(file) && !readFileSync(file, 'utf8').includes(SHIM_MARKER)) return { file, onPath, conflict: file };
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, shimText(t), { mode: 0o755 });
  return { file, onPath };
}

/** Rewrites an installed shim whose paths are stale (the extension or the editor moved). */
export function refreshShim(t: ShimTarget): boolean {
  const { dir } = shimFolder(t);
  const file = join(dir, (t.platform ?? process.platform) === 'win32' ? 'loopline.cmd' : 'loopline');
  if (!existsSync(file)) return false;
  const text = readFileSync(file, 'utf8');
  if (!text.includes(SHIM_MARKER) || text === shimText(t)) return false;
  writeFileSync(file, shimText(t), { mode: 0o755 });
  return true;
}
