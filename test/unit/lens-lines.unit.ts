import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { lensLines } from '../../src/extension/codelens/lens-lines.ts';
import { IRIS_EXAMPLE } from '../helpers/paths.ts';

test('the Run CodeLens sits on the first code line after the docstring, and on the entry point', () => {
  const iris = readFileSync(IRIS_EXAMPLE, 'utf8');
  const lines = iris.split('\n');
  const [first, entry] = lensLines(iris);
  assert.equal(lines[first!], 'import argparse', 'the first line after the docstring');
  assert.match(lines[entry!]!, /^if __name__ == "__main__":/);
});

test('files without a docstring, with a one-line docstring, or without an entry point', () => {
  assert.deepEqual(lensLines('import loopline\nloopline.log_metric("a", 1)\n'), [0]);
  assert.deepEqual(lensLines('#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n\n"""One line."""\n\nimport mlflow\n'), [5]);
  assert.deepEqual(lensLines("'''Doc\nmore\n'''\nimport os\nif __name__ == '__main__':\n    main()\n"), [3, 4]);
  assert.deepEqual(lensLines('if __name__ == "__main__":\n    main()\n'), [0], 'one lens when the entry point is the first line');
  assert.deepEqual(lensLines('"""Only a docstring."""\n'), [0], 'nothing after the docstring: the top of the file');
  assert.deepEqual(lensLines('r"""Raw\ndoc"""\r\nimport x\r\n'), [2], 'raw docstrings and CRLF');
});
