import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TrackingServer } from '../src/core/tracking/tracking-server.ts';
import { tempServer, tempStore } from './helpers/temp-store.ts';

type Server = Awaited<ReturnType<typeof tempServer>>;
let s: Server;
before(async () => {
  s = await tempServer();
});
after(async () => {
  await s.cleanup();
});

function expectError(r: { status: number; json: any; text?: string }, status: number, code: string, message?: RegExp) {
  assert.equal(r.status, status, r.text ?? JSON.stringify(r.json));
  assert.equal(r.json?.error_code, code);
  assert.equal(typeof r.json.message, 'string');
  if (message) assert.match(r.json.message, message);
}

async function newRun(body: Record<string, unknown> = {}): Promise<string> {
  const r = await s.api('runs/create', { experiment_id: '0', ...body });
  assert.equal(r.status, 200, r.text);
  return r.json.run.info.run_id;
}

// MLflow's REST API reference (mlflow/protos/service.proto): the only methods each endpoint answers.
const MLFLOW_METHODS: Record<string, string[]> = {
  'experiments/create': ['POST'],
  'experiments/search': ['GET', 'POST'],
  'experiments/get': ['GET'],
  'experiments/get-by-name': ['GET'],
  'experiments/delete': ['POST'],
  'experiments/restore': ['POST'],
  'experiments/update': ['POST'],
  'experiments/set-experiment-tag': ['POST'],
  'runs/create': ['POST'],
  'runs/update': ['POST'],
  'runs/delete': ['POST'],
  'runs/restore': ['POST'],
  'runs/get': ['GET'],
  'runs/search': ['POST'],
  'runs/log-metric': ['POST'],
  'runs/log-parameter': ['POST'],
  'runs/set-tag': ['POST'],
  'runs/delete-tag': ['POST'],
  'runs/log-batch': ['POST'],
  'runs/log-model': ['POST'],
  'runs/log-inputs': ['POST'],
  'metrics/get-history': ['GET'],
  'artifacts/list': ['GET'],
};

test('GET runs/delete is refused with 405 in MLflow\'s error shape, and the run is not deleted', async () => {
  const id = await newRun();
  const r = await s.api(`runs/delete?run_id=${id}`);
  expectError(r, 405, 'BAD_REQUEST', /runs\/delete accepts POST only/);
  assert.deepEqual(Object.keys(r.json).sort(), ['error_code', 'message']);
  const run = (await s.api(`runs/get?run_id=${id}`)).json.run;
  assert.equal(run.info.lifecycle_stage, 'active', 'the GET did not delete the run');
  assert.equal((await s.api('runs/delete', { run_id: id })).status, 200);
  assert.equal((await s.api(`runs/get?run_id=${id}`)).json.run.info.lifecycle_stage, 'deleted');
});

test('every endpoint answers only its MLflow methods; the others get 405 with an Allow header', async () => {
  for (const [route, allowed] of Object.entries(MLFLOW_METHODS)) {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      if (allowed.includes(method)) continue;
      const res = await fetch(`${s.server.url}/api/2.0/mlflow/${route}`, {
        method,
        headers: { Authorization: 'Bearer test-token', 'Content-Type': 'application/json' },
        ...(method === 'GET' ? {} : { body: '{}' }),
      });
      const json = await res.json();
      assert.equal(res.status, 405, `${method} ${route}`);
      assert.equal(json.error_code, 'BAD_REQUEST');
      assert.equal(res.headers.get('allow'), allowed.join(', '), `${method} ${route}`);
    }
  }
  // The allowed methods still work (same for the ajax-api prefix the MLflow UI uses).
  assert.equal((await s.api('experiments/search?max_results=5')).status, 200);
  assert.equal((await s.api('experiments/search', { max_results: 5 })).status, 200);
  const ajax = await fetch(`${s.server.url}/ajax-api/2.0/mlflow/runs/search`, { method: 'GET', headers: { Authorization: 'Bearer test-token' } });
  assert.equal(ajax.status, 405);
  // Artifacts: DELETE is not offered.
  const id = await newRun();
  const del = await fetch(`${s.server.url}/api/2.0/mlflow-artifacts/artifacts/0/${id}/artifacts/x.txt`, { method: 'DELETE', headers: { Authorization: 'Bearer test-token' } });
  assert.equal(del.status, 405);
  assert.equal((await del.json()).error_code, 'BAD_REQUEST');
});

