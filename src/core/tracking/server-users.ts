import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The windows that use a tracking server started for them: one empty file per process id in
 * `server-users/` beside the store. A server started with `--stop-when-unused` exits once none of
 * these processes is alive, so it stops with the last window that uses it, and a window that
 * crashed or reloaded stops counting by itself.
 */
function usersDir(storePath: string): string {
  return join(dirname(storePath), 'server-users');
}

export function registerServerUser(storePath: string, pid: number): void {
  mkdirSync(usersDir(storePath), { recursive: true });
  writeFileSync(join(usersDir(storePath), String(pid)), '');
}

export function unregisterServerUser(storePath: string, pid: number): void {
  rmSync(join(usersDir(storePath), String(pid)), { force: true });
}

/** Process ids of users still alive; files of dead ones are removed. */
export function liveServerUsers(storePath: string): number[] {
  let names: string[];
  try {
    names = readdirSync(usersDir(storePath));
  } catch {
    return [];
  }
  const alive: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isSafeInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, 0);
      alive.push(pid);
    } catch (err) {
      // EPERM: alive but another user's process; ESRCH: gone.
      if ((err as NodeJS.ErrnoException).code === 'EPERM') alive.push(pid);
      else rmSync(join(usersDir(storePath), name), { force: true });
    }
  }
  return alive;
}
