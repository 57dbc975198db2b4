import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installShim, refreshShim, SHIM_MARKER } from '../../src/extension/terminal/cli-shim.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { tempDir } from '../helpers/temp-store.ts';

const CLI_JS = join(REPO_ROOT, 'dist', 'cli.js');

test("Install 'loopline' Command in PATH: a shim in ~/.local/bin runs the bundled CLI from any folder", { skip: !existsSync(CLI_JS) && 'npm run build first' }, () => {
  const t = tempDir();
  try {
    const home = join(t.dir, 'home');
    const bin = join(home, '.local', 'bin');
    mkdirSync(bin, { recursive: true });
    const pathEnv = `${bin}:/usr/bin:/bin`;
    const r = installShim({ execPath: process.execPath, cliJs: CLI_JS, home, pathEnv, platform: 'linux' });
    assert.deepEqual(r, { file: join(bin, 'loopline'), onPath: true });
    assert.equal(statSync(r.file).mode & 0o111, 0o111, 'executable');
    // A terminal elsewhere (no node on PATH at all): `loopline` answers.
    const elsewhere = join(t.dir, 'project');
    mkdirSync(elsewhere);
    const version = execFileSync('loopline', ['--version'], { cwd: elsewhere, env: { PATH: pathEnv, HOME: home } }).toString().trim();
    assert.equal(version, JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version);
  } finally {
    t.cleanup();
  }
});

test('the shim follows the extension when it moves, and never replaces a loopline it did not write', () => {
  const t = tempDir();
  try {
    const home = join(t.dir, 'home');
    const target = { execPath: '/opt/editor/code', cliJs: '/ext/loopline-0.1.0/dist/cli.js', home, pathEnv: '/usr/bin', platform: 'linux' as const };
    const r = installShim(target);
    assert.equal(r.file, join(home, '.local', 'bin', 'loopline'));
    assert.equal(r.onPath, false, '~/.local/bin is not on this PATH: the user is told to add it');
    assert.equal(refreshShim(target), false, 'up to date');
    assert.equal(refreshShim({ ...target, cliJs: "/ext/it's-0.2.0/dist/cli.js" }), true);
    assert.match(readFileSync(r.file, 'utf8'), /'\/ext\/it'\\''s-0\.2\.0\/dist\/cli\.js' "\$@"/);
    writeFileSync(r.file, '#!/bin/sh\necho mine\n');
    assert.equal(refreshShim(target), false);
    assert.deepEqual(installShim(target).conflict, r.file);
    assert.equal(readFileSync(r.file, 'utf8'), '#!/bin/sh\necho mine\n', 'left alone');
    assert.ok(!readFileSync(r.file, 'utf8').includes(SHIM_MARKER));
  } finally {
    t.cleanup();
  }
});
