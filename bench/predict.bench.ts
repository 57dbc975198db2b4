// npm run bench:predict — batch scoring rows/s through the model's serving container (loopline
// predict's path: CSV streamed, batches over MLflow's scoring protocol, output CSV written) against the
// same model called in-process by a small Python loop over the same rows (csv in, predictions out),
// in the same run. The Iris example's model and serve.py, in loopline/python:bookworm.
import { spawnSync } from 'node:child_process';
import { cpSync, createWriteStream, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { runPredictionJob } from '../src/core/predict/prediction-job.ts';
import { ModelRegistry } from '../src/core/registry/model-registry.ts';
import { RunStore } from '../src/core/store/run-store.ts';
import { seedIrisWorkspace } from '../test/helpers/seed-workspace.ts';
import { testEngine } from '../test/helpers/docker-engine.ts';
import { tempDir } from '../test/helpers/temp-store.ts';

const ROOT = join(import.meta.dirname, '..');
const ROWS = Number(process.env.LOOPLINE_BENCH_ROWS ?? 200_000);
const BATCH = Number(process.env.LOOPLINE_BENCH_BATCH ?? 1000);

// The engine and images as the tests get them (scripts/docker-setup.sh).
const { engine, skip } = testEngine();
if (!engine) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}
process.env.DOCKER_HOST = engine.dockerHost;
const IMAGE = engine.pythonImage;

// The in-process baseline: serve.py's own predict() imported, called once per row of the same CSV.
const LOOP = `
import csv, sys, time
sys.path.insert(0, sys.argv[1])
import serve
model = serve.load_model(sys.argv[2])
features = model["features"]
t0 = time.perf_counter()
n = 0
with open(sys.argv[3], newline="") as f, open(sys.argv[4], "w", newline="") as out:
    r = csv.DictReader(f)
    w = csv.writer(out)
    w.writerow(r.fieldnames + ["prediction"])
    for row in r:
        p = serve.predict(model, [float(row[c]) for c in features])
        w.writerow([row[c] for c in r.fieldnames] + [p])
        n += 1
print(n, time.perf_counter() - t0)
`;

const t = tempDir('loopline-bench-predict-');
try {
  const dir = seedIrisWorkspace(join(t.dir, 'iris'), ['0.5'], 30);
  cpSync(join(ROOT, 'examples', 'iris', 'serve.py'), join(dir, 'serve.py'));
  writeFileSync(join(dir, 'loopline.yaml'), `serve:\n  image: ${IMAGE}\n  command: python3 serve.py --model /model\n  port: 8080\n  health: /ping\n`);
  writeFileSync(join(dir, 'loop.py'), LOOP);
  const input = join(dir, 'rows.csv');
  const out = createWriteStream(input);
  out.write('id,sepal_length,sepal_width,petal_length,petal_width\n');
  for (let i = 0; i < ROWS; i++) out.write(`r${i},${4 + ((i * 7) % 40) / 10},${2 + ((i * 3) % 25) / 10},${1 + ((i * 11) % 60) / 10},${0.1 + ((i * 13) % 24) / 10}\n`);
  out.end();
  await finished(out);

  const store = RunStore.open(join(dir, '.loopline', 'loopline.db'));
  try {
    const registry = new ModelRegistry(store);
    const runId = store.searchRuns({ experimentIds: [store.getExperimentByName('iris-sweep').id] }).runs[0]!.info.id;
    const v = registry.registerVersion({ model: 'iris', runId, path: 'model' });
    const load0 = loadavg()[0]!;

    const loop = spawnSync('python3', [join(dir, 'loop.py'), dir, v.dir, input, join(dir, 'loop-out.csv')], { encoding: 'utf8' });
    if (loop.status !== 0) throw new Error(`python loop failed: ${loop.stderr}`);
    const [n, secs] = loop.stdout.trim().split(' ').map(Number) as [number, number];
    const inProcess = n / secs;

    const job = await runPredictionJob(registry, `iris/${v.version}`, { input, output: join(dir, 'predictions.csv'), batchSize: BATCH });
    if (job.status !== 'finished' || job.scored !== ROWS) throw new Error(`the job did not score every row: ${job.status} ${job.scored} ${job.error ?? ''}`);
    const container = job.rowsPerSecond;
    const withStart = (ROWS * 1000) / job.totalMs;

    console.log(`batch scoring, ${ROWS.toLocaleString('en-US')} rows, batch ${BATCH} (load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)})`);
    console.log(`  in-process Python loop (serve.predict per row, csv in/out): ${Math.round(inProcess).toLocaleString('en-US')} rows/s`);
    console.log(`  loopline predict through the container:                    ${Math.round(container).toLocaleString('en-US')} rows/s (${(container / inProcess).toFixed(2)}x the loop)`);
    console.log(`  … counting the container's start (${(job.totalMs - job.elapsedMs).toFixed(0)} ms):      ${Math.round(withStart).toLocaleString('en-US')} rows/s (${(withStart / inProcess).toFixed(2)}x)`);
  } finally {
    store.close();
  }
} finally {
  t.cleanup();
}
