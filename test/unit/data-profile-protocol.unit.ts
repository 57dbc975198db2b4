// Messages from the Data Profile webview are untrusted: only the four known shapes pass, with no
// extra fields carried through; profiles go to the webview without their drift samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { profileRows } from '../../src/core/monitoring/data-profiler.ts';
import { parseProfileToHost, toProfileMsg } from '../../src/protocol/data-profile-protocol.ts';

test('parseProfileToHost accepts the known messages only, stripped to their type', () => {
  for (const type of ['ready', 'cancel', 'compareWith', 'closeComparison']) assert.deepEqual(parseProfileToHost({ type, path: '/etc/passwd' }), { type });
  for (const bad of [null, 'ready', [], {}, { type: 'openFile', path: '/x' }, { type: 42 }]) assert.equal(parseProfileToHost(bad), undefined, JSON.stringify(bad));
});

test('toProfileMsg drops the per-column samples and keeps everything else', () => {
  const p = profileRows('window', ['x', 'c'], [[1, 'a'], [2, 'b'], [null, 'a'], ['3', 'NA']]);
  assert.deepEqual(p.columns.map((c) => [c.name, c.type, c.count, c.missing, c.sample.length]), [['x', 'numeric', 3, 1, 3], ['c', 'categorical', 3, 1, 3]]);
  const msg = toProfileMsg(p);
  assert.ok(msg.columns.every((c) => !('sample' in c)));
  assert.deepEqual(msg.columns[0]!.numeric, p.columns[0]!.numeric);
  assert.equal(msg.rows, 4);
});
