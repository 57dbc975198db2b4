import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.ts';

export interface TestEngine {
  /** DOCKER_HOST for the engine (unix://…). */
  dockerHost: string;
  busyboxImage: string;
  pythonImage: string;
}

let cached: { engine?: TestEngine; skip?: string } | undefined;

/**
 * A real Docker engine with the local test images, from `scripts/docker-setup.sh` (quick when the
 * engine runs and the images are there; it starts Loopline's own dockerd when none answers). The
 * tests skip only when no engine can be started at all, with the reason.
 */
export function testEngine(): { engine?: TestEngine; skip?: string } {
  if (cached) return cached;
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'docker-setup.sh')], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    cached = { skip: `no Docker engine could be started here (scripts/docker-setup.sh: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' / ')})` };
    return cached;
  }
  const vars = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  cached = { engine: { dockerHost: vars.DOCKER_HOST!, busyboxImage: vars.LOOPLINE_BUSYBOX_IMAGE!, pythonImage: vars.LOOPLINE_PYTHON_IMAGE! } };
  return cached;
}

/** The engine's containers carrying a label (e.g. loopline.store=PATH), with Debian's docker client. */
export function containersWithLabel(engine: TestEngine, label: string): string[] {
  const r = spawnSync('/usr/bin/docker', ['ps', '-aq', '--filter', `label=${label}`], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: engine.dockerHost } });
  return r.stdout.split('\n').filter(Boolean);
}

export interface PrivateEngine {
  dockerHost: string;
  /** Stops the engine as `systemctl stop docker` does (SIGTERM: it stops its containers, then exits). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes its folder. */
  dispose(): Promise<void>;
}

/**
 * A second dockerd of this test's own (data root, socket, no bridge, no iptables), so a test can
 * stop and restart an engine without disturbing the shared one; the busybox image is copied into it
 * from `from` with docker save | docker load (2 MB). Needs root and dockerd, as the shared one does.
 */
export async function startPrivateEngine(from: TestEngine): Promise<PrivateEngine> {
  const dir = mkdtempSync('/tmp/ll-eng-'); // a unix socket path must stay short
  const sock = join(dir, 'docker.sock');
  const pidFile = join(dir, 'dockerd.pid');
  const dockerHost = `unix://${sock}`;
  const answers = () => spawnSync('/usr/bin/docker', ['version', '--format', '{{.Server.Version}}'], { env: { ...process.env, DOCKER_HOST: dockerHost }, timeout: 5000 }).status === 0;
  const start = async () => {
    // In a network namespace of its own: a dockerd started with --bridge=none deletes the host's
    // docker0, which the shared engine's containers (and the tests using them meanwhile) need.
    const child = spawn(
      'unshare',
      ['--net', existsSync('/usr/sbin/dockerd') ? '/usr/sbin/dockerd' : 'dockerd', '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', pidFile, '-H', dockerHost, '--storage-driver', 'vfs', '--iptables=false', '--bridge=none', '--exec-opt', 'native.cgroupdriver=cgroupfs'],
      { stdio: ['ignore', openSync(join(dir, 'dockerd.log'), 'a'), openSync(join(dir, 'dockerd.log'), 'a')], detached: true },
    );
    child.unref();
    for (let i = 0; i < 150 && !answers(); i++) await new Promise((r) => setTimeout(r, 100));
    if (!answers()) throw new Error(`the test's dockerd did not start: ${readFileSync(join(dir, 'dockerd.log'), 'utf8').split('\n').slice(-5).join('\n')}`);
  };
  const stop = async () => {
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8'));
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 300; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await start();
  const copy = spawnSync('bash', ['-c', `DOCKER_HOST=${from.dockerHost} /usr/bin/docker save ${from.busyboxImage} | DOCKER_HOST=${dockerHost} /usr/bin/docker load`], { encoding: 'utf8' });
  if (copy.status !== 0) {
    await stop();
    throw new Error(`could not copy ${from.busyboxImage} into the test's engine: ${copy.stderr}`);
  }
  return {
    dockerHost,
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