test('length limits: keys 250, param values 6000, tag values 8000, experiment and run names 500', async () => {
  const id = await newRun();
  const k = (n: number) => 'k'.repeat(n);
  // At the limit: accepted.
  assert.equal((await s.api('runs/log-metric', { run_id: id, key: k(250), value: 1, timestamp: 1, step: 0 })).status, 200);
  assert.equal((await s.api('runs/log-parameter', { run_id: id, key: 'p6000', value: 'v'.repeat(6000) })).status, 200);
  assert.equal((await s.api('runs/set-tag', { run_id: id, key: 't8000', value: 'v'.repeat(8000) })).status, 200);
  // Over it: a clear INVALID_PARAMETER_VALUE naming the limit.
  expectError(await s.api('runs/log-metric', { run_id: id, key: k(251), value: 1, timestamp: 1, step: 0 }), 400, 'INVALID_PARAMETER_VALUE', /251 characters; the limit is 250/);
  expectError(await s.api('runs/log-parameter', { run_id: id, key: k(251), value: '1' }), 400, 'INVALID_PARAMETER_VALUE', /limit is 250/);
  expectError(await s.api('runs/set-tag', { run_id: id, key: k(251), value: '1' }), 400, 'INVALID_PARAMETER_VALUE', /limit is 250/);
  expectError(await s.api('runs/log-parameter', { run_id: id, key: 'p', value: 'v'.repeat(6001) }), 400, 'INVALID_PARAMETER_VALUE', /6001 characters; the limit is 6000/);
  expectError(await s.api('runs/set-tag', { run_id: id, key: 't', value: 'v'.repeat(8001) }), 400, 'INVALID_PARAMETER_VALUE', /8001 characters; the limit is 8000/);
  expectError(
    await s.api('runs/log-batch', { run_id: id, params: [{ key: 'ok', value: '1' }, { key: 'big', value: 'v'.repeat(6001) }] }),
    400,
    'INVALID_PARAMETER_VALUE',
    /limit is 6000/,
  );
  const params = (await s.api(`runs/get?run_id=${id}`)).json.run.data.params.map((p: any) => p.key);
  assert.ok(!params.includes('ok'), 'a batch with one bad param stores nothing');

  // Names.
  assert.equal((await s.api('experiments/create', { name: 'e'.repeat(500) })).status, 200);
  const huge = 'x'.repeat(1024 * 1024);
  expectError(await s.api('experiments/create', { name: huge }), 400, 'INVALID_PARAMETER_VALUE', /1048576 characters; the limit is 500/);
  expectError(await s.api('experiments/create', { name: 'e'.repeat(501) }), 400, 'INVALID_PARAMETER_VALUE', /limit is 500/);
  const exp = (await s.api('experiments/create', { name: 'short' })).json.experiment_id;
  expectError(await s.api('experiments/update', { experiment_id: exp, new_name: 'e'.repeat(501) }), 400, 'INVALID_PARAMETER_VALUE', /limit is 500/);
  const names = (await s.api('experiments/search', { max_results: 1000 })).json.experiments.map((e: any) => e.name.length);
  assert.ok(!names.some((n: number) => n > 500), 'no over-long experiment name was stored');

  expectError(await s.api('runs/create', { experiment_id: '0', run_name: 'r'.repeat(501) }), 400, 'INVALID_PARAMETER_VALUE', /Run name .* limit is 500/);
  expectError(await s.api('runs/update', { run_id: id, run_name: 'r'.repeat(501) }), 400, 'INVALID_PARAMETER_VALUE', /limit is 500/);
  expectError(await s.api('runs/set-tag', { run_id: id, key: 'mlflow.runName', value: 'r'.repeat(501) }), 400, 'INVALID_PARAMETER_VALUE', /limit is 500/);
  assert.equal((await s.api('runs/update', { run_id: id, run_name: 'r'.repeat(500) })).status, 200);
  assert.equal((await s.api(`runs/get?run_id=${id}`)).json.run.info.run_name.length, 500);
});

/** Sends the whole body first and only then reads the answer, as Python's http.client does. */
function postWholeBody(port: number, path: string, body: Buffer, chunked: boolean): Promise<{ status: number; json: any; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: 'Bearer big-token', 'content-type': 'application/json' };
    if (!chunked) headers['content-length'] = body.length;
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json, text });
      });
    });
    req.on('error', reject);
    if (chunked) {
      for (let i = 0; i < body.length; i += 16 * 1024) req.write(body.subarray(i, i + 16 * 1024));
      req.end();
    } else {
      req.end(body);
    }
  });
}

test('a body over the limit gets a 413 JSON error the client can read, sized or chunked, and the server keeps serving', async (t) => {
  const st = tempStore();
  const server = await TrackingServer.start({ store: st.store, token: 'big-token', maxJsonBytes: 64 * 1024 });
  t.after(async () => {
    await server.close();
    st.cleanup();
  });
  const run = await postWholeBody(server.port, '/api/2.0/mlflow/runs/create', Buffer.from('{"experiment_id":"0"}'), false);
  const id = run.json.run.info.run_id;
  const big = Buffer.from(JSON.stringify({ run_id: id, metrics: Array.from({ length: 20000 }, (_, i) => ({ key: 'loss', value: i, timestamp: 1, step: i })) }));
  assert.ok(big.length > 512 * 1024);
  for (const chunked of [false, true]) {
    const r = await postWholeBody(server.port, '/api/2.0/mlflow/runs/log-batch', big, chunked);
    expectError(r, 413, 'BAD_REQUEST', /larger than the limit of 65536 bytes; send smaller batches/);
  }
  // Python's http.client (what MLflow's and Loopline's Python clients use underneath) reads it too.
  const py = `
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", ${server.port})
body = b'{"run_id": "${id}", "params": [' + b'{"key": "k", "value": "v"},' * 20000 + b'{"key": "k", "value": "v"}]}'
c.request("POST", "/api/2.0/mlflow/runs/log-batch", body=body, headers={"Authorization": "Bearer big-token", "Content-Type": "application/json"})
r = c.getresponse()
print(json.dumps({"status": r.status, "body": json.loads(r.read())}))
`;
  const { stdout } = await promisify(execFile)('python3', ['-c', py]);
  const out = JSON.parse(stdout);
  assert.equal(out.status, 413);
  assert.equal(out.body.error_code, 'BAD_REQUEST');
  // Nothing of the refused batches was stored, and a normal batch still goes through.
  assert.equal(st.store.getRun(id).metrics.length, 0);
  const ok = await postWholeBody(server.port, '/api/2.0/mlflow/runs/log-metric', Buffer.from(JSON.stringify({ run_id: id, key: 'loss', value: 1, timestamp: 1, step: 0 })), false);
  assert.equal(ok.status, 200, ok.text);
});
