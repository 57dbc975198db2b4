import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinCommandLine, splitCommandLine } from '../../src/core/runs/command-line.ts';

test('splits words and quotes as a POSIX shell does, without expansion', () => {
  assert.deepEqual(splitCommandLine('python3 train.py --lr 0.1'), ['python3', 'train.py', '--lr', '0.1']);
  assert.deepEqual(splitCommandLine('  python3   train.py\t--name "my run"  '), ['python3', 'train.py', '--name', 'my run']);
  assert.deepEqual(splitCommandLine(`echo 'it''s' "a \\"b\\" \\\\ c"`), ['echo', 'its', 'a "b" \\ c']);
  assert.deepEqual(splitCommandLine("python3 -c 'print(\"$HOME\")'"), ['python3', '-c', 'print("$HOME")'], 'no variable expansion');
  assert.deepEqual(splitCommandLine('a\\ b c'), ['a b', 'c'], 'backslash escapes a space');
  assert.deepEqual(splitCommandLine('x "" y'), ['x', '', 'y'], 'an empty quoted argument is kept');
  assert.deepEqual(splitCommandLine(''), []);
});

test('an unterminated quote is an error that shows the line', () => {
  assert.throws(() => splitCommandLine('python3 "train.py'), /Unterminated " quote in: python3 "train.py/);
  assert.throws(() => splitCommandLine("echo 'x"), /Unterminated ' quote/);
});

test('joining quotes what a shell would split, and splitting it back gives the same arguments', () => {
  const cases = [['python3', 'train.py', '--lr', '0.1'], ['echo', 'my run', "it's", ''], ['a;b', '$HOME', 'x*y', 'tab\there']];
  for (const args of cases) assert.deepEqual(splitCommandLine(joinCommandLine(args)), args);
  assert.equal(joinCommandLine(['python3', 'train.py', '--lr=0.1']), 'python3 train.py --lr=0.1', 'plain words stay unquoted');
  assert.equal(joinCommandLine(['echo', "it's"]), "echo 'it'\\''s'");
});
