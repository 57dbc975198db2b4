import { basename, join } from 'node:path';
import type { ImportFormat } from './import-types.ts';
import { isDir, isFile, listDir } from './source-files.ts';

const WANDB_RUN_DIR = /^(offline-)?run-\d{8}_\d{6}-[a-z0-9]+$/;
const TFEVENTS = /tfevents/;
const SKIP_DIRS = new Set(['.git', 'node_modules', '.venv', 'venv', '__pycache__', '.loopline', '.dvc']);

export function isWandbRunDir(name: string): boolean {
  return WANDB_RUN_DIR.test(name);
}

export function isEventFile(name: string): boolean {
  return TFEVENTS.test(name);
}

/** Which tool wrote the folder; undefined when none is recognised. */
export function detectFormat(path: string): ImportFormat | undefined {
  if (!isDir(path)) return undefined;
  if (looksLikeMlflow(path) || looksLikeMlflow(join(path, 'mlruns'))) return 'mlflow';
  if (isWandbRunDir(basename(path)) || listDir(path).some((e) => e.isDirectory() && isWandbRunDir(e.name))) return 'wandb';
  if (isDir(join(path, 'wandb')) && listDir(join(path, 'wandb')).some((e) => isWandbRunDir(e.name))) return 'wandb';
  if (hasFile(path, (n) => isEventFile(n), 6)) return 'tensorboard';
  if (hasFile(path, (n, dir) => n.endsWith('.tsv') && /(^|\/)(plots\/metrics|scalars|dvclive)(\/|$)/.test(dir), 6) || isFile(join(path, 'dvclive.json'))) {
    return 'dvclive';
  }
  return undefined;
}

function looksLikeMlflow(dir: string): boolean {
  if (!isDir(dir)) return false;
  if (isDir(join(dir, '.trash')) && basename(dir) === 'mlruns') return true;
  return listDir(dir).some((e) => e.isDirectory() && /^\d+$/.test(e.name) && isFile(join(dir, e.name, 'meta.yaml')));
}

function hasFile(dir: string, test: (name: string, dir: string) => boolean, depth: number, rel = ''): boolean {
  if (depth < 0) return false;
  for (const e of listDir(dir)) {
    if (e.isFile() && test(e.name, rel)) return true;
    if (e.isDirectory() && !SKIP_DIRS.has(e.name) && hasFile(join(dir, e.name), test, depth - 1, rel ? `${rel}/${e.name}` : e.name)) return true;
  }
  return false;
}

/** Whether a workspace holds history worth offering to import (an mlruns folder or event files). */
export function findImportableHistory(workspace: string): { format: ImportFormat; path: string } | undefined {
  if (looksLikeMlflow(join(workspace, 'mlruns'))) return { format: 'mlflow', path: join(workspace, 'mlruns') };
  if (hasFile(workspace, (n) => isEventFile(n), 4)) return { format: 'tensorboard', path: workspace };
  return undefined;
}
