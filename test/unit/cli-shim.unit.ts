import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installShim, refreshShim, SHIM_MARKER } from '../../src/extension/terminal/cli-shim.ts';
import { tempDir } from '../helpers/temp-store.ts';

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
