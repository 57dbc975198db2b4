import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../src/core/store/run-store.ts';
import { TrackingServer } from '../../src/core/tracking/tracking-server.ts';

/** A fresh folder under the OS temp dir, removed by `cleanup`. */
export function tempDir(prefix = 'loopline-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real SQLite store in a temp folder. */
export function tempStore(): { store: RunStore; dir: string; dbPath: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir();
  const dbPath = join(dir, '.loopline', 'loopline.db');
  const store = RunStore.open(dbPath);
  return {
    store,
    dir,
    dbPath,
    cleanup: () => {
      store.close();
      cleanup();
    },
  };
}

/** A real tracking server on 127.0.0.1 over a temp store, plus a small JSON client for it. */
export async function tempServer(token = 'test-token') {
  const t = tempStore();
  const server = await TrackingServer.start({ store: t.store, token });
  const api = async (route: string, body?: unknown, init: { method?: string; headers?: Record<string, string> } = {}) => {
    const method = init.method ?? (body === undefined ? 'GET' : 'POST');
    const res = await fetch(`${server.url}/api/2.0/mlflow/${route}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  };
  return {
    ...t,
    server,
    api,
    cleanup: async () => {
      await server.close();
      t.cleanup();
    },
  };
}
