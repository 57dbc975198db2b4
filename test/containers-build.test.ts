// Images built from a Dockerfile as part of a run (progress streamed, build log kept), a failing
// build (the failing step's output shown, run FAILED with the reason), loopline.yaml's container
// section, and a remote engine over tcp:// with no bind mounts (code copied in, outputs copied out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../src/core/store/run-store.ts';
import { gitRepo, runCli } from './helpers/cli.ts';
import { containersWithLabel, testEngine } from './helpers/docker-engine.ts';
import { tempDir } from './helpers/temp-store.ts';

const { engine, skip } = testEngine();
const opts = { skip: skip ?? false, timeout: 180_000 };

function runs(dir: string) {
  const s = RunStore.open(join(dir, '.loopline', 'loopline.db'));
  try {
    return s.searchRuns({ experimentIds: ['0'] }).runs.map((r) => ({ run: s.getRun(r.info.id), artifacts: s.recordedArtifacts(r.info.id).map((a) => a.path).sort(), root: s.artifactsRoot }));
  } finally {
    s.close();
  }
}

test('--build DIR builds the image with build args, streams the build and keeps its log; a failing step fails the run with its output', opts, async () => {
  const t = tempDir();
  try {
    gitRepo(t.dir, {
      'image/Dockerfile': `ARG BASE_IMAGE=busybox:latest\nFROM \${BASE_IMAGE}\nARG GREETING=hi\nRUN echo "$GREETING from the build" > /greeting.txt\n`,
      'image/Failing.Dockerfile': `FROM ${engine!.busyboxImage}\nRUN echo preparing && echo "missing-dependency: libfoo" >&2 && exit 5\n`,
      '.gitignore': '.loopline/\n',
    });
    const ok = await runCli(
      ['run', '--container', '--build', 'image', '--build-arg', `BASE_IMAGE=${engine!.busyboxImage}`, '--build-arg', 'GREETING=hello', '--network', 'none', '--', 'cat', '/greeting.txt'],
      { cwd: t.dir, env: { DOCKER_HOST: engine!.dockerHost }, timeoutMs: 120_000 },
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /building image loopline-build\/image:latest/);
    assert.match(ok.stdout, /Step 1\/4 : ARG BASE_IMAGE/);
    assert.match(ok.stdout, /hello from the build/);
    const [built] = runs(t.dir);
    assert.equal(built!.run.info.status, 'FINISHED');
    assert.equal(built!.run.tags['loopline.container.image'], 'loopline-build/image:latest');
    assert.deepEqual(built!.artifacts, ['logs/build.log', 'logs/output.log']);
    assert.match(readFileSync(join(built!.root, built!.run.info.id, 'logs', 'build.log'), 'utf8'), /Step 4\/4 : RUN/);

    const bad = await runCli(['run', '--container', '--build', 'image', '--dockerfile', 'Failing.Dockerfile', '--name', 'bad-build', '--', 'true'], {
      cwd: t.dir,
      env: { DOCKER_HOST: engine!.dockerHost },
      timeoutMs: 120_000,
    });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /The image build failed: .*returned a non-zero code: 5/);
    assert.match(bad.stderr, /The failing step's output:\nStep 2\/2 : RUN[\s\S]*missing-dependency: libfoo/);
    assert.match(bad.stderr, /Fix the Dockerfile/);
    const failed = runs(t.dir).find((r) => r.run.info.name === 'bad-build')!;
    assert.equal(failed.run.info.status, 'FAILED');
    assert.match(failed.run.tags['loopline.statusReason'] ?? '', /^image build failed: .*non-zero code: 5/);
    assert.ok(failed.artifacts.includes('logs/build.log'));
  } finally {
    t.cleanup();
  }
});

test('loopline.yaml: `loopline run` with no command uses its command, params and container section', opts, async () => {
  const t = tempDir();
  try {
    gitRepo(t.dir, {
      'loopline.yaml': `command: [sh, -c, "echo lr=$LR seed=$SEED > /outputs/params.txt"]\nparams: {lr: 0.1}\ncontainer:\n  image: ${engine!.busyboxImage}\n  network: none\n  memory: 128m\n  env: {LR: "0.1", SEED: 7}\n`,
      '.gitignore': '.loopline/\n',
    });
    const r = await runCli(['run'], { cwd: t.dir, env: { DOCKER_HOST: engine!.dockerHost }, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const [only] = runs(t.dir);
    assert.equal(only!.run.params.lr, '0.1');
    assert.equal(only!.run.tags['loopline.container.memory'], '128m');
    assert.equal(readFileSync(join(only!.root, only!.run.info.id, 'params.txt'), 'utf8'), 'lr=0.1 seed=7\n');
    writeFileSync(join(t.dir, 'loopline.yaml'), 'container:\n  image: x\n  memroy: 4g\n');
    const bad = await runCli(['run', '--', 'true'], { cwd: t.dir });
    assert.equal(bad.code, 0, 'a command line that gives the command does not read loopline.yaml');
    const bad2 = await runCli(['run'], { cwd: t.dir });
    assert.notEqual(bad2.code, 0);
    assert.match(bad2.stderr, /loopline\.yaml: unknown container setting 'memroy'/);
  } finally {
    t.cleanup();
  }
});

/** A second listener for the engine on tcp://127.0.0.1:PORT (what a remote engine looks like). */
async function tcpEngine(socketPath: string): Promise<{ host: string; server: Server }> {
  const server = createServer((client) => {
    const upstream = createConnection(socketPath);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { host: `tcp://127.0.0.1:${port}`, server };
}

test('a remote engine over tcp:// (no bind mounts): the workspace is copied in, /outputs copied out, metrics imported', opts, async () => {
  const t = tempDir();
  const remote = await tcpEngine(engine!.dockerHost.replace(/^unix:\/\//, ''));
  try {
    gitRepo(t.dir, {
      'train.py': 'import os, loopline\nprint(open("data.txt").read().strip(), flush=True)\nwith loopline.start_run() as run:\n    for s in range(5): run.log_metric("loss", 1/(s+1), step=s)\nopen(os.environ["LOOPLINE_OUTPUT_DIR"] + "/model.bin", "w").write("w")\n',
      'data.txt': 'copied into the container\n',
      '.gitignore': '.loopline/\n',
    });
    mkdirSync(join(t.dir, 'sub'));
    const r = await runCli(['run', '--container', '--image', engine!.pythonImage, '--network', 'none', '--', 'python3', 'train.py'], { cwd: t.dir, env: { DOCKER_HOST: remote.host }, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /copied into the container/);
    const [only] = runs(t.dir);
    assert.equal(only!.run.tags['loopline.container.engine'], remote.host);
    assert.deepEqual(only!.artifacts, ['logs/output.log', 'model.bin']);
    assert.equal(only!.run.metrics.find((m) => m.key === 'loss')?.count, 5);
    assert.deepEqual(containersWithLabel(engine!, `loopline.run=${only!.run.info.id}`), []);
  } finally {
    remote.server.close();
    t.cleanup();
  }
});
