import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { LooplineError } from '../errors.ts';
import type { GitSnapshot } from '../store/types.ts';

export interface ChangedFile {
  /** Path relative to the repository root. */
  path: string;
  /** A: only in the working tree now; D: only in the run's code; M: both, different. */
  status: 'A' | 'D' | 'M';
}

function requireCommit(snap: GitSnapshot | null): asserts snap is GitSnapshot & { commit: string } {
  if (!snap?.isRepo) throw new LooplineError('INVALID_STATE', 'This run was not started in a git repository, so its code was not recorded.');
  if (!snap.commit) throw new LooplineError('INVALID_STATE', 'The repository had no commits when this run started; there is no code to compare.');
  if (snap.patchTruncated) throw new LooplineError('INVALID_STATE', 'The uncommitted changes of this run were too large to keep; only its commit is known.');
}

/** Runs `fn` with a throwaway index file so the user's staging area is never touched. */
async function withTempIndex<T>(repo: string, fn: (git: ReturnType<typeof simpleGit>, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'loopline-code-'));
  try {
    const env: Record<string, string> = { GIT_INDEX_FILE: join(dir, 'index') };
    for (const k of ['PATH', 'HOME', 'LANG', 'XDG_CONFIG_HOME']) if (process.env[k]) env[k] = process.env[k]!;
    return await fn(simpleGit({ baseDir: repo, allowEnvironment: ['GIT_INDEX_FILE'] }).env(env), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The git tree of exactly the code a run used (its commit plus its patch), written as objects
 * into the repository without touching the index, working tree or refs. Returns the tree id.
 */
export async function runCodeTree(repo: string, snap: GitSnapshot | null): Promise<string> {
  requireCommit(snap);
  try {
    return await withTempIndex(repo, async (git, dir) => {
      await git.raw(['read-tree', snap.commit]);
      if (snap.patch) {
        const patchFile = join(dir, 'run.patch');
        writeFileSync(patchFile, snap.patch);
        await git.raw(['apply', '--cached', '--binary', '--whitespace=nowarn', patchFile]);
      }
      return (await git.raw(['write-tree'])).trim();
    });
  } catch (err) {
    if (err instanceof LooplineError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    if (/bad object|not a valid object|unknown revision|not a tree/i.test(msg)) {
      throw new LooplineError('INVALID_STATE', `Commit ${snap.commit.slice(0, 12)} of this run is not in this repository (fetch it, or open the repository the run came from).`);
    }
    throw new LooplineError('INTERNAL_ERROR', `Could not rebuild the run's code: ${msg.trim()}`);
  }
}

/** Files that differ between the run's code and the working tree (tracked and untracked). */
export async function changedSinceRun(repo: string, tree: string): Promise<ChangedFile[]> {
  return withTempIndex(repo, async (git) => {
    // Index = current HEAD plus every untracked file marked intent-to-add, so new files show up.
    await git.raw(['read-tree', 'HEAD']).catch(() => git.raw(['read-tree', '--empty']));
    const untracked = (await git.raw(['ls-files', '--others', '--exclude-standard', '-z'])).split('\0').filter(Boolean);
    for (let i = 0; i < untracked.length; i += 200) await git.raw(['add', '--intent-to-add', '--', ...untracked.slice(i, i + 200)]);
    const out = await git.raw(['diff', '--name-status', '--no-renames', '-z', tree]);
    const parts = out.split('\0').filter(Boolean);
    const files: ChangedFile[] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const s = parts[i]!.charAt(0);
      files.push({ path: parts[i + 1]!, status: s === 'A' ? 'A' : s === 'D' ? 'D' : 'M' });
    }
    return files;
  });
}

/** A file's content in the run's code; empty when the file did not exist then. */
export async function fileInTree(repo: string, tree: string, path: string): Promise<string> {
  try {
    return await simpleGit({ baseDir: repo }).show([`${tree}:${path}`]);
  } catch {
    return '';
  }
}

/**
 * Creates branch `branch` at the run's commit and applies its patch to the working tree, so
 * the user has the run's exact code checked out. Refuses when there are uncommitted changes.
 */
export async function checkoutRunCode(repo: string, snap: GitSnapshot | null, branch: string): Promise<void> {
  requireCommit(snap);
  const git = simpleGit({ baseDir: repo });
  const status = await git.status();
  if (!status.isClean()) {
    throw new LooplineError('INVALID_STATE', 'The working tree has uncommitted changes. Commit or stash them first, then check out the run\'s code.');
  }
  // git exits 1 with no output for a missing ref, which simple-git reports as success with ''.
  const exists = await git.raw(['rev-parse', '--verify', '-q', `refs/heads/${branch}`]).then((out) => out.trim() !== '', () => false);
  if (exists) throw new LooplineError('RESOURCE_ALREADY_EXISTS', `Branch '${branch}' already exists; delete it or choose another name.`);
  await git.raw(['checkout', '-q', '-b', branch, snap.commit]);
  if (snap.patch) {
    const dir = mkdtempSync(join(tmpdir(), 'loopline-patch-'));
    try {
      const patchFile = join(dir, 'run.patch');
      writeFileSync(patchFile, snap.patch);
      await git.raw(['apply', '--binary', '--whitespace=nowarn', patchFile]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
