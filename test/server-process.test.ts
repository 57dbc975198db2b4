// The extension's tracking server as its own process (dist/server.cjs, what the extension spawns
// with VS Code's Node and ELECTRON_RUN_AS_NODE=1): found again through server.json, and stopped
// with the last window that uses it. Windows are stood in for by real processes whose ids register.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findLiveServer, serverFilePath } from '../src/core/tracking/server-file.ts';
import { liveServerUsers, registerServerUser } from '../src/core/tracking/server-users.ts';
import { REPO_ROOT } from './helpers/paths.ts';
import { tempDir } from './helpers/temp-store.ts';

const SCRIPT = join(REPO_ROOT, 'dist', 'server.cjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A process standing in for a VS Code window (its extension host). */
function fakeWindow(): ChildProcess {
  return spawn('sleep', ['60'], { stdio: 'ignore' });
}

function startServer(storePath: string): { child: ChildProcess; exited: Promise<number | null>; url: Promise<string> } {
  const child = spawn(process.execPath, [SCRIPT, 'serve', '--store', storePath, '--stop-when-unused'], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', LOOPLINE_SERVER_UNUSED_GRACE_MS: '1500' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /MLFLOW_TRACKING_URI=(\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error('server exited before it started')));
  });
  return { child, exited, url };
}

test('the bundled server process advertises itself (0600) and is found again; it stops with the last window that uses it', { skip: !existsSync(SCRIPT) && 'run npm run build first' }, async (t) => {
  const { dir, cleanup } = tempDir();
  const storePath = join(dir, '.loopline', 'loopline.db');
  const w1 = fakeWindow();
  const w2 = fakeWindow();
  const s = startServer(storePath);
  t.after(() => {
    for (const p of [w1, w2, s.child]) p.kill('SIGKILL');
    cleanup();
  });
  registerServerUser(storePath, w1.pid!);
  const url = await s.url;
  assert.equal(statSync(serverFilePath(storePath)).mode & 0o777, 0o600);
  // A reloaded window (or another one) finds it through server.json and uses it too.
  const found = await findLiveServer(storePath);
  assert.equal(found?.url, url);
  assert.equal(found?.pid, s.child.pid);
  registerServerUser(storePath, w2.pid!);
  const res = await fetch(`${url}/api/2.0/mlflow/experiments/search`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${found!.token}`, 'Content-Type': 'application/json' },
    body: '{}',
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();

  // The first window goes away: the second still uses it.
  w1.kill('SIGKILL');
  await sleep(3000);
  assert.equal(s.child.exitCode, null, 'still running while a window uses it');
  assert.deepEqual(liveServerUsers(storePath), [w2.pid]);
  // The last one goes: the server stops and removes its advert.
  w2.kill('SIGKILL');
  const code = await Promise.race([s.exited, sleep(10_000).then(() => 'timeout' as const)]);
  assert.equal(code, 0);
  assert.equal(existsSync(serverFilePath(storePath)), false, 'server.json removed');
  assert.equal(await findLiveServer(storePath), undefined);
});
