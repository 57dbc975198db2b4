// Undeploy removes the deployment's network even when the engine still lists a container on it
// (dockerd answers "has active endpoints" for a moment after a container is removed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DockerEngineBackend } from '../src/core/containers/docker-engine-backend.ts';
import { testEngine } from './helpers/docker-engine.ts';

const { engine, skip } = testEngine();

test('a network with a container still attached is detached and removed, not left behind with an error', { skip }, async () => {
  const docker = (...a: string[]) => spawnSync('/usr/bin/docker', a, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: engine!.dockerHost } });
  const name = `loopline-nettest-${process.pid}`;
  assert.equal(docker('network', 'create', name).status, 0);
  const c = docker('run', '-d', '--rm', '--network', name, '--name', `${name}-c`, engine!.busyboxImage, 'sleep', '60');
  try {
    assert.equal(c.status, 0, c.stderr);
    assert.match(docker('network', 'rm', name).stderr, /active endpoints/, 'the engine refuses a plain remove');
    await DockerEngineBackend.fromEnvironment({ DOCKER_HOST: engine!.dockerHost }).removeNetwork(name);
    assert.notEqual(docker('network', 'inspect', name).status, 0, 'the network is gone');
  } finally {
    docker('rm', '-f', `${name}-c`);
    docker('network', 'rm', name);
  }
});
