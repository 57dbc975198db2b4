// Needs the built CLI (dist/cli.js), so it runs after `npm run build`, not in the unit tier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { installShim } from '../src/extension/terminal/cli-shim.ts';
import { REPO_ROOT } from './helpers/paths.ts';
import { tempDir } from './helpers/temp-store.ts';

const CLI_JS = join(REPO_ROOT, 'dist', 'cli.js');

test("Install 'loopline' Command in PATH: a shim in ~/.local/bin runs the bundled CLI from any folder", () => {
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
