// `loopline profile` and `loopline drift` through the real launcher, on generated files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalDraw, seededRandom } from '../src/core/monitoring/seeded-random.ts';
import { runCli } from './helpers/cli.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'loopline-cli-monitor-'));
  const rnd = seededRandom(3);
  const write = (name: string, rows: number, shift: number) => {
    const lines = ['sepal_length,petal_length,species'];
    for (let i = 0; i < rows; i++) lines.push(`${(5.8 + 0.8 * normalDraw(rnd)).toFixed(3)},${(3.7 + shift + 1.7 * normalDraw(rnd)).toFixed(3)},${['setosa', 'versicolor', 'virginica'][Math.floor(rnd() * 3)]}`);
    writeFileSync(join(dir, name), lines.join('\n') + '\n');
  };
  write('train.csv', 800, 0);
  write('shifted.csv', 1500, 1.5);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('loopline profile prints a table, --json the profile, --out saves it', async () => {
  const human = await runCli(['profile', 'train.csv'], { cwd: dir });
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /train\.csv {2}CSV {2}800 rows x 3 columns/);
  assert.match(human.stdout, /species +categorical/);
  const json = await runCli(['profile', 'train.csv', '--json', '--out', 'ref.json'], { cwd: dir });
  assert.equal(json.code, 0, json.stderr);
  const p = JSON.parse(json.stdout);
  assert.equal(p.rows, 800);
  assert.deepEqual(p.columns.map((c: any) => c.type), ['numeric', 'numeric', 'categorical']);
  assert.equal(JSON.parse(readFileSync(join(dir, 'ref.json'), 'utf8')).source.sha256, p.source.sha256);
});

test('loopline drift flags the shifted feature only, from a file or a saved profile', async () => {
  for (const ref of ['train.csv', 'ref.json']) {
    const r = await runCli(['drift', ref, 'shifted.csv', '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.drifted, false);
    const byName = Object.fromEntries(out.features.map((f: any) => [f.name, f]));
    assert.equal(byName.petal_length.status, 'drift');
    assert.equal(byName.petal_length.test, 'ks');
    assert.ok(byName.petal_length.pValue < 0.05);
    assert.equal(byName.petal_length.threshold, 0.05);
    assert.equal(byName.petal_length.sampleSize, 1500);
    assert.equal(byName.sepal_length.status, 'ok');
    assert.equal(byName.species.status, 'ok');
    assert.equal(byName.species.test, 'chi-squared');
  }
  const human = await runCli(['drift', 'ref.json', 'shifted.csv'], { cwd: dir });
  assert.match(human.stdout, /petal_length +ks .* drift/);
  assert.match(human.stdout, /Dataset: no drift \(1 of 3 features drifted/);
});

test('bad input: clear errors, usage exit code 2', async () => {
  const none = await runCli(['drift', 'train.csv'], { cwd: dir });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /loopline drift REFERENCE CURRENT/);
  writeFileSync(join(dir, 'not-a-profile.json'), '{"hello": 1}');
  const bad = await runCli(['drift', 'not-a-profile.json', 'train.csv'], { cwd: dir });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /not a Loopline data profile.*loopline profile DATA_FILE --out/);
  const xlsx = await runCli(['profile', 'data.xlsx'], { cwd: dir });
  assert.equal(xlsx.code, 1);
  assert.match(xlsx.stderr, /reads CSV/);
});

test('thresholds come from loopline.yaml monitoring:, and a typo there is an error', async () => {
  const project = join(dir, 'project');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'loopline.yaml'), 'monitoring:\n  min_sample: 2000\n');
  const r = await runCli(['drift', join(dir, 'ref.json'), join(dir, 'shifted.csv'), '--json'], { cwd: project });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.status, 'insufficient-data');
  assert.equal(out.drifted, false);
  assert.deepEqual(out.features.map((f: any) => [f.status, f.note]), Array(3).fill(['insufficient-data', 'the reference has only 800 values (needs 2000)']));
  writeFileSync(join(project, 'loopline.yaml'), 'monitoring:\n  min_sample: 50\n  psi: {moderate: 5, major: 10}\n');
  const psi = JSON.parse((await runCli(['drift', join(dir, 'ref.json'), join(dir, 'shifted.csv'), '--json'], { cwd: project })).stdout);
  assert.deepEqual(psi.features.map((f: any) => [f.name, f.status, f.psi.level]), [['sepal_length', 'ok', 'none'], ['petal_length', 'drift', 'none'], ['species', 'ok', 'none']]);
  writeFileSync(join(project, 'loopline.yaml'), 'monitoring:\n  stat_treshold: 0.01\n');
  const bad = await runCli(['drift', join(dir, 'ref.json'), join(dir, 'shifted.csv')], { cwd: project });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /monitoring\.stat_treshold is not a setting\. Known: stat_test_threshold/);
});
