import { lstatSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { invalid } from '../errors.ts';
import { listDir } from './source-files.ts';

/** `outside`: refused for where it leads; `unreadable`: it cannot be copied (gone, a folder, no access). */
export type ArtifactCheck = { ok: true; real: string } | { ok: false; kind: 'outside' | 'unreadable'; reason: string };

/**
 * The folders an import may copy artifact files from: the folder the user imports, plus any they
 * name with `--artifacts-from`. A downloaded store is untrusted input: its `artifact_uri` or a
 * symbolic link inside it could otherwise name any file on this machine (`~/.ssh`), which the
 * import would copy into the store, where it is served and exported like any artifact.
 */
export class ArtifactSources {
  readonly roots: string[];

  constructor(importRoot: string, extra: string[] = []) {
    this.roots = [realpathSync(importRoot)];
    for (const dir of extra) {
      let real: string;
      try {
        real = realpathSync(dir);
      } catch {
        throw invalid(`--artifacts-from ${dir}: no such folder. Give a folder that holds the runs' artifacts.`);
      }
      if (!statSync(real).isDirectory()) throw invalid(`--artifacts-from ${dir} is not a folder. Give the folder that holds the runs' artifacts.`);
      this.roots.push(real);
    }
  }

  /** Whether `path` (links resolved) lies inside one of the roots; false when it does not exist. */
  contains(path: string): boolean {
    try {
      return this.inside(realpathSync(path));
    } catch {
      return false;
    }
  }

  /** Whether a file may be copied, and the real file to copy (links resolved) when it may. */
  check(file: string): ArtifactCheck {
    let real: string;
    try {
      real = realpathSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const link = lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink();
      if (code === 'ENOENT') return { ok: false, kind: 'unreadable', reason: link ? 'a symbolic link to a file that does not exist; not copied' : 'the file is gone; not copied' };
      return { ok: false, kind: 'unreadable', reason: `cannot read it (${code ?? (err as Error).message}); not copied` };
    }
    if (!this.inside(real)) {
      return { ok: false, kind: 'outside', reason: `it leads to ${real}, outside the imported folder (${this.roots.join(', ')}); not copied. If you trust that folder, import again with --artifacts-from ${parentOf(real)}` };
    }
    const st = statSync(real, { throwIfNoEntry: false });
    if (!st?.isFile()) return { ok: false, kind: 'unreadable', reason: `not a regular file (${st?.isDirectory() ? 'a folder' : 'a special file'}); not copied` };
    return { ok: true, real };
  }

  private inside(real: string): boolean {
    return this.roots.some((r) => real === r || real.startsWith(r.endsWith(sep) ? r : r + sep));
  }
}

function parentOf(path: string): string {
  const i = path.lastIndexOf(sep);
  return i > 0 ? path.slice(0, i) : sep;
}

/**
 * Artifact files under `dir` as '/'-joined relative paths. Symbolic links are listed (not
 * followed into), so the writer can check where each leads and report the ones it refuses rather
 * than drop them silently.
 */
export function artifactFilesUnder(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of listDir(dir)) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...artifactFilesUnder(join(dir, e.name), rel));
    else if (e.isFile() || e.isSymbolicLink()) out.push(rel);
  }
  return out;
}
