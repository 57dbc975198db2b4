import { spawnSync } from 'node:child_process';
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
