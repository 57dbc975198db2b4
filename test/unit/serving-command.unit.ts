import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servingCommand } from '../../src/core/deploy/serving-spec.ts';

test('a serve command gets --port 8080 --host 0.0.0.0 only when it does not say where to listen already', () => {
  assert.equal(servingCommand('python3 serve.py --model /model'), 'python3 serve.py --model /model --port 8080 --host 0.0.0.0');
  assert.equal(servingCommand('python3 serve.py --model /model --port 8080'), 'python3 serve.py --model /model --port 8080 --host 0.0.0.0');
  assert.equal(servingCommand('uvicorn app:app --host 0.0.0.0 --port=8080'), 'uvicorn app:app --host 0.0.0.0 --port=8080');
  // Servers that take other forms must not get flags they reject.
  assert.equal(servingCommand('gunicorn --bind 0.0.0.0:8080 app:app'), 'gunicorn --bind 0.0.0.0:8080 app:app');
  assert.equal(servingCommand('gunicorn -b :8080 app:app'), 'gunicorn -b :8080 app:app');
  assert.equal(servingCommand('mlflow models serve -m /model -p 8080 -h 0.0.0.0 --env-manager local'), 'mlflow models serve -m /model -p 8080 -h 0.0.0.0 --env-manager local');
  assert.equal(servingCommand('waitress-serve --listen=0.0.0.0:8080 app:app'), 'waitress-serve --listen=0.0.0.0:8080 app:app');
  assert.equal(servingCommand('node server.js --listen $HOST:$PORT'), 'node server.js --listen $HOST:$PORT');
  assert.equal(servingCommand('python3 serve.py --port ${PORT}'), 'python3 serve.py --port ${PORT} --host 0.0.0.0');
  // A model path with a colon-free name is not an address; "app:app" is a module, not host:port.
  assert.equal(servingCommand('python3 -m server app:app'), 'python3 -m server app:app --port 8080 --host 0.0.0.0');
});
