// Container runs against the real Docker engine (scripts/docker-setup.sh): exit codes and live
// logs, /outputs as artifacts, stop (SIGTERM, then SIGKILL after --stop-timeout), OOM, and the
// errors a user meets (engine unreachable, image missing); no container is left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../src/core/store/run-store.ts';
import { gitRepo, runCli } from './helpers/cli.ts';
import { CLI } from './helpers/paths.ts';
import { containersWithLabel, testEngine } from './helpers/docker-engine.ts';
import { tempDir } from './helpers/temp-store.ts';

const { engine, skip } = testEngine();
const opts = { skip: skip ?? false, timeout: 120_000 };

function openStoreIn(dir: string): RunStore {
  return RunStore.open(join(dir, '.loopline', 'loopline.db'));
}

function onlyRun(dir: string) {
  const store = openStoreIn(dir);
  try {
    const runs = store.searchRuns({ experimentIds: ['0'] }).runs;
    assert.equal(runs.length, 1);
    return { run: store.getRun(runs[0]!.info.id), artifacts: store.recordedArtifacts(runs[0]!.info.id), artifactsRoot: store.artifactsRoot, storePath: store.path };
  } finally {
    store.close();
  }
}

/** Starts the CLI and resolves when `text` shows up in its output (stdout or stderr). */
function startCli(args: string[], cwd: string, env: Record<string, string>) {
  const child = spawn(CLI, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: Array<[string, () => void]> = [];
  const take = (c: Buffer) => {
    out += c;
    for (const w of waiters.filter(([t]) => out.includes(t))) w[1]();
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const done = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return {
    child,
    out: () => out,
    done,
    waitFor: (text: string) => new Promise<void>((resolve) => (out.includes(text) ? resolve() : waiters.push([text, resolve]))),
  };
}

test('a container run streams its output live, records the exit code and tags, keeps /outputs as artifacts, and removes the container', opts, async () => {
  const t = tempDir();
  try {
    gitRepo(t.dir, { 'data.txt': 'from the workspace\n', '.gitignore': '.loopline/\n' });
    const script = [
      'echo first line',
      'cat data.txt',
      'touch /workspace/new 2>/dev/null && echo workspace-writable || echo workspace-read-only',
      'echo model > $LOOPLINE_OUTPUT_DIR/model.txt',
      'mkdir -p /outputs/sub && echo nested > /outputs/sub/a.txt',
      'ln -s /etc/passwd /outputs/link',
      'sleep 2',
      'echo to-stderr >&2',
      'exit 3',
    ].join('; ');
    const cli = startCli(['run', '--container', '--image', engine!.busyboxImage, '--network', 'none', '--memory', '64m', '--cpus', '1', '--', 'sh', '-c', script], t.dir, { DOCKER_HOST: engine!.dockerHost });
    await cli.waitFor('first line');
    // Live: the first line is there while the container still runs (it sleeps 2 s before exiting).
    assert.doesNotMatch(cli.out(), /FAILED/);
    const code = await cli.done;
    assert.equal(code, 3, cli.out());
    assert.match(cli.out(), /from the workspace/);
    assert.match(cli.out(), /workspace-read-only/);
    assert.match(cli.out(), /to-stderr/);
    const { run, artifacts, artifactsRoot, storePath } = onlyRun(t.dir);
    assert.equal(run.info.status, 'FAILED');
    assert.equal(run.info.exitCode, 3);
    assert.equal(run.tags['loopline.container.exitCode'], '3');
    assert.equal(run.tags['loopline.container.oomKilled'], 'false');
    assert.equal(run.tags['loopline.container.image'], engine!.busyboxImage);
    assert.match(run.tags['loopline.container.imageId'] ?? '', /^sha256:/);
    assert.match(run.tags['loopline.container.id'] ?? '', /^[0-9a-f]{64}$/);
    assert.equal(run.tags['loopline.container.memory'], '64m');
    assert.equal(run.tags['loopline.container.cpus'], '1');
    assert.equal(run.tags['loopline.statusReason'], 'exited with code 3');
    const paths = artifacts.map((a) => a.path).sort();
    assert.deepEqual(paths, ['logs/output.log', 'model.txt', 'sub/a.txt']);
    assert.equal(readFileSync(join(artifactsRoot, run.info.id, 'model.txt'), 'utf8'), 'model\n');
    assert.match(readFileSync(join(artifactsRoot, run.info.id, 'logs', 'output.log'), 'utf8'), /first line[\s\S]*to-stderr/);
    assert.match(cli.out(), /not a regular file/);
    assert.deepEqual(containersWithLabel(engine!, `loopline.store=${storePath}`), []);
    const show = await runCli(['show', run.info.id, '--json'], { cwd: t.dir });
    assert.equal(JSON.parse(show.stdout).tags['loopline.container.exitCode'], '3');
  } finally {
    t.cleanup();
  }
});

test('Ctrl-C stops the container with SIGTERM (KILLED, stopped by the user); a script ignoring it is killed after --stop-timeout', opts, async () => {
  const t = tempDir();
  try {
    gitRepo(t.dir, { '.gitignore': '.loopline/\n' });
    const polite = startCli(['run', '--container', '--image', engine!.busyboxImage, '--network', 'none', '--', 'sh', '-c', 'trap "echo got SIGTERM; exit 0" TERM; echo ready; while true; do sleep 0.1; done'], t.dir, { DOCKER_HOST: engine!.dockerHost });
    await polite.waitFor('ready');
    polite.child.kill('SIGINT');
    await polite.done;
    assert.match(polite.out(), /got SIGTERM/);
    let { run, storePath } = onlyRun(t.dir);
    assert.equal(run.info.status, 'KILLED');
    assert.equal(run.tags['loopline.statusReason'], 'stopped by the user');
    assert.deepEqual(containersWithLabel(engine!, `loopline.store=${storePath}`), []);

    const t2 = tempDir();
    try {
      gitRepo(t2.dir, { '.gitignore': '.loopline/\n' });
      const stubborn = startCli(['run', '--container', '--image', engine!.busyboxImage, '--network', 'none', '--stop-timeout', '1', '--', 'sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 0.1; done'], t2.dir, { DOCKER_HOST: engine!.dockerHost });
      await stubborn.waitFor('ready');
      const t0 = Date.now();
      stubborn.child.kill('SIGINT');
      await stubborn.done;
      const took = Date.now() - t0;
      assert.ok(took >= 900, `killed after the 1 s stop timeout, not before (${took} ms)`);
      ({ run, storePath } = onlyRun(t2.dir));
    } finally {
      t2.cleanup();
    }
    assert.equal(run.info.status, 'KILLED');
    assert.equal(run.tags['loopline.container.exitCode'], '137');
    assert.deepEqual(containersWithLabel(engine!, `loopline.store=${storePath}`), []);
  } finally {
    t.cleanup();
  }
});

test('out of memory under --memory ends FAILED with the reason and the limit', opts, async () => {
  const t = tempDir();
  try {
    gitRepo(t.dir, { '.gitignore': '.loopline/\n' });
    const r = await runCli(['run', '--container', '--image', engine!.pythonImage, '--network', 'none', '--memory', '64m', '--', 'python3', '-c', 'x = bytearray(400 * 1024 * 1024); print("survived")'], { cwd: t.dir, env: { DOCKER_HOST: engine!.dockerHost }, timeoutMs: 60_000 });
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout, /survived/);
    assert.match(r.stderr, /out of memory \(limit 64 MiB\)/);
    const { run } = onlyRun(t.dir);
    assert.equal(run.info.status, 'FAILED');
    assert.equal(run.tags['loopline.container.oomKilled'], 'true');
    assert.equal(run.tags['loopline.container.exitCode'], '137');
    assert.equal(run.tags['loopline.statusReason'], 'out of memory (limit 64 MiB)');
  } finally {
    t.cleanup();
  }
});

test('errors say what to do: engine unreachable, image missing, bad options', opts, async () => {
  const t = tempDir();
  try {
    gitRepo(t.dir, { Dockerfile: 'FROM scratch\n', '.gitignore': '.loopline/\n' });
    const down = await runCli(['run', '--container', '--image', engine!.busyboxImage, '--', 'true'], { cwd: t.dir, env: { DOCKER_HOST: `unix://${join(t.dir, 'no-engine.sock')}` } });
    assert.notEqual(down.code, 0);
    assert.match(down.stderr, /No Docker engine answers at unix:\/\/.*no-engine\.sock: start one \(.*npm run docker:setup.*\) or set DOCKER_HOST/);
    const downStore = openStoreIn(t.dir);
    try {
      const [r] = downStore.searchRuns({ experimentIds: ['0'] }).runs;
      assert.match(downStore.getRun(r!.info.id).tags['loopline.statusReason'] ?? '', /^No Docker engine answers at unix:\/\/.*no-engine\.sock$/);
    } finally {
      downStore.close();
    }
    const missing = await runCli(['run', '--container', '--image', 'loopline/not-there:1', '--', 'true'], { cwd: t.dir, env: { DOCKER_HOST: engine!.dockerHost } });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Image 'loopline\/not-there:1' is not on the Docker engine/);
    assert.match(missing.stderr, /This workspace has a Dockerfile: build it with --build \./);
    const store = openStoreIn(t.dir);
    try {
      const reasons = store.searchRuns({ experimentIds: ['0'] }).runs.map((r) => store.getRun(r.info.id).tags['loopline.statusReason']);
      assert.ok(reasons.includes("image 'loopline/not-there:1' not found"), JSON.stringify(reasons));
    } finally {
      store.close();
    }
    const noImage = await runCli(['run', '--container', '--', 'true'], { cwd: t.dir });
    assert.match(noImage.stderr, /needs --image IMAGE .* or --build DIR/);
    const badMem = await runCli(['run', '--container', '--image', 'x', '--memory', 'lots', '--', 'true'], { cwd: t.dir });
    assert.match(badMem.stderr, /--memory takes a size such as 512m or 4g, got 'lots'/);
    const stray = await runCli(['run', '--memory', '4g', '--', 'true'], { cwd: t.dir });
    assert.match(stray.stderr, /--memory only applies to container runs: add --container/);
    // This engine has no NVIDIA runtime (as on most machines): a GPU request says so before starting.
    const gpus = await runCli(['run', '--container', '--image', engine!.busyboxImage, '--gpus', 'all', '--', 'true'], { cwd: t.dir, env: { DOCKER_HOST: engine!.dockerHost } });
    assert.notEqual(gpus.code, 0);
    assert.match(gpus.stderr, /GPUs were requested \(--gpus all\) but the Docker engine at .* has no GPU runtime: install the NVIDIA Container Toolkit/);
    const cmd = await runCli(['run', '--container', '--image', engine!.busyboxImage, '--', 'no-such-program'], { cwd: t.dir, env: { DOCKER_HOST: engine!.dockerHost } });
    assert.match(cmd.stderr, /Command 'no-such-program' was not found in image/);
  } finally {
    t.cleanup();
  }
});

test('dockerode is not in the extension or CLI bundles: it loads from dist/docker-engine.cjs on the first container operation', () => {
  const dist = join(import.meta.dirname, '..', 'dist');
  for (const bundle of ['extension.cjs', 'cli.js']) {
    const text = readFileSync(join(dist, bundle), 'utf8');
    assert.doesNotMatch(text, /docker-modem|demuxStream/, `${bundle} must not bundle dockerode`);
    assert.match(text, /docker-engine\.cjs/);
  }
  assert.match(readFileSync(join(dist, 'docker-engine.cjs'), 'utf8'), /demuxStream/);
});
