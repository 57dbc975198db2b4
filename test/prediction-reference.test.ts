// Issue 9: registering a version with loopline.yaml data.validation scores that data as served and
// keeps the model's predictions as the reference for prediction drift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { referenceProfilePath, monitorReport } from '../src/core/capture/deployment-monitor.ts';
import type { DataProfile } from '../src/core/monitoring/profile-types.ts';
import { runCli } from './helpers/cli.ts';
import { testEngine } from './helpers/docker-engine.ts';
import { IRIS_SERVE, scoringProject, serveYaml } from './helpers/scoring-project.ts';

const { engine, skip } = testEngine();

test('register scores data.validation as served; prediction drift then compares with those predictions', { skip, timeout: 180_000 }, async () => {
  const p = scoringProject();
  try {
    writeFileSync(join(p.dir, 'loopline.yaml'), serveYaml(IRIS_SERVE, 'data: {train: iris.csv, validation: iris.csv, label: species}\n'));
    const r = await runCli(['register', p.runId, '--name', 'iris', '--path', 'model', '--json'], { cwd: p.dir, env: { DOCKER_HOST: engine!.dockerHost } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Prediction reference: predictions of iris\/3 on iris\.csv \(150 rows\)/);
    const v = p.registry.getVersion('iris', 3);
    const profile = JSON.parse(readFileSync(referenceProfilePath(p.registry, v), 'utf8')) as DataProfile;
    const top = new Map((profile.predictions?.column.top ?? []).map((t) => [t.value, t.count]));
    assert.deepEqual([...top.keys()].sort(), ['setosa', 'versicolor', 'virginica']);
    assert.equal([...top.values()].reduce((a, b) => a + b, 0), 150);
    // ~50 of each (the model is right on ~97% of the data it was trained on), not the labels' exact 50.
    for (const n of top.values()) assert.ok(n >= 40 && n <= 60, `${n}`);

    // Live traffic predicting only setosa drifts from that reference, which the report names.
    const request = JSON.stringify({ dataframe_split: { columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], data: [[5.1, 3.5, 1.4, 0.2]] } });
    const captured = Array.from({ length: 200 }, (_, i) => ({ requestId: `r${i}`, time: i, status: 200, request, response: '{"predictions": ["setosa"]}' }));
    const report = monitorReport({
      deployment: 'd', model: 'iris', version: v, reference: profile, captured: captured as never, stored: 200, feedback: new Map(),
      capture: { enabled: true, sampling: 1, ring: 1000 } as never, settings: {} as never, window: { kind: 'last', last: 200 } as never,
    });
    assert.ok('reference' in report.prediction && report.prediction.reference === 'predictions of iris/3 on iris.csv', JSON.stringify(report.prediction));
    assert.ok('drifted' in report.prediction && report.prediction.drifted, 'only setosa is a drift from a third of each');
  } finally {
    p.cleanup();
  }
});
