import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

export function writeServerAdvert(storePath: string, advert: ServerAdvert): void {
  const file = serverFilePath(storePath);
  writeFileSync(file, JSON.stringify(advert), { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function removeServerAdvert(storePath: string, pid: number): void {
  const advert = readServerAdvert(storePath);
  if (advert && advert.pid === pid) rmSync(serverFilePath(storePath), { force: true });
}

export function readServerAdvert(storePath: string): ServerAdvert | undefined {
  try {
    const a = JSON.parse(readFileSync(serverFilePath(storePath), 'utf8')) as Partial<ServerAdvert>;
    if (typeof a.url === 'string' && typeof a.token === 'string' && typeof a.pid === 'number' && typeof a.port === 'number') {
      return a as ServerAdvert;
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
