// Which engine: the current docker context (config.json + contexts/meta, as the docker CLI reads
// them) when DOCKER_HOST is not set, and an ssh:// engine, reached over a real SSH connection to a
// test SSH server on 127.0.0.1 that runs `docker system dial-stdio` against the test engine (as
// sshd does on a remote host); ssh engines are remote for Loopline: code copied in, outputs out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { RunStore } from '../src/core/store/run-store.ts';
import { gitRepo, runCli } from './helpers/cli.ts';
import { testEngine } from './helpers/docker-engine.ts';
import { CLI } from './helpers/paths.ts';
import { tempDir } from './helpers/temp-store.ts';

const { engine, skip } = testEngine();
const opts = { skip: skip ?? false, timeout: 120_000 };

function onlyRun(dir: string) {
  const store = RunStore.open(join(dir, '.loopline', 'loopline.db'));
  try {
    const [r] = store.searchRuns({ experimentIds: ['0'] }).runs;
    return { run: store.getRun(r!.info.id), artifacts: store.recordedArtifacts(r!.info.id).map((a) => a.path) };
  } finally {
    store.close();
  }
}

/** A docker config folder whose current context (or DOCKER_CONTEXT) points at `host`. */
function dockerConfig(dir: string, name: string, host: string, current = name): string {
  const config = join(dir, 'docker-config');
  const meta = join(config, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
  mkdirSync(meta, { recursive: true });
  writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: {}, currentContext: current }));
  writeFileSync(join(meta, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
  return config;
}

test('with no DOCKER_HOST the current docker context picks the engine; an unknown context says what to do', opts, async () => {
  const t = tempDir();
  try {
    gitRepo(t.dir, { '.gitignore': '.loopline/\n' });
    const config = dockerConfig(t.dir, 'loopline-test', engine!.dockerHost);
    const env = { DOCKER_HOST: '', DOCKER_CONFIG: config };
    const r = await runCli(['run', '--container', '--image', engine!.busyboxImage, '--network', 'none', '--', 'echo', 'via-context'], { cwd: t.dir, env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /via-context/);
    assert.equal(onlyRun(t.dir).run.tags['loopline.container.engine'], engine!.dockerHost);

    const missing = await runCli(['run', '--container', '--image', engine!.busyboxImage, '--', 'true'], { cwd: t.dir, env: { ...env, DOCKER_CONTEXT: 'nowhere' } });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /The docker context 'nowhere' \(DOCKER_CONTEXT\) does not exist .*: choose one with docker context use NAME/);
  } finally {
    t.cleanup();
  }
});

test('an ssh:// engine: a real SSH login with the user key, the run copied in and its outputs copied out', opts, async () => {
  const t = tempDir();
  const user = ssh2.utils.generateKeyPairSync('ed25519');
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
  const allowed = ssh2.utils.parseKey(user.public);
  if (allowed instanceof Error) throw allowed;
  const children = new Set<ReturnType<typeof spawn>>();
  let logins = 0;
  const server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('authentication', (ctx) => {
      const ok =
        ctx.method === 'publickey' &&
        ctx.username === 'trainer' &&
        ctx.key.algo === allowed.type &&
        ctx.key.data.length === allowed.getPublicSSH().length &&
        timingSafeEqual(ctx.key.data, allowed.getPublicSSH()) &&
        (!ctx.signature || allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true);
      if (ok) {
        if (ctx.signature) logins++;
        ctx.accept();
      } else ctx.reject(['publickey']);
    });
    client.on('ready', () =>
      client.on('session', (accept) =>
        accept().on('exec', (acceptExec, reject, info) => {
          if (info.command !== 'docker system dial-stdio') return reject();
          const stream = acceptExec();
          const child = spawn('/usr/bin/docker', ['system', 'dial-stdio'], { env: { ...process.env, DOCKER_HOST: engine!.dockerHost }, stdio: ['pipe', 'pipe', 'ignore'] });
          children.add(child);
          stream.pipe(child.stdin);
          child.stdout.pipe(stream);
          child.on('close', (code) => {
            children.delete(child);
            stream.exit(code ?? 0);
            stream.end();
          });
        }),
      ),
    );
    client.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const home = join(t.dir, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    writeFileSync(join(home, '.ssh', 'id_ed25519'), user.private, { mode: 0o600 });
    const ws = join(t.dir, 'ws');
    gitRepo(ws, { 'data.txt': 'from the workspace\n', '.gitignore': '.loopline/\n' });
    const host = `ssh://trainer@127.0.0.1:${port}`;
    // A metric through the spool, then a few seconds of work: it must arrive while the run runs.
    const metric = `{"v":1,"op":"log-batch","run_id":"RUN","metrics":[{"key":"loss","value":0.5,"timestamp":1,"step":0}]}`;
    const script = `cat data.txt; echo '${metric}' | sed "s/RUN/$LOOPLINE_RUN_ID/" > $LOOPLINE_SPOOL_DIR/sh.jsonl; echo logged; sleep 6; echo kept > /outputs/result.txt`;
    const child = spawn(CLI, ['run', '--container', '--image', engine!.busyboxImage, '--network', 'none', '--', 'sh', '-c', script], {
      cwd: ws,
      env: { ...process.env, DOCKER_HOST: host, HOME: home, SSH_AUTH_SOCK: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const done = new Promise<number | null>((r) => child.on('close', r));
    let liveLoss: number | undefined;
    while (child.exitCode === null && liveLoss === undefined) {
      await new Promise((r) => setTimeout(r, 250));
      if (!out.includes('logged')) continue;
      const store = RunStore.open(join(ws, '.loopline', 'loopline.db'));
      try {
        const [r] = store.searchRuns({ experimentIds: ['0'] }).runs;
        if (r && !out.includes('finished')) liveLoss = store.getRun(r.info.id).metrics.find((m) => m.key === 'loss')?.last;
      } finally {
        store.close();
      }
    }
    assert.equal(await done, 0, out);
    assert.equal(liveLoss, 0.5, 'the metric arrived while the remote run ran');
    assert.match(out, /from the workspace/, 'the workspace was copied in (no bind mounts on a remote engine)');
    const { run, artifacts } = onlyRun(ws);
    assert.equal(run.info.status, 'FINISHED');
    assert.equal(run.tags['loopline.container.engine'], host);
    assert.ok(artifacts.includes('result.txt'), `outputs copied out: ${artifacts.join(', ')}`);
    assert.ok(logins > 0, 'it logged in with the key over SSH');

    // A key the server does not accept: a clear message about logging in.
    const stranger = ssh2.utils.generateKeyPairSync('ed25519');
    writeFileSync(join(home, '.ssh', 'id_ed25519'), stranger.private, { mode: 0o600 });
    const denied = await runCli(['run', '--container', '--image', engine!.busyboxImage, '--network', 'none', '--', 'true'], { cwd: ws, env: { DOCKER_HOST: host, HOME: home, SSH_AUTH_SOCK: '' }, timeoutMs: 60_000 });
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /Could not log in to ssh:\/\/trainer@127\.0\.0\.1:\d+ over SSH .*ssh-agent/);
  } finally {
    for (const c of children) c.kill();
    server.close();
    t.cleanup();
  }
});
