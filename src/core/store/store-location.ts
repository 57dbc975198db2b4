import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const STORE_DIR = '.loopline';
export const STORE_FILE = 'loopline.db';

/** The folder holding `.git`, searching upwards from `start`; undefined outside any repository. */
export function findGitRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Where the store lives: an explicit path (flag), then LOOPLINE_STORE, then `.loopline/loopline.db`
 * at the git root, or in the current folder outside git. A folder given as the path means the
 * default file inside it.
 */
export function resolveStorePath(opts: { explicit?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const chosen = opts.explicit || env.LOOPLINE_STORE;
  if (chosen) {
    const p = resolve(cwd, chosen);
    return existsSync(p) && statSync(p).isDirectory() ? join(p, STORE_FILE) : p;
  }
  return join(findGitRoot(cwd) ?? resolve(cwd), STORE_DIR, STORE_FILE);
}
