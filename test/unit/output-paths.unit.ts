import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outputPathMapper } from '../../src/core/containers/output-paths.ts';

test('a container spool record can only name a regular file inside its output folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopline-outputs-'));
  try {
    const staging = join(dir, 'staging');
    mkdirSync(join(staging, 'model'), { recursive: true });
    writeFileSync(join(staging, 'model', 'w.bin'), 'weights');
    writeFileSync(join(dir, 'secret'), 'host file');
    symlinkSync(join(dir, 'secret'), join(staging, 'link'));
    const map = outputPathMapper('/outputs', staging);
    assert.equal(map('/outputs/model/w.bin'), join(staging, 'model', 'w.bin'));
    assert.throws(() => map(join(dir, 'secret')), /outside \/outputs/);
    assert.throws(() => map('/etc/passwd'), /outside \/outputs/);
    assert.throws(() => map('/outputs/../../secret'), /\.\.|outside|not a regular file/);
    assert.throws(() => map('/outputs/link'), /not a regular file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
