import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempServer } from './helpers/temp-store.ts';

type Server = Awaited<ReturnType<typeof tempServer>>;
let s: Server;
let runId: string;
before(async () => {
  s = await tempServer();
  // The project's gates (the store is at <dir>/.loopline, so loopline.yaml is read from <dir>).
  writeFileSync(join(s.dir, 'loopline.yaml'), 'gates:\n  - {metric: val_accuracy, min: 0.9}\n');
  runId = await newRun(0.95);
});
after(async () => {
  await s.cleanup();
});

async function newRun(acc: number): Promise<string> {
  const r = await s.api('runs/create', { experiment_id: '0' });
  const id = r.json.run.info.run_id as string;
  await s.api('runs/log-metric', { run_id: id, key: 'val_accuracy', value: acc, timestamp: 1, step: 0 });
  const dir = join(s.store.artifactsRoot, id, 'model');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'MLmodel'), `accuracy: ${acc}\n`);
  return id;
}

function expectError(r: { status: number; json: any }, status: number, code: string, message?: RegExp) {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.equal(r.json?.error_code, code);
  if (message) assert.match(r.json.message, message);
}

test('registered models: create, get, duplicate, search, update, rename, tags', async () => {
  const c = await s.api('registered-models/create', { name: 'iris', description: 'flowers', tags: [{ key: 'team', value: 'ml' }] });
  assert.equal(c.status, 200, c.text);
  const m = c.json.registered_model;
  assert.equal(m.name, 'iris');
  assert.equal(m.description, 'flowers');
  assert.deepEqual(m.tags, [{ key: 'team', value: 'ml' }]);
  assert.equal(typeof m.creation_timestamp, 'number');
  assert.equal(typeof m.last_updated_timestamp, 'number');
  assert.deepEqual(m.latest_versions, []);
  assert.deepEqual(m.aliases, []);

  expectError(await s.api('registered-models/create', { name: 'iris' }), 400, 'RESOURCE_ALREADY_EXISTS', /Registered Model \(name=iris\) already exists/);
  expectError(await s.api('registered-models/create', {}), 400, 'INVALID_PARAMETER_VALUE', /name cannot be empty/);
  expectError(await s.api('registered-models/get?name=nope'), 404, 'RESOURCE_DOES_NOT_EXIST', /Registered Model with name=nope not found/);
  expectError(await s.api('registered-models/get'), 400, 'INVALID_PARAMETER_VALUE', /'name'/);

  await s.api('registered-models/create', { name: 'wine' });
  const all = await s.api('registered-models/search?max_results=1');
  assert.deepEqual(all.json.registered_models.map((x: any) => x.name), ['iris']);
  assert.ok(all.json.next_page_token);
  const next = await s.api(`registered-models/search?max_results=1&page_token=${encodeURIComponent(all.json.next_page_token)}`);
  assert.deepEqual(next.json.registered_models.map((x: any) => x.name), ['wine']);
  assert.equal(next.json.next_page_token, undefined);
  const like = await s.api(`registered-models/search?filter=${encodeURIComponent("name LIKE 'wi%'")}`);
  assert.deepEqual(like.json.registered_models.map((x: any) => x.name), ['wine']);
  const byTag = await s.api(`registered-models/search?filter=${encodeURIComponent("tags.team = 'ml'")}`);
  assert.deepEqual(byTag.json.registered_models.map((x: any) => x.name), ['iris']);
  expectError(await s.api(`registered-models/search?filter=${encodeURIComponent('colour = 1')}`), 400, 'INVALID_PARAMETER_VALUE', /Invalid filter/);

  const u = await s.api('registered-models/update', { name: 'wine', description: 'red' }, { method: 'PATCH' });
  assert.equal(u.json.registered_model.description, 'red');
  const rn = await s.api('registered-models/rename', { name: 'wine', new_name: 'grapes' });
  assert.equal(rn.json.registered_model.name, 'grapes');
  expectError(await s.api('registered-models/rename', { name: 'grapes', new_name: 'iris' }), 400, 'RESOURCE_ALREADY_EXISTS');
  assert.equal((await s.api('registered-models/set-tag', { name: 'grapes', key: 'k', value: 'v' })).status, 200);
  assert.deepEqual((await s.api('registered-models/get?name=grapes')).json.registered_model.tags, [{ key: 'k', value: 'v' }]);
  assert.equal((await s.api('registered-models/delete', { name: 'grapes' }, { method: 'DELETE' })).status, 200);
  expectError(await s.api('registered-models/get?name=grapes'), 404, 'RESOURCE_DOES_NOT_EXIST');
});

