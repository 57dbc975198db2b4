import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tempServer } from './helpers/temp-store.ts';

type Server = Awaited<ReturnType<typeof tempServer>>;
let s: Server;
before(async () => {
  s = await tempServer();
});
after(async () => {
  await s.cleanup();
});

/** Raw HTTP so paths are sent byte for byte and Host can be set. */
function raw(srv: Server, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: Buffer; json: any }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: srv.server.port, method, path, headers: { authorization: 'Bearer test-token', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          let json: any;
          try {
            json = JSON.parse(buf.toString('utf8'));
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: buf, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function expectError(r: { status: number; json: any }, status: number, code: string, message?: RegExp) {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.equal(r.json?.error_code, code);
  assert.equal(typeof r.json.message, 'string');
  if (message) assert.match(r.json.message, message);
}

const tagsOf = (run: any): Record<string, string> => Object.fromEntries((run.data.tags ?? []).map((t: any) => [t.key, t.value]));

async function newRun(srv: Server = s, body: Record<string, unknown> = {}): Promise<string> {
  const r = await srv.api('runs/create', { experiment_id: '0', ...body });
  assert.equal(r.status, 200, r.text);
  return r.json.run.info.run_id;
}

test('experiments: create, get, get-by-name, set tag, search, update, delete, restore', async () => {
  const c = await s.api('experiments/create', { name: 'exp-a', tags: [{ key: 'team', value: 'vision' }] });
  assert.equal(c.status, 200);
  assert.deepEqual(Object.keys(c.json), ['experiment_id']);
  const id = c.json.experiment_id;
  assert.match(id, /^\d+$/);
  const g = await s.api(`experiments/get?experiment_id=${id}`);
  assert.deepEqual(
    { ...g.json.experiment, creation_time: typeof g.json.experiment.creation_time, last_update_time: typeof g.json.experiment.last_update_time },
    { experiment_id: id, name: 'exp-a', artifact_location: `mlflow-artifacts:/${id}`, lifecycle_stage: 'active', creation_time: 'number', last_update_time: 'number', tags: [{ key: 'team', value: 'vision' }] },
  );
  assert.equal((await s.api('experiments/get-by-name?experiment_name=exp-a')).json.experiment.experiment_id, id);
  assert.equal((await s.api('experiments/set-experiment-tag', { experiment_id: id, key: 'stage', value: 'dev' })).status, 200);
  assert.deepEqual((await s.api(`experiments/get?experiment_id=${id}`)).json.experiment.tags.find((t: any) => t.key === 'stage'), { key: 'stage', value: 'dev' });
  await s.api('experiments/create', { name: 'exp-b' });

  const found = await s.api('experiments/search', { filter: "name LIKE 'exp-%'", max_results: 1, order_by: ['name DESC'] });
  assert.deepEqual(found.json.experiments.map((e: any) => e.name), ['exp-b']);
  assert.ok(found.json.next_page_token);
  const rest = await s.api('experiments/search', { filter: "name LIKE 'exp-%'", max_results: 1, order_by: ['name DESC'], page_token: found.json.next_page_token });
  assert.deepEqual(rest.json.experiments.map((e: any) => e.name), ['exp-a']);
  assert.equal(rest.json.next_page_token, undefined);
  assert.deepEqual((await s.api('experiments/search', { filter: "tags.team = 'vision'" })).json.experiments.map((e: any) => e.name), ['exp-a']);

  assert.equal((await s.api('experiments/update', { experiment_id: id, new_name: 'exp-a2' })).status, 200);
  assert.equal((await s.api(`experiments/get?experiment_id=${id}`)).json.experiment.name, 'exp-a2');
  assert.deepEqual((await s.api('experiments/delete', { experiment_id: id })).json, {});
  assert.equal((await s.api(`experiments/get?experiment_id=${id}`)).json.experiment.lifecycle_stage, 'deleted');
  const active = await s.api('experiments/search', { view_type: 'ACTIVE_ONLY' });
  assert.ok(!active.json.experiments.some((e: any) => e.experiment_id === id));
  const deleted = await s.api('experiments/search', { view_type: 'DELETED_ONLY' });
  assert.deepEqual(deleted.json.experiments.map((e: any) => e.experiment_id), [id]);
  expectError(await s.api('runs/create', { experiment_id: id }), 400, 'INVALID_STATE', /deleted/);
  assert.equal((await s.api('experiments/restore', { experiment_id: id })).status, 200);
  assert.equal((await s.api(`experiments/get?experiment_id=${id}`)).json.experiment.lifecycle_stage, 'active');

  expectError(await s.api('experiments/create', { name: 'exp-b' }), 400, 'RESOURCE_ALREADY_EXISTS', /'exp-b' already exists/);
  expectError(await s.api('experiments/delete', { experiment_id: '0' }), 400, 'INVALID_PARAMETER_VALUE', /Default/);
  expectError(await s.api('experiments/get?experiment_id=999'), 404, 'RESOURCE_DOES_NOT_EXIST');
  expectError(await s.api('experiments/create', {}), 400, 'INVALID_PARAMETER_VALUE', /'name'/);
});

test('runs/create, get, update, delete, restore and search return MLflow JSON shapes', async () => {
  const c = await s.api('runs/create', { experiment_id: '0', user_id: 'ana', start_time: 1_700_000_000_000, run_name: 'shape', tags: [{ key: 'k', value: 'v' }] });
  assert.equal(c.status, 200);
  const id = c.json.run.info.run_id;
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.deepEqual(c.json.run.info, {
    run_id: id, run_uuid: id, run_name: 'shape', experiment_id: '0', user_id: 'ana', status: 'RUNNING',
    start_time: 1_700_000_000_000, artifact_uri: `mlflow-artifacts:/0/${id}/artifacts`, lifecycle_stage: 'active',
  });
  assert.deepEqual(c.json.run.data.metrics, []);
  assert.deepEqual(c.json.run.data.params, []);
  assert.deepEqual(tagsOf(c.json.run), { k: 'v', 'mlflow.runName': 'shape' });

  const g = await s.api(`runs/get?run_id=${id}`);
  assert.deepEqual(g.json.run.info, c.json.run.info);
  assert.deepEqual((await s.api(`runs/get?run_uuid=${id}`)).json.run.info.run_id, id, 'older clients send run_uuid only');

  const u = await s.api('runs/update', { run_id: id, status: 'FINISHED', end_time: 1_700_000_009_000, run_name: 'shape2' });
  assert.deepEqual(Object.keys(u.json), ['run_info']);
  assert.deepEqual(u.json.run_info, { ...c.json.run.info, status: 'FINISHED', run_name: 'shape2', end_time: 1_700_000_009_000 });
  assert.equal(tagsOf((await s.api(`runs/get?run_id=${id}`)).json.run)['mlflow.runName'], 'shape2');
  expectError(await s.api('runs/update', { run_id: id, status: 'DONE' }), 400, 'INVALID_PARAMETER_VALUE', /Unknown run status 'DONE'/);

  const byName = (body: object) => s.api('runs/search', { experiment_ids: ['0'], ...body });
  assert.deepEqual((await byName({ filter: "attributes.run_name = 'shape2'" })).json.runs.map((r: any) => r.info.run_id), [id]);
  assert.deepEqual((await s.api('runs/delete', { run_id: id })).json, {});
  assert.equal((await s.api(`runs/get?run_id=${id}`)).json.run.info.lifecycle_stage, 'deleted');
  assert.deepEqual((await byName({ filter: "attributes.run_name = 'shape2'" })).json.runs, []);
  assert.equal((await byName({ filter: "attributes.run_name = 'shape2'", run_view_type: 'DELETED_ONLY' })).json.runs.length, 1);
  await s.api('runs/restore', { run_id: id });
  assert.equal((await s.api(`runs/get?run_id=${id}`)).json.run.info.lifecycle_stage, 'active');
  expectError(await byName({ filter: 'metrics.acc >' }), 400, 'INVALID_PARAMETER_VALUE', /expected a value/);
});

test('runs/search pages with next_page_token and order_by', async () => {
  const e = (await s.api('experiments/create', { name: 'paging' })).json.experiment_id;
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) {
    const id = await newRun(s, { experiment_id: e, start_time: 1000 + i });
    await s.api('runs/log-metric', { run_id: id, key: 'acc', value: i / 10, timestamp: 1, step: 0 });
    ids.push(id);
  }
  const seen: string[] = [];
  let token: string | undefined;
  do {
    const r = await s.api('runs/search', { experiment_ids: [e], max_results: 3, order_by: ['metrics.acc DESC'], ...(token ? { page_token: token } : {}) });
    assert.equal(r.status, 200, r.text);
    seen.push(...r.json.runs.map((x: any) => x.info.run_id));
    token = r.json.next_page_token;
  } while (token);
  assert.deepEqual(seen, [...ids].reverse());
});

test('log-metric, log-parameter, set-tag, delete-tag, log-batch, log-model and log-inputs', async () => {
  const id = await newRun();
  const ok = async (route: string, body: object) => {
    const r = await s.api(route, { run_id: id, ...body });
    assert.equal(r.status, 200, `${route}: ${r.text}`);
    assert.deepEqual(r.json, {});
  };
  await ok('runs/log-metric', { key: 'loss', value: 0.5, timestamp: 10, step: 1 });
  await ok('runs/log-parameter', { key: 'lr', value: '0.01' });
  await ok('runs/log-parameter', { key: 'lr', value: '0.01' });
  await ok('runs/set-tag', { key: 'mlflow.runName', value: 'tagged' });
  await ok('runs/set-tag', { key: 'gone', value: 'soon' });
  await ok('runs/delete-tag', { key: 'gone' });
  await ok('runs/log-batch', {
    metrics: [{ key: 'loss', value: 0.25, timestamp: 11, step: 2 }, { key: 'nan', value: 'NaN', timestamp: 11, step: 0 }, { key: 'pinf', value: 'Infinity', timestamp: 11, step: 0 }, { key: 'ninf', value: '-Infinity', timestamp: 11, step: 0 }],
    params: [{ key: 'batch', value: '32' }],
    tags: [{ key: 'team', value: 'vision' }],
  });
  await ok('runs/log-model', { model_json: JSON.stringify({ artifact_path: 'model', flavors: { sklearn: {} } }) });
  await ok('runs/log-inputs', { datasets: [] });
  const run = (await s.api(`runs/get?run_id=${id}`)).json.run;
  assert.equal(run.info.run_name, 'tagged');
  const metrics = Object.fromEntries(run.data.metrics.map((m: any) => [m.key, m]));
  assert.deepEqual(metrics.loss, { key: 'loss', value: 0.25, timestamp: 11, step: 2 });
  assert.deepEqual([metrics.nan.value, metrics.pinf.value, metrics.ninf.value], ['NaN', 'Infinity', '-Infinity']);
  assert.deepEqual(Object.fromEntries(run.data.params.map((p: any) => [p.key, p.value])), { lr: '0.01', batch: '32' });
  const tags = tagsOf(run);
  assert.equal(tags.team, 'vision');
  assert.equal(tags.gone, undefined);
  assert.deepEqual(JSON.parse(tags['mlflow.log-model.history']!), [{ artifact_path: 'model', flavors: { sklearn: {} } }]);
  expectError(await s.api('runs/delete-tag', { run_id: id, key: 'gone' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  expectError(await s.api('runs/log-model', { run_id: id, model_json: '{nope' }), 400, 'INVALID_PARAMETER_VALUE', /model_json/);
  expectError(await s.api('runs/log-inputs', { run_id: 'f'.repeat(32) }), 404, 'RESOURCE_DOES_NOT_EXIST');
});

test('metrics/get-history pages with next_page_token; non-finite values come back as strings', async () => {
  const id = await newRun();
  const values = [1, NaN, Infinity, -Infinity, 0.5, 2, 3];
  await s.api('runs/log-batch', { run_id: id, metrics: values.map((v, i) => ({ key: 'm', value: Number.isFinite(v) ? v : String(v), timestamp: 100, step: i % 3 })) });
  const got: any[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const q = `metrics/get-history?run_id=${id}&metric_key=m&max_results=2${token ? `&page_token=${encodeURIComponent(token)}` : ''}`;
    const r = await s.api(q);
    assert.equal(r.status, 200, r.text);
    got.push(...r.json.metrics);
    token = r.json.next_page_token;
    pages++;
  } while (token && pages < 20);
  assert.equal(pages, 4);
  assert.equal(got.length, values.length);
  assert.deepEqual(got.map((m) => m.step), [0, 0, 0, 1, 1, 2, 2]);
  assert.deepEqual(new Set(got.map((m) => m.value)), new Set([1, 'NaN', 'Infinity', '-Infinity', 0.5, 2, 3]));
  assert.deepEqual(got[0], { key: 'm', value: got[0].value, timestamp: 100, step: 0 });
  assert.deepEqual((await s.api(`metrics/get-history?run_id=${id}&metric_key=none`)).json.metrics, []);
  expectError(await s.api(`metrics/get-history?run_id=${id}&metric_key=m&page_token=xyz`), 400, 'INVALID_PARAMETER_VALUE', /page_token/);
});

test('int64 fields are accepted as strings too', async () => {
  const id = await newRun(s, { start_time: '1700000000000' });
  assert.equal((await s.api(`runs/get?run_id=${id}`)).json.run.info.start_time, 1_700_000_000_000);
  await s.api('runs/log-metric', { run_id: id, key: 'x', value: '0.75', timestamp: '1700000000001', step: '7' });
  const u = await s.api('runs/update', { run_id: id, status: 'FINISHED', end_time: '1700000000002' });
  assert.equal(u.json.run_info.end_time, 1_700_000_000_002);
  assert.deepEqual((await s.api(`runs/get?run_id=${id}`)).json.run.data.metrics, [{ key: 'x', value: 0.75, timestamp: 1_700_000_000_001, step: 7 }]);
  expectError(await s.api('runs/log-metric', { run_id: id, key: 'x', value: 1, step: '1.5' }), 400, 'INVALID_PARAMETER_VALUE', /'step' must be an integer/);
});

test('replays the MLflow Python fluent client: set_experiment, start_run, log_*, set_tag, end_run, then a resume', async () => {
  const srv = await tempServer();
  try {
    const t0 = Date.now();
    expectError(await srv.api('experiments/get-by-name?experiment_name=iris'), 404, 'RESOURCE_DOES_NOT_EXIST');
    const c = await srv.api('experiments/create', { name: 'iris' });
    assert.deepEqual(c.json, { experiment_id: '1' });
    assert.equal((await srv.api('experiments/get?experiment_id=1')).json.experiment.name, 'iris');
    const tags = [
      { key: 'mlflow.user', value: 'me' },
      { key: 'mlflow.source.name', value: 'train.py' },
      { key: 'mlflow.source.type', value: 'LOCAL' },
      { key: 'mlflow.runName', value: 'clever-cat-1' },
    ];
    const r = await srv.api('runs/create', { experiment_id: '1', user_id: 'me', start_time: t0, tags, run_name: 'clever-cat-1' });
    assert.equal(r.status, 200, r.text);
    const id = r.json.run.info.run_id;
    assert.equal(r.json.run.info.artifact_uri, `mlflow-artifacts:/1/${id}/artifacts`);
    const ids = { run_id: id, run_uuid: id };
    for (const [route, body] of [
      ['runs/log-parameter', { ...ids, key: 'lr', value: '0.01' }],
      ['runs/log-metric', { ...ids, key: 'loss', value: 0.5, timestamp: t0 + 1, step: 0 }],
      ['runs/set-tag', { ...ids, key: 'k', value: 'v' }],
      ['runs/update', { ...ids, status: 'FINISHED', end_time: t0 + 2 }],
    ] as const) {
      const res = await srv.api(route, body);
      assert.equal(res.status, 200, `${route}: ${res.text}`);
    }
    const run = (await srv.api(`runs/get?run_id=${id}&run_uuid=${id}`)).json.run;
    assert.deepEqual(
      { ...run.info, tags: tagsOf(run), params: run.data.params, metrics: run.data.metrics },
      {
        run_id: id, run_uuid: id, run_name: 'clever-cat-1', experiment_id: '1', user_id: 'me', status: 'FINISHED', start_time: t0, end_time: t0 + 2,
        artifact_uri: `mlflow-artifacts:/1/${id}/artifacts`, lifecycle_stage: 'active',
        tags: { 'mlflow.user': 'me', 'mlflow.source.name': 'train.py', 'mlflow.source.type': 'LOCAL', 'mlflow.runName': 'clever-cat-1', k: 'v' },
        params: [{ key: 'lr', value: '0.01' }],
        metrics: [{ key: 'loss', value: 0.5, timestamp: t0 + 1, step: 0 }],
      },
    );
    assert.equal((await srv.api('experiments/get-by-name?experiment_name=iris')).json.experiment.experiment_id, '1');

    // MLFLOW_RUN_ID set: get the run, mark it RUNNING again (no end_time), keep logging.
    assert.equal((await srv.api(`runs/get?run_id=${id}&run_uuid=${id}`)).status, 200);
    const resumed = await srv.api('runs/update', { ...ids, status: 'RUNNING' });
    assert.equal(resumed.json.run_info.status, 'RUNNING');
    await srv.api('runs/log-metric', { ...ids, key: 'loss', value: 0.25, timestamp: t0 + 3, step: 1 });
    expectError(await srv.api('runs/log-parameter', { ...ids, key: 'lr', value: '0.02' }), 400, 'INVALID_PARAMETER_VALUE', /already logged with value='0.01'/);
    await srv.api('runs/update', { ...ids, status: 'FINISHED', end_time: t0 + 4 });
    const after = (await srv.api(`runs/get?run_id=${id}`)).json.run;
    assert.equal(after.info.status, 'FINISHED');
    assert.equal(after.info.end_time, t0 + 4);
    assert.deepEqual(after.data.metrics, [{ key: 'loss', value: 0.25, timestamp: t0 + 3, step: 1 }]);
    assert.equal(srv.store.metricHistory(id, 'loss').length, 2);
  } finally {
    await srv.cleanup();
  }
});

test('auth and Host checks: wrong or missing token is 401, foreign Host is 403', async () => {
  expectError(await s.api('experiments/search', {}, { headers: { Authorization: 'Bearer wrong' } }), 401, 'UNAUTHENTICATED', /MLFLOW_TRACKING_TOKEN/);
  const noToken = await fetch(`${s.server.url}/api/2.0/mlflow/experiments/search`, { method: 'POST', body: '{}' });
  assert.equal(noToken.status, 401);
  expectError(await raw(s, 'POST', '/api/2.0/mlflow/experiments/create', '{"name":"evil"}', { host: 'evil.example:80' }), 403, 'PERMISSION_DENIED', /Host/);
  expectError(await raw(s, 'GET', '/health', undefined, { host: `attacker.test:${s.server.port}` }), 403, 'PERMISSION_DENIED');
  assert.equal(s.store.findExperimentByName('evil'), undefined);
  const health = await raw(s, 'GET', '/health', undefined, { host: `localhost:${s.server.port}`, authorization: '' });
  assert.equal(health.status, 200);
  assert.equal((await raw(s, 'POST', '/ajax-api/2.0/mlflow/experiments/search', '{}')).status, 200);
});

test('bad input: malformed JSON, arrays, oversized batches, unknown runs, param changes, bad values, unknown endpoints', async () => {
  const id = await newRun();
  await s.api('runs/log-parameter', { run_id: id, key: 'lr', value: '0.01' });
  expectError(await s.api('runs/log-parameter', `{"run_id":"${id}","key":"x","value":`), 400, 'INVALID_PARAMETER_VALUE', /Malformed JSON/);
  expectError(await s.api('runs/log-batch', `[{"run_id":"${id}"}]`), 400, 'INVALID_PARAMETER_VALUE', /JSON object/);
  const metrics = Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: 1, step: i }));
  expectError(await s.api('runs/log-batch', { run_id: id, metrics }), 400, 'INVALID_PARAMETER_VALUE', /at most 1000 metrics, got 1001/);
  const kv = (p: string) => Array.from({ length: 101 }, (_, i) => ({ key: `${p}${i}`, value: 'v' }));
  expectError(await s.api('runs/log-batch', { run_id: id, params: kv('p') }), 400, 'INVALID_PARAMETER_VALUE', /at most 100 params, got 101/);
  expectError(await s.api('runs/log-batch', { run_id: id, tags: kv('t') }), 400, 'INVALID_PARAMETER_VALUE', /at most 100 tags, got 101/);
  expectError(await s.api('runs/log-parameter', { run_id: id, key: 'lr', value: '0.5' }), 400, 'INVALID_PARAMETER_VALUE', /Changing param values is not allowed/);
  expectError(await s.api('runs/log-metric', { run_id: id, key: 'm', value: 'abc', timestamp: 1, step: 0 }), 400, 'INVALID_PARAMETER_VALUE', /non-numeric value "abc"/);
  const run = (await s.api(`runs/get?run_id=${id}`)).json.run;
  assert.deepEqual(run.data.params, [{ key: 'lr', value: '0.01' }], 'nothing from the rejected requests was stored');
  assert.deepEqual(run.data.metrics, []);
  assert.deepEqual(Object.keys(tagsOf(run)), ['mlflow.runName']);

  expectError(await s.api(`runs/get?run_id=${'0'.repeat(32)}`), 404, 'RESOURCE_DOES_NOT_EXIST', /not found/);
  expectError(await s.api('runs/log-metric', { run_id: 'a'.repeat(32), key: 'm', value: 1 }), 404, 'RESOURCE_DOES_NOT_EXIST');
  expectError(await s.api('runs/log-metric', { key: 'm', value: 1 }), 400, 'INVALID_PARAMETER_VALUE', /'run_id'/);
  expectError(await s.api('runs/log-parameter', { run_id: id, value: '1' }), 400, 'INVALID_PARAMETER_VALUE', /'key'/);
  expectError(await s.api('runs/frobnicate', {}), 404, 'ENDPOINT_NOT_FOUND', /runs\/frobnicate/);
  expectError(await raw(s, 'GET', '/api/2.0/mlflow/'), 404, 'ENDPOINT_NOT_FOUND');
  expectError(await s.api('runs/get', undefined, { method: 'PUT' }), 405, 'BAD_REQUEST', /GET only/);
});

test('artifacts: PUT, GET byte-identical, sha256 recorded, listed by both list endpoints', async () => {
  const id = await newRun();
  const base = `/api/2.0/mlflow-artifacts/artifacts/0/${id}/artifacts`;
  const content = randomBytes(300_000);
  const put = await raw(s, 'PUT', `${base}/model/weights.bin`, content);
  assert.equal(put.status, 200, put.body.toString());
  assert.equal((await raw(s, 'PUT', `${base}/notes%20v1.txt`, 'hello')).status, 200);
  const get = await raw(s, 'GET', `${base}/model/weights.bin`);
  assert.equal(get.status, 200);
  assert.ok(get.body.equals(content), 'downloaded bytes equal uploaded bytes');
  assert.deepEqual(s.store.recordedArtifacts(id), [
    { path: 'model/weights.bin', size: content.length, sha256: createHash('sha256').update(content).digest('hex') },
    { path: 'notes v1.txt', size: 5, sha256: createHash('sha256').update('hello').digest('hex') },
  ]);

  const root = await s.api(`artifacts/list?run_id=${id}`);
  assert.deepEqual(root.json, {
    root_uri: `mlflow-artifacts:/0/${id}/artifacts`,
    files: [{ path: 'model', is_dir: true }, { path: 'notes v1.txt', is_dir: false, file_size: 5 }],
  });
  const sub = await s.api(`artifacts/list?run_id=${id}&path=model`);
  assert.deepEqual(sub.json.files, [{ path: 'model/weights.bin', is_dir: false, file_size: content.length }]);
  const proxied = await raw(s, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(`0/${id}/artifacts/model`)}`);
  assert.deepEqual(proxied.json, { files: [{ path: 'weights.bin', is_dir: false, file_size: content.length }] });

  expectError(await raw(s, 'GET', `${base}/missing.bin`), 404, 'RESOURCE_DOES_NOT_EXIST', /No artifact file/);
  expectError(await raw(s, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/5/${id}/artifacts/x.txt`, 'x'), 400, 'INVALID_PARAMETER_VALUE', /not in experiment '5'/);
  expectError(await raw(s, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/0/${'e'.repeat(32)}/artifacts/x.txt`, 'x'), 404, 'RESOURCE_DOES_NOT_EXIST');
});

test('artifact paths cannot escape the run folder: ../, %2e%2e%2f, absolute paths, symlinks', async () => {
  const id = await newRun();
  const base = `/api/2.0/mlflow-artifacts/artifacts/0/${id}/artifacts`;
  assert.equal((await raw(s, 'PUT', `${base}/ok.txt`, 'ok')).status, 200);
  const runDir = join(s.store.artifactsRoot, id);
  const outside = join(s.dir, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'TOP SECRET');
  symlinkSync(outside, join(runDir, 'link'));
  /** Every file under the temp folder whose name starts with "pwned", relative to the run folder. */
  const pwned = () => (readdirSync(s.dir, { recursive: true }) as string[]).filter((p) => /(^|\/)pwned/.test(p)).map((p) => relative(runDir, join(s.dir, p)));

  for (const p of ['../../pwned1.txt', '..%2f..%2fpwned2.txt', '%2e%2e%2f%2e%2e%2fpwned3.txt', '%2e%2e/%2e%2e/pwned4.txt', '..%5c..%5cpwned5.txt', 'link/pwned6.txt', 'link%2fpwned7.txt']) {
    const r = await raw(s, 'PUT', `${base}/${p}`, 'pwned');
    assert.ok(r.status >= 400 && r.status < 500, `${p}: refused, got ${r.status}`);
  }
  // An absolute path after artifacts/ may only land inside the run folder.
  for (const p of [`/${outside}/pwned8.txt`, encodeURIComponent(`${outside}/pwned9.txt`)]) {
    const r = await raw(s, 'PUT', `${base}/${p}`, 'pwned');
    assert.ok(r.status < 500, `${p}: ${r.status}`);
  }
  assert.deepEqual(pwned().filter((p) => p.startsWith('..')), [], 'nothing written outside the run folder');
  assert.ok(!existsSync(join(outside, 'pwned6.txt')));

  const leak = await raw(s, 'GET', `${base}/link/secret.txt`);
  assert.equal(leak.status, 400);
  assert.ok(!leak.body.toString().includes('TOP SECRET'));
  expectError(await s.api(`artifacts/list?run_id=${id}&path=link`), 400, 'INVALID_PARAMETER_VALUE', /outside the run's artifact folder/);
  expectError(await s.api(`artifacts/list?run_id=${id}&path=${encodeURIComponent('../..')}`), 400, 'INVALID_PARAMETER_VALUE', /'\.\.'/);
  expectError(await s.api(`artifacts/list?run_id=${id}&path=${encodeURIComponent(outside)}`), 400, 'INVALID_PARAMETER_VALUE', /must be relative/);
  expectError(await raw(s, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(`0/${id}/artifacts/../../..`)}`), 400, 'INVALID_PARAMETER_VALUE');
  const listed = (await s.api(`artifacts/list?run_id=${id}`)).json.files.map((f: any) => f.path);
  assert.ok(!listed.includes('link'), 'symlinks are not listed');
  assert.ok(listed.includes('ok.txt'));
});

test('a dangling symlink inside a run folder is refused with a clear 400, not a 500', async () => {
  const id = await newRun();
  const base = `/api/2.0/mlflow-artifacts/artifacts/0/${id}/artifacts`;
  assert.equal((await raw(s, 'PUT', `${base}/ok.txt`, 'ok')).status, 200);
  symlinkSync(join(s.dir, 'not-there-yet'), join(s.store.artifactsRoot, id, 'dangling'));
  const r = await raw(s, 'PUT', `${base}/dangling/x.txt`, 'pwned');
  assert.ok(!existsSync(join(s.dir, 'not-there-yet')), 'nothing created outside');
  expectError(r, 400, 'INVALID_PARAMETER_VALUE', /outside the run's artifact folder/);
});
