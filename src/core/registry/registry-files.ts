import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { invalid } from '../errors.ts';

export interface RegistryContent {
  hash: string;
  dir: string;
  fileCount: number;
  size: number;
}

interface SourceFile {
  rel: string;
  full: string;
  size: number;
  sha256: string;
}

function hashFile(file: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(file, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

function collect(source: string): SourceFile[] {
  const st = lstatSync(source, { throwIfNoEntry: false });
  if (!st) throw invalid(`Nothing to register at ${source}.`);
  if (st.isSymbolicLink()) throw invalid(`${source} is a symbolic link; register the folder it points to instead.`);
  if (st.isFile()) return [{ rel: basename(source), full: source, size: st.size, sha256: hashFile(source) }];
  const out: SourceFile[] = [];
  const visit = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      const s = lstatSync(full);
      if (s.isSymbolicLink()) throw invalid(`'${rel}' is a symbolic link; a registered model must hold real files (links could point outside it).`);
      if (s.isDirectory()) visit(full, rel);
      else if (s.isFile()) out.push({ rel, full, size: s.size, sha256: hashFile(full) });
    }
  };
  visit(source, '');
  if (out.length === 0) throw invalid(`${source} holds no files; log the model's files into it before registering.`);
  return out;
}

/** The content hash of a file set: sha256 over its sorted "sha256  path" lines (like a manifest). */
export function manifestHash(files: Array<{ rel: string; sha256: string }>): string {
  const lines = files.map((f) => `${f.sha256}  ${f.rel}\n`).sort();
  return createHash('sha256').update(lines.join('')).digest('hex');
}

export function contentDir(registryRoot: string, hash: string): string {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw invalid(`'${hash}' is not a content hash.`);
  return join(registryRoot, 'sha256', hash);
}

/**
 * Copies a model folder (or one file) into `<registryRoot>/sha256/<hash>/`. Identical content is
 * stored once. The copy is built in a temporary folder and renamed into place, so a crash never
 * leaves a half-copied version; files are made read-only so a served model cannot be edited in place.
 */
export function copyIntoRegistry(registryRoot: string, source: string): RegistryContent {
  const files = collect(source);
  const hash = manifestHash(files);
  const dir = contentDir(registryRoot, hash);
  const size = files.reduce((n, f) => n + f.size, 0);
  if (existsSync(dir)) return { hash, dir, fileCount: files.length, size };
  const tmp = join(registryRoot, 'tmp', `${hash.slice(0, 12)}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp, { recursive: true });
  try {
    for (const f of files) {
      const target = join(tmp, ...f.rel.split('/'));
      mkdirSync(join(target, '..'), { recursive: true });
      copyFileSync(f.full, target);
      if (hashFile(target) !== f.sha256) throw invalid(`'${f.rel}' changed while it was being registered; try again once the run has finished writing it.`);
      chmodSync(target, 0o444);
    }
    mkdirSync(join(registryRoot, 'sha256'), { recursive: true });
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process stored the same content first: theirs is identical.
      if (!existsSync(dir)) throw err;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return { hash, dir, fileCount: files.length, size };
}

/** Recomputes a stored version's hash: true when its files are exactly what was registered. */
export function verifyContent(registryRoot: string, hash: string): boolean {
  const dir = contentDir(registryRoot, hash);
  if (!existsSync(dir)) return false;
  return manifestHash(collect(dir)) === hash;
}
