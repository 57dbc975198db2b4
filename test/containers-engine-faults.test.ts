// The engine failures a user meets that need more than a running engine: the Docker engine being
// stopped (restarted) in the middle of a run, on a dockerd of this test's own; and a DOCKER_HOST
// socket the user may not use, or that is no socket at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { RunStore } from '../src/core/store/run-store.ts';
import { gitRepo, runCli } from './helpers/cli.ts';
import { CLI } from './helpers/paths.ts';
import { containersWithLabel, startPrivateEngine, testEngine } from './helpers/docker-engine.ts';
import { tempDir } from './helpers/temp-store.ts';

const { engine, skip } = testEngine();

function onlyRun(dir: string) {
  const store = RunStore.open(join(dir, '.loopline', 'loopline.db'));
  try {
    const runs = store.searchRuns({ experimentIds: ['0'] }).runs;
    assert.equal(runs.length, 1);
    const run = store.getRun(runs[0]!.info.id);
    return { run, log: readFileSync(join(store.artifactsRoot, run.info.id, 'logs', 'output.log'), 'utf8'), storePath: store.path };
  } finally {
    store.close();
  }
}

test('the Docker engine stopped mid-run: the run ends FAILED with that reason, keeps what was logged, and reattach after the restart leaves nothing behind', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const t = tempDir();
  const own = await startPrivateEngine(engine!);
  try {
    gitRepo(t.dir, { '.gitignore': '.loopline/\n' });
    // A metric through the spool (no network), a line of output, then work until stopped.
    const metric = `{"v":1,"op":"log-batch","run_id":"$LOOPLINE_RUN_ID","metrics":[{"key":"loss","value":0.25,"timestamp":1,"step":0}]}`;
    const script = `trap 'exit 143' TERM; echo '${metric}' | sed "s/\\$LOOPLINE_RUN_ID/$LOOPLINE_RUN_ID/" >> $LOOPLINE_SPOOL_DIR/sh.jsonl; echo first; while true; do sleep 0.2; done`;
    const child = spawn(CLI, ['run', '--container', '--image', engine!.busyboxImage, '--network', 'none', '--', 'sh', '-c', script], { cwd: t.dir, env: { ...process.env, DOCKER_HOST: own.dockerHost }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const done = new Promise<number | null>((r) => child.on('close', r));
    for (let i = 0; i < 300 && !out.includes('first'); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /first/);
    await new Promise((r) => setTimeout(r, 600)); // the spool tailer reads every 250 ms
    await own.stop();
    const code = await done;
    assert.notEqual(code, 0, out);
    assert.match(out, /Docker engine stopped during the run/);
    const { run, log, storePath } = onlyRun(t.dir);
    assert.equal(run.info.status, 'FAILED');
    assert.equal(run.tags['loopline.statusReason'], 'Docker engine stopped during the run');
    assert.equal(run.metrics.find((m) => m.key === 'loss')?.last, 0.25, 'the metric logged before the stop is kept');
    assert.match(log, /first/);

    // After the restart, reattach finds nothing left to follow and no container of the run stays.
    await own.start();
    const r = await runCli(['runs', 'reattach'], { cwd: t.dir, env: { DOCKER_HOST: own.dockerHost } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /no running container runs/);
    assert.deepEqual(containersWithLabel({ ...engine!, dockerHost: own.dockerHost }, `loopline.store=${storePath}`), []);
  } finally {
    await own.dispose();
    t.cleanup();
  }
});

test('a DOCKER_HOST socket this user may not use, or a path that is no socket, says so and what to do', { timeout: 60_000 }, async (ctx) => {
  const t = tempDir();
  chmodSync(t.dir, 0o755);
  // A real socket owned by root with mode 660, used by an unprivileged user (root could open any socket).
  const sock = join(t.dir, 'docker.sock');
  const server = createServer((c) => c.destroy());
  await new Promise<void>((r) => server.listen(sock, r));
  chmodSync(sock, 0o660);
  try {
    const ws = join(t.dir, 'ws');
    mkdirSync(ws);
    gitRepo(ws, { '.gitignore': '.loopline/\n' });
    spawnSync('chown', ['-R', '65534:65534', ws]);
    const asNobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', CLI, 'run', '--container', '--image', 'any:image', '--network', 'none', '--', 'true'], {
      cwd: ws,
      env: { ...process.env, HOME: ws, DOCKER_HOST: `unix://${sock}` },
      encoding: 'utf8',
    });
    if (process.getuid?.() !== 0 || asNobody.error) {
      ctx.diagnostic('permission check left out: it needs root to run the CLI as another user (setpriv)');
    } else {
      assert.notEqual(asNobody.status, 0);
      assert.match(asNobody.stderr, /Permission denied on the Docker socket unix:\/\/.*docker\.sock \(owner uid 0, group root, mode 660; this process runs as uid 65534\): add your user to the group that owns it/);
      assert.match(asNobody.stderr, /set DOCKER_HOST to an engine you may use/);
    }

    const notSocket = join(t.dir, 'not-a-socket');
    writeFileSync(notSocket, '');
    const ws2 = join(t.dir, 'ws2');
    gitRepo(ws2, { '.gitignore': '.loopline/\n' });
    const r = await runCli(['run', '--container', '--image', 'any:image', '--network', 'none', '--', 'true'], { cwd: ws2, env: { DOCKER_HOST: `unix://${notSocket}` } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /not-a-socket is not a Docker socket \(it is a regular file\): set DOCKER_HOST to the engine's socket/);
    const { run } = onlyRun(ws2);
    assert.equal(run.info.status, 'FAILED');
    assert.match(run.tags['loopline.statusReason'] ?? '', /not a Docker socket/);
  } finally {
    server.close();
    t.cleanup();
  }
});
