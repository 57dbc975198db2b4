import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ModelRegistry } from '../src/core/registry/model-registry.ts';
import { RunStore } from '../src/core/store/run-store.ts';
import { REPO_ROOT } from './helpers/paths.ts';
import { seedIrisWorkspace } from './helpers/seed-workspace.ts';
import { tempDir } from './helpers/temp-store.ts';

// A real training run of the Iris example, registered, its run deleted, then served from the
// registry's copy by examples/iris/serve.py: the path a deployment takes, without the container.
let t: ReturnType<typeof tempDir>;
let server: ChildProcess;
let url = '';

before(async () => {
  t = tempDir('loopline-serve-');
  const dir = seedIrisWorkspace(join(t.dir, 'iris'), ['0.5'], 60);
  cpSync(join(REPO_ROOT, 'examples', 'iris', 'serve.py'), join(dir, 'serve.py'));
  const store = RunStore.open(join(dir, '.loopline', 'loopline.db'));
  const runId = store.searchRuns({ experimentIds: [store.getExperimentByName('iris-sweep').id] }).runs[0]!.info.id;
  const v = new ModelRegistry(store).registerVersion({ model: 'iris', runId, path: 'model' });
  store.setRunLifecycle(runId, 'deleted');
  rmSync(join(store.artifactsRoot, runId), { recursive: true, force: true });
  store.close();
  server = spawn('python3', [join(dir, 'serve.py'), '--model', v.dir, '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    server.stderr!.on('data', (c) => (err += c));
    server.stdout!.on('data', (c) => {
      out += c;
      const m = /on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    });
    server.on('exit', (code) => reject(new Error(`serve.py exited ${code}: ${err}`)));
  });
});

after(() => {
  server?.kill();
  t?.cleanup();
});

async function invoke(body: unknown) {
  const res = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as any };
}

const SETOSA = [5.1, 3.5, 1.4, 0.2];
const VIRGINICA = [6.9, 3.1, 5.4, 2.1];
const COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

test('serve.py answers /ping and predicts with every MLflow input format, from the registry copy of a deleted run', async () => {
  assert.equal((await fetch(`${url}/ping`)).status, 200);
  assert.deepEqual((await invoke({ instances: [SETOSA] })).json, { predictions: ['setosa'] });
  assert.deepEqual((await invoke({ inputs: [SETOSA, VIRGINICA] })).json, { predictions: ['setosa', 'virginica'] });
  assert.deepEqual((await invoke({ dataframe_split: { columns: [...COLUMNS].reverse(), data: [[...VIRGINICA].reverse()] } })).json, { predictions: ['virginica'] });
  assert.deepEqual((await invoke({ dataframe_records: [Object.fromEntries(COLUMNS.map((c, i) => [c, SETOSA[i]]))] })).json, { predictions: ['setosa'] });
});

test('serve.py refuses bad requests with a 400 that says what was wrong', async () => {
  const cases: Array<[unknown, RegExp]> = [
    ['{not json', /not valid JSON/],
    [{}, /exactly one of instances, inputs, dataframe_split, dataframe_records/],
    [{ instances: [[1, 2]] }, /instances\[0\] must hold 4 numbers/],
    [{ instances: [[1, 2, 'x', 4]] }, /instances\[0\]\[2\] must be a finite number/],
    [{ dataframe_records: [{ sepal_length: 1 }] }, /lacks sepal_width, petal_length, petal_width/],
  ];
  for (const [body, message] of cases) {
    const r = await invoke(body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error_code, 'BAD_REQUEST');
    assert.match(r.json.message, message);
  }
  assert.equal((await fetch(`${url}/nope`)).status, 404);
});
