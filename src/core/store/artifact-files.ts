import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { invalid, notFound } from '../errors.ts';
import type { ArtifactEntry } from './types.ts';

/**
 * Artifact files of runs, under `<artifactsRoot>/<run-id>/`. Every path from outside goes
 * through `safeRelative`, so nothing can read or write outside its run's folder.
 */
export function safeRelative(rel: string): string {
  if (typeof rel !== 'string') throw invalid('Artifact path must be a string.');
  if (rel.includes('\0')) throw invalid('Artifact path contains a NUL byte.');
  const norm = rel.replace(/\\/g, '/');
  if (isAbsolute(norm) || /^[a-zA-Z]:/.test(norm)) throw invalid(`Artifact path '${rel}' must be relative to the run's artifact folder.`);
  const parts = norm.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw invalid(`Artifact path '${rel}' may not contain '..': it must stay inside the run's artifact folder.`);
  return parts.join('/');
}

export function runArtifactDir(artifactsRoot: string, runId: string): string {
  if (!/^[0-9a-f]{32}$/.test(runId)) throw invalid(`'${runId}' is not a run id.`);
  return join(artifactsRoot, runId);
}

/**
 * Absolute path for an artifact. Besides the textual checks, no component of the path inside the
 * run folder may be a symbolic link (dangling or not), so a link planted in a run folder cannot
 * lead a read or a write outside it.
 */
export function resolveArtifactPath(artifactsRoot: string, runId: string, rel: string): string {
  const base = runArtifactDir(artifactsRoot, runId);
  const clean = safeRelative(rel);
  let cur = base;
  for (const part of clean ? clean.split('/') : []) {
    cur = join(cur, part);
    const st = lstatSync(cur, { throwIfNoEntry: false });
    if (!st) break; // the rest does not exist yet: nothing to follow
    if (st.isSymbolicLink()) throw invalid(`Artifact path '${rel}' goes through a symbolic link, which could lead outside the run's artifact folder; links are not followed.`);
  }
  return clean ? join(base, ...clean.split('/')) : base;
}

export function ensureParentDir(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
}

/** Direct children of a folder in the run's artifacts, as MLflow's artifacts/list returns them. */
export function listArtifactDir(artifactsRoot: string, runId: string, rel = ''): ArtifactEntry[] {
  const dir = resolveArtifactPath(artifactsRoot, runId, rel);
  if (!existsSync(dir)) return [];
  const st = statSync(dir);
  if (!st.isDirectory()) return [];
  const prefix = safeRelative(rel);
  return readdirSync(dir)
    .sort()
    .flatMap((name): ArtifactEntry[] => {
      const child = join(dir, name);
      const ls = lstatSync(child);
      if (ls.isSymbolicLink()) return [];
      const path = prefix ? `${prefix}/${name}` : name;
      return ls.isDirectory() ? [{ path, isDir: true, size: null }] : [{ path, isDir: false, size: ls.size }];
    });
}

/** Every file under the run's artifact folder, recursively, as relative paths. */
export function walkArtifacts(artifactsRoot: string, runId: string): ArtifactEntry[] {
  const out: ArtifactEntry[] = [];
  const visit = (rel: string) => {
    for (const e of listArtifactDir(artifactsRoot, runId, rel)) {
      if (e.isDir) visit(e.path);
      else out.push(e);
    }
  };
  visit('');
  return out;
}

export function requireArtifactFile(artifactsRoot: string, runId: string, rel: string): string {
  const full = resolveArtifactPath(artifactsRoot, runId, rel);
  if (!existsSync(full) || !statSync(full).isFile()) throw notFound(`No artifact file '${rel}' in run '${runId}'.`);
  return full;
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => h.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(h.digest('hex')));
  });
}

