import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isTrainingScriptText, trainingScripts } from '../../src/extension/runs/script-candidates.ts';
import { IRIS_EXAMPLE, PYTHON_CLIENT_DIR } from '../helpers/paths.ts';

const TRAIN = 'import mlflow\n\ndef main():\n    mlflow.log_metric("a", 1)\n\nif __name__ == "__main__":\n    main()\n';

test('the Python client is a library, not a training script; the example is one', () => {
  assert.equal(isTrainingScriptText(readFileSync(join(PYTHON_CLIENT_DIR, 'loopline.py'), 'utf8')), false);
  assert.equal(isTrainingScriptText(readFileSync(IRIS_EXAMPLE, 'utf8')), true);
  assert.equal(isTrainingScriptText('import loopline\nloopline.log_metric("a", 1)\n'), false, 'no entry point');
  assert.equal(isTrainingScriptText('import json\nif __name__ == "__main__":\n    pass\n'), false, 'does not track');
  assert.equal(isTrainingScriptText('from mlflow import log_metric\nif __name__ == \'__main__\':\n    log_metric("a", 1)\n'), true);
});

test('recently run scripts first, then the active editor, then the rest by path; configured files count', () => {
  const files = [
    { path: '/w/a_train.py', text: TRAIN, configured: false },
    { path: '/w/b_train.py', text: TRAIN, configured: false },
    { path: '/w/c_train.py', text: TRAIN, configured: false },
    { path: '/w/loopline.py', text: 'def log_metric(): ...\n', configured: false },
    { path: '/w/run.sh', text: '', configured: true },
  ];
  assert.deepEqual(trainingScripts(files, ['/w/c_train.py', '/w/gone.py'], '/w/b_train.py'), ['/w/c_train.py', '/w/b_train.py', '/w/a_train.py', '/w/run.sh']);
  assert.deepEqual(trainingScripts(files, []), ['/w/a_train.py', '/w/b_train.py', '/w/c_train.py', '/w/run.sh']);
});
