// Run ids and names of the experiment table travel packed (src/shared/packed-strings.ts): one string
// and where each ends. What goes in comes out, whatever the strings hold; a damaged list never
// shows a neighbour's text in the wrong row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPackedStrings, packStrings, unpackStrings, unpackStringsInto } from '../../src/shared/packed-strings.ts';

test('strings come out as they went in: empty ones, separators, emoji, a slice of a list', () => {
  const list = ['trial-1', '', 'a\u0000b', 'line\nbreak', '😀 ü', 'x'.repeat(1000), ''];
  assert.deepEqual(unpackStrings(packStrings(list)), list);
  assert.deepEqual(unpackStrings(packStrings(list, 2, 5)), list.slice(2, 5));
  assert.deepEqual(unpackStrings(packStrings([])), []);
  const into = ['keep', 'old', 'old', 'keep'];
  unpackStringsInto(packStrings(['a', 'b']), into, 1);
  assert.deepEqual(into, ['keep', 'a', 'b', 'keep']);
});

test('a damaged list: an end out of the text or before its start gives an empty string, the rest stay right', () => {
  assert.deepEqual(unpackStrings({ text: 'abcdef', ends: Uint32Array.from([2, 99, 1, 6]) }), ['ab', '', '', 'cdef']);
  assert.ok(isPackedStrings(packStrings(['a'])));
  for (const bad of [null, 'ab', { text: 'ab' }, { text: 'ab', ends: [2] }, { text: 3, ends: new Uint32Array(1) }]) assert.equal(isPackedStrings(bad), false);
});
