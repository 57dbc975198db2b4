import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { createRequire } from 'node:module';
import { getPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import type { LooplineApi } from '../../../src/extension/extension.ts';
import { command, errorsDuring, looplineApi, repoRoot, workspaceStore } from './api.ts';

interface SqliteDb {
  exec(sql: string): void;
  close(): void;
}
type SqliteCtor = new (path: string, opts?: { timeout?: number }) => SqliteDb;

async function searchExperiments(url: string, token?: string): Promise<Response> {
  return fetch(`${url}/api/2.0/mlflow/experiments/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ max_results: 100 }),
  });
}

export function registerServerTests(): void {
  describe('Tracking server', () => {
    let api: LooplineApi;
    before(async () => {
      api = await looplineApi();
    });

    it('stops and starts from the commands; the controller reports the port', async () => {
      await command('loopline.stopTrackingServer');
      assert.deepEqual(api.services.servers.running(), []);
      const url = await command<string>('loopline.startTrackingServer');
      assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+$/, `errors: ${api.errors.join(' | ')}`);
      const running = api.services.servers.running();
      assert.equal(running.length, 1);
      assert.equal(running[0]!.url, url);
      assert.equal(url, `http://127.0.0.1:${running[0]!.port}`);
      assert.equal(running[0]!.ws.store.path, workspaceStore(api).store.path);
      // Starting again reuses the running server.
      assert.equal(await command<string>('loopline.startTrackingServer'), url);
      assert.equal(api.services.servers.running().length, 1);
    });

    it('runs in a process of its own at a lower priority, advertised in server.json (mode 0600) for reloaded windows and scripts', async () => {
      const url = await command<string>('loopline.startTrackingServer');
      const file = join(dirname(workspaceStore(api).store.path), 'server.json');
      const advert = JSON.parse(readFileSync(file, 'utf8')) as { url: string; pid: number };
      assert.equal(advert.url, url);
      assert.notEqual(advert.pid, process.pid, 'not the extension host');
      assert.match(readFileSync(`/proc/${advert.pid}/cmdline`, 'utf8'), /server\.cjs\0serve\0/);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.ok(readdirSync(join(dirname(file), 'server-users')).includes(String(process.pid)), 'this window is registered as a user');
      // At a lower priority than the editor: scripts logging at full speed must not starve it.
      assert.ok(getPriority(advert.pid) > getPriority(process.pid), `server niceness ${getPriority(advert.pid)}, extension host ${getPriority(process.pid)}`);
    });

    it('Copy Tracking URI copies the export lines; the token works against the MLflow API', async () => {
      const url = await command<string>('loopline.copyTrackingUri');
      const text = await vscode.env.clipboard.readText();
      const m = /^export MLFLOW_TRACKING_URI=(http:\/\/127\.0\.0\.1:\d+)\nexport MLFLOW_TRACKING_TOKEN=(\S+)\n$/.exec(text);
      assert.ok(m, `clipboard: ${JSON.stringify(text)}`);
      assert.equal(m[1], url);
      const ok = await searchExperiments(m[1]!, m[2]!);
      assert.equal(ok.status, 200);
      const body = (await ok.json()) as { experiments: Array<{ name: string }> };
      assert.ok(body.experiments.some((e) => e.name === 'iris-sweep'), JSON.stringify(body));
      const denied = await searchExperiments(m[1]!);
      assert.equal(denied.status, 401);
      await denied.body?.cancel();
    });
  });

  describe('Store locked by another process', () => {
    it('Add Tag fails with an error that says what to do, then works once the lock is released', async function () {
      this.timeout(30_000);
      const api = await looplineApi();
      const ws = workspaceStore(api);
      const { store } = ws;
      const exp = store.getExperimentByName('iris-sweep');
      const runId = store.searchRuns({ experimentIds: [exp.id], maxResults: 1 }).runs[0]!.info.id;
      const Database = createRequire(__filename)(join(repoRoot(), 'dist', 'native', 'better-sqlite3')) as SqliteCtor;
      const other = new Database(store.path, { timeout: 1000 });
      let errors: string[];
      try {
        other.exec('BEGIN EXCLUSIVE');
        errors = await errorsDuring(api, () => command('loopline.addTag', runId, undefined, 'locked=yes'));
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      assert.equal(errors.length, 1, 'one error reported');
      assert.notEqual(errors[0], 'database is locked', 'a raw SQLite message does not tell the user what to do');
      assert.match(errors[0]!, /locked by another process/);
      assert.match(errors[0]!, /try again|close/i);
      assert.equal(store.getRun(runId).tags.locked, undefined, 'nothing was written');
      assert.deepEqual(await errorsDuring(api, () => command('loopline.addTag', runId, undefined, 'locked=no')), []);
      assert.equal(store.getRun(runId).tags.locked, 'no');
      store.deleteTag(runId, 'locked');
    });
  });
}
