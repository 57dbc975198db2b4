// A script run directly (`python3 train.py`, no launcher, no environment) while Loopline serves the
// workspace logs live to that server, found through .loopline/server.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TrackingServer } from '../src/core/tracking/tracking-server.ts';
import { removeServerAdvert, serverFilePath, writeServerAdvert } from '../src/core/tracking/server-file.ts';
import { PYTHON_CLIENT_DIR } from './helpers/paths.ts';
import { tempStore } from './helpers/temp-store.ts';

const TRAIN = `
import loopline
with loopline.start_run(params={"lr": "0.1"}, name="direct") as run:
    for step in range(50):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
print("run", run.run_id)
`;

/** python3 as a user runs it: no LOOPLINE_* / MLFLOW_* variables, the client importable. */
async function python(cwd: string, script: string) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('LOOPLINE_') || k.startsWith('MLFLOW_')) delete env[k];
  Object.assign(env, { PYTHONPATH: PYTHON_CLIENT_DIR, PYTHONDONTWRITEBYTECODE: '1', LOOPLINE_RETRY_SECONDS: '1' });
  const t0 = Date.now();
  const { stdout, stderr } = await promisify(execFile)('python3', [script], { cwd, env, timeout: 60_000 });
  return { stdout, stderr, ms: Date.now() - t0 };
}

function workspace() {
  const t = tempStore();
  const src = join(t.dir, 'src', 'models');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'train.py'), TRAIN);
  return { ...t, src };
}

test('python3 train.py in a subfolder logs live to the server Loopline runs for the workspace (token from server.json, mode 0600)', async (t) => {
  const w = workspace();
  const server = await TrackingServer.start({ store: w.store });
  t.after(async () => {
    removeServerAdvert(w.store.path, process.pid);
    await server.close();
    w.cleanup();
  });
  writeServerAdvert(w.store.path, { url: server.url, port: server.port, token: server.token, pid: process.pid, store: w.store.path });
  assert.equal(statSync(serverFilePath(w.store.path)).mode & 0o777, 0o600, 'server.json is readable only by its owner');

  const r = await python(w.src, 'train.py');
  const runId = /run ([0-9a-f]{32})/.exec(r.stdout)?.[1];
  assert.ok(runId, r.stdout + r.stderr);
  assert.match(r.stderr, /logging live to the Loopline tracking server at http:\/\/127\.0\.0\.1:\d+ \(found in .*\.loopline\/server\.json\)/);
  assert.doesNotMatch(r.stderr, /offline|spool/i);
  assert.doesNotMatch(r.stderr, new RegExp(server.token), 'the token is never printed');
  const run = w.store.getRun(runId);
  assert.equal(run.info.status, 'FINISHED');
  assert.equal(run.info.name, 'direct');
  assert.equal(run.params.lr, '0.1');
  assert.equal(run.metrics.find((m) => m.key === 'loss')?.count, 50);
  const spool = join(w.dir, '.loopline', 'spool');
  assert.ok(!existsSync(spool) || readdirSync(spool).length === 0, 'nothing went to a spool');
});

test('a server.json others can read, or one left by a dead server, is not used: the script logs offline at once', async (t) => {
  const w = workspace();
  const server = await TrackingServer.start({ store: w.store });
  t.after(async () => {
    await server.close();
    w.cleanup();
  });
  writeServerAdvert(w.store.path, { url: server.url, port: server.port, token: server.token, pid: process.pid, store: w.store.path });
  chmodSync(serverFilePath(w.store.path), 0o644);
  const open = await python(w.src, 'train.py');
  assert.match(open.stderr, /ignoring .*server\.json: it must belong to you and be readable only by you \(chmod 600/);
  assert.match(open.stderr, /offline/);
  assert.equal(w.store.searchRuns({ experimentIds: ['0'] }).runs.length, 0, 'nothing was sent to a server the file named');

  // A stale file: its process is gone.
  writeServerAdvert(w.store.path, { url: server.url, port: server.port, token: server.token, pid: 2 ** 22 + 12345, store: w.store.path });
  const stale = await python(w.src, 'train.py');
  assert.match(stale.stderr, /no tracking server configured .*loopline serve/);
  assert.ok(stale.ms < 5000, `no waiting on a dead server (${stale.ms} ms)`);
  assert.equal(w.store.searchRuns({ experimentIds: ['0'] }).runs.length, 0);
});
