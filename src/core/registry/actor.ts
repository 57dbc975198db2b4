import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';

function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim() || null;
  } catch {
    return null;
  }
}

/** Who acts, for lineage and the audit log: the git user of the project, else the OS user. */
export function currentActor(cwd: string): string {
  const name = git(cwd, ['config', 'user.name']);
  const email = git(cwd, ['config', 'user.email']);
  if (name) return email ? `${name} <${email}>` : name;
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** The project's HEAD commit when an action happens; null outside git or before the first commit. */
export function headCommit(cwd: string): string | null {
  return git(cwd, ['rev-parse', '--verify', '-q', 'HEAD']);
}