test('model versions: create from runs:/ and mlflow-artifacts: sources, get, search, update, download uri, delete', async () => {
  // What mlflow.register_model('runs:/ID/model', 'iris') sends after resolving the run's artifact URI.
  const c1 = await s.api('model-versions/create', { name: 'iris', source: `mlflow-artifacts:/0/${runId}/artifacts/model`, run_id: runId });
  assert.equal(c1.status, 200, c1.text);
  const v1 = c1.json.model_version;
  assert.equal(v1.name, 'iris');
  assert.equal(v1.version, '1');
  assert.equal(v1.status, 'READY');
  assert.equal(v1.current_stage, 'None');
  assert.equal(v1.run_id, runId);
  assert.equal(v1.source, `mlflow-artifacts:/0/${runId}/artifacts/model`);
  assert.deepEqual(v1.aliases, []);
  const c2 = await s.api('model-versions/create', { name: 'iris', source: `runs:/${runId}/model`, tags: [{ key: 'stage', value: 'qa' }] });
  assert.equal(c2.json.model_version.version, '2');
  assert.deepEqual(c2.json.model_version.tags, [{ key: 'stage', value: 'qa' }]);
  // A new name creates the model, as the registry does for register.
  const c3 = await s.api('model-versions/create', { name: 'auto', source: `runs:/${runId}/model` });
  assert.equal(c3.json.model_version.version, '1');

  expectError(await s.api('model-versions/create', { name: 'iris', source: 's3://bucket/model' }), 400, 'INVALID_PARAMETER_VALUE', /runs:\/RUN_ID\/PATH/);
  expectError(await s.api('model-versions/create', { name: 'iris', source: `runs:/${runId}/missing` }), 400, 'INVALID_PARAMETER_VALUE', /no artifact 'missing'/);
  expectError(await s.api('model-versions/create', { name: 'iris', source: `runs:/${runId}/model`, run_id: 'f'.repeat(32) }), 400, 'INVALID_PARAMETER_VALUE', /does not match/);

  const g = await s.api('model-versions/get?name=iris&version=2');
  assert.equal(g.json.model_version.version, '2');
  expectError(await s.api('model-versions/get?name=iris&version=9'), 404, 'RESOURCE_DOES_NOT_EXIST', /Model Version \(name=iris, version=9\) not found/);
  expectError(await s.api('model-versions/get?name=iris&version=abc'), 400, 'INVALID_PARAMETER_VALUE', /positive integer/);

  const search = await s.api(`model-versions/search?filter=${encodeURIComponent("name='iris'")}`);
  assert.deepEqual(search.json.model_versions.map((v: any) => v.version), ['2', '1']);
  const byRun = await s.api(`model-versions/search?filter=${encodeURIComponent(`run_id IN ('${runId}') and name = 'auto'`)}`);
  assert.deepEqual(byRun.json.model_versions.map((v: any) => `${v.name}/${v.version}`), ['auto/1']);

  const reg = await s.api('registered-models/get?name=iris');
  assert.deepEqual(reg.json.registered_model.latest_versions.map((v: any) => v.version), ['2']);
  const latest = await s.api('registered-models/get-latest-versions', { name: 'iris', stages: ['None'] });
  assert.deepEqual(latest.json.model_versions.map((v: any) => v.version), ['2']);

  const u = await s.api('model-versions/update', { name: 'iris', version: '1', description: 'first' }, { method: 'PATCH' });
  assert.equal(u.json.model_version.description, 'first');

  const d = await s.api('model-versions/get-download-uri?name=iris&version=1');
  assert.match(d.json.artifact_uri, /^file:\/\/.*\/\.loopline\/registry\/sha256\/[0-9a-f]{64}$/);
  assert.ok(existsSync(join(fileURLToPath(d.json.artifact_uri), 'MLmodel')));

  assert.equal((await s.api('model-versions/delete', { name: 'auto', version: '1' }, { method: 'DELETE' })).status, 200);
  expectError(await s.api('model-versions/get?name=auto&version=1'), 404, 'RESOURCE_DOES_NOT_EXIST');
});

test('aliases over REST: set, get, delete, reserved names, gates refuse a failing version', async () => {
  const set = await s.api('registered-models/alias', { name: 'iris', alias: 'champion', version: '2' });
  assert.equal(set.status, 200, set.text);
  assert.deepEqual(set.json, {});
  const got = await s.api('registered-models/alias?name=iris&alias=champion');
  assert.equal(got.json.model_version.version, '2');
  assert.deepEqual(got.json.model_version.aliases, ['champion']);
  assert.deepEqual((await s.api('registered-models/get?name=iris')).json.registered_model.aliases, [{ alias: 'champion', version: '2' }]);
  expectError(await s.api('registered-models/alias', { name: 'iris', alias: 'latest', version: '1' }), 400, 'INVALID_PARAMETER_VALUE', /reserved/);
  expectError(await s.api('registered-models/alias', { name: 'iris', alias: 'x', version: '7' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  expectError(await s.api('registered-models/alias?name=iris&alias=nope'), 404, 'RESOURCE_DOES_NOT_EXIST', /alias nope not found/);

  // A version below the project's gate: the alias is refused with the gate report.
  const weak = await newRun(0.5);
  const w = await s.api('model-versions/create', { name: 'iris', source: `runs:/${weak}/model` });
  expectError(await s.api('registered-models/alias', { name: 'iris', alias: 'champion', version: w.json.model_version.version }), 400, 'INVALID_STATE', /val_accuracy >= 0\.9: 0\.5 is below 0\.9/);
  assert.equal((await s.api('registered-models/alias?name=iris&alias=champion')).json.model_version.version, '2');

  const del = await s.api('registered-models/alias?name=iris&alias=champion', undefined, { method: 'DELETE' });
  assert.equal(del.status, 200, del.text);
  expectError(await s.api('registered-models/alias?name=iris&alias=champion'), 404, 'RESOURCE_DOES_NOT_EXIST');

  // Archiving through MLflow's stage transition.
  const t = await s.api('model-versions/transition-stage', { name: 'iris', version: '1', stage: 'Archived' });
  assert.equal(t.json.model_version.current_stage, 'Archived');
  expectError(await s.api('model-versions/transition-stage', { name: 'iris', version: '1', stage: 'Production' }), 400, 'INVALID_PARAMETER_VALUE', /aliases instead of stages/);
});
