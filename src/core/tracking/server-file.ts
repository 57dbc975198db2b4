import { lstatSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * `loopline serve` advertises itself in `server.json` beside the store (mode 0600: it holds the
 * token) so `loopline run` and the extension reuse it instead of starting another server.
 */
export interface ServerAdvert {
  url: string;
  port: number;
  token: string;
  pid: number;
  store: string;
}

export function serverFilePath(storePath: string): string {
  return join(dirname(storePath), 'server.json');
}

/** Written to a private temp file and renamed, so a reader never sees half a file or a wider mode. */
export function writeServerAdvert(storePath: string, advert: ServerAdvert): void {
  const file = serverFilePath(storePath);
  const tmp = `${file}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, JSON.stringify(advert), { mode: 0o600, flag: 'wx' });
  renameSync(tmp, file);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Why an advert must not be trusted, or undefined when it can be: the same rules as the Python
 * client's. Another local user could otherwise plant a server.json that sends our runs (and the
 * token we would present) to a server of theirs.
 */
export function untrustedAdvert(file: string, a: ServerAdvert): string | undefined {
  const st = lstatSync(file);
  if (!st.isFile()) return 'not a regular file';
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return 'owned by another user';
  if (st.mode & 0o077) return 'readable by other users';
  let url: URL;
  try {
    url = new URL(a.url);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname)) return 'not a loopback address';
  if (Number(url.port) !== a.port) return 'port and URL disagree';
  return undefined;
}

export function removeServerAdvert(storePath: string, pid: number): void {
  const advert = readServerAdvert(storePath);
  if (advert && advert.pid === pid) rmSync(serverFilePath(storePath), { force: true });
}

export function readServerAdvert(storePath: string): ServerAdvert | undefined {
  const file = serverFilePath(storePath);
  try {
    const a = JSON.parse(readFileSync(file, 'utf8')) as Partial<ServerAdvert>;
    if (typeof a.url === 'string' && typeof a.token === 'string' && typeof a.pid === 'number' && typeof a.port === 'number') {
      return untrustedAdvert(file, a as ServerAdvert) ? undefined : (a as ServerAdvert);
    }
  } catch {
    // missing or unreadable: no server advertised
  }
  return undefined;
}

/** The advertised server if its process is alive and it answers with our token. */
export async function findLiveServer(storePath: string): Promise<ServerAdvert | undefined> {
  const a = readServerAdvert(storePath);
  if (!a || a.store !== storePath) return undefined;
  try {
    process.kill(a.pid, 0);
  } catch {
    return undefined;
  }
  try {
    const res = await fetch(`${a.url}/api/2.0/mlflow/experiments/get?experiment_id=0`, {
      headers: { Authorization: `Bearer ${a.token}` },
      signal: AbortSignal.timeout(1500),
    });
    return res.ok ? a : undefined;
  } catch {
    return undefined;
  }
}
