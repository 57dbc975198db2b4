import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join, relative, isAbsolute, resolve } from 'node:path';

/**
 * How to call this CLI again from where the user is, for hints such as "see it with: … show ID":
 * `loopline` when that name on PATH is this CLI, `npx loopline` inside the Loopline checkout (npm
 * finds its own bin there), else the full path of the launcher.
 */
export function cliInvocation(opts: { cliJs?: string; pathEnv?: string; cwd?: string } = {}): string {
  const cliJs = opts.cliJs ?? process.argv[1];
  if (!cliJs) return 'loopline';
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  };
  // The bundle may not be built yet (a source checkout): its intended place still names the root.
  const cliPath = real(cliJs) ?? resolve(cliJs);
  const root = dirname(dirname(cliPath));
  for (const dir of (opts.pathEnv ?? process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'loopline');
    if (!existsSync(candidate)) continue;
    // The first `loopline` on PATH is the one a shell runs: is it this one (a symlink to our
    // launcher, as npm install -g makes, or the shim of Install 'loopline' Command in PATH)?
    const target = real(candidate);
    if (target === real(join(root, 'bin', 'loopline'))) return 'loopline';
    try {
      if (readFileSync(candidate, 'utf8').includes(cliPath)) return 'loopline';
    } catch {
      // not readable: not ours
    }
    break;
  }
  const rel = relative(root, opts.cwd ?? process.cwd());
  if (existsSync(join(root, 'package.json')) && !rel.startsWith('..') && !isAbsolute(rel)) return 'npx loopline';
  const launcher = join(root, 'bin', 'loopline');
  return existsSync(launcher) ? (/^[\w@%+=:,./-]+$/.test(launcher) ? launcher : `'${launcher}'`) : 'loopline';
}
