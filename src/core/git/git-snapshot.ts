import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { GitSnapshot } from '../store/types.ts';

export interface SnapshotOptions {
  /** A bigger patch is not stored (flagged `patchTruncated`); default 5 MB. */
  maxPatchBytes?: number;
  /** Untracked files bigger than this are left out of the patch (data sets, checkpoints); default 1 MB. */
  maxUntrackedFileBytes?: number;
}

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/**
 * The exact code a run used: commit, branch, and a binary patch of every uncommitted change,
 * untracked files included. It works on a temporary copy of the index so the user's staging
 * area is never touched, and marks untracked files intent-to-add so no blobs are written.
 */
export async function snapshotGit(cwd: string, opts: SnapshotOptions = {}): Promise<GitSnapshot> {
  const notRepo: GitSnapshot = { isRepo: false, commit: null, branch: null, dirty: false, patch: null };
  let git: SimpleGit;
  let top: string;
  try {
    git = simpleGit({ baseDir: cwd, maxConcurrentProcesses: 2 });
    top = (await git.revparse(['--show-toplevel'])).trim();
  } catch {
    return notRepo; // not a repository, or no git binary: recorded as such
  }
  const commit = await git.revparse(['--verify', '-q', 'HEAD']).then((s) => s.trim() || null, () => null);
  const branch = await git.raw(['symbolic-ref', '--short', '-q', 'HEAD']).then((s) => s.trim() || null, () => null);
  const tmp = mkdtempSync(join(tmpdir(), 'loopline-git-'));
  try {
    const indexCopy = join(tmp, 'index');
    let realIndex = (await git.revparse(['--git-path', 'index'])).trim();
    if (!isAbsolute(realIndex)) realIndex = join(top, realIndex);
    // Only what git needs: simple-git refuses to pass variables it considers unsafe.
    const env: Record<string, string> = { GIT_INDEX_FILE: indexCopy };
    for (const k of ['PATH', 'HOME', 'LANG', 'XDG_CONFIG_HOME']) if (process.env[k]) env[k] = process.env[k]!;
    const g = simpleGit({ baseDir: top, allowEnvironment: ['GIT_INDEX_FILE'] }).env(env);
    if (existsSync(realIndex)) copyFileSync(realIndex, indexCopy);
    else if (commit) await g.raw(['read-tree', 'HEAD']);
    const maxUntracked = opts.maxUntrackedFileBytes ?? 1_000_000;
    const untracked = (await g.raw(['ls-files', '--others', '--exclude-standard', '-z']))
      .split('\0')
      .filter((f) => f && statSync(join(top, f), { throwIfNoEntry: false })?.isFile() && statSync(join(top, f)).size <= maxUntracked);
    for (let i = 0; i < untracked.length; i += 200) {
      await g.raw(['add', '--intent-to-add', '--', ...untracked.slice(i, i + 200)]);
    }
    const patch = await g.raw(['diff', '--binary', '--no-color', '--no-ext-diff', commit ?? EMPTY_TREE]);
    const maxPatch = opts.maxPatchBytes ?? 5_000_000;
    const tooBig = Buffer.byteLength(patch) > maxPatch;
    return {
      isRepo: true,
      commit,
      branch,
      dirty: patch.length > 0,
      patch: patch.length === 0 || tooBig ? null : patch,
      ...(tooBig ? { patchTruncated: true } : {}),
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
