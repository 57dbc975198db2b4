import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelRegistry, GateFailedError } from '../src/core/registry/model-registry.ts';
import { verifyContent } from '../src/core/registry/registry-files.ts';
import { registryProject } from './helpers/registry-project.ts';

test('register copies the files into the content store and keeps the lineage, even after the run is deleted', async () => {
  const p = await registryProject();
  try {
    const parent = await p.makeRun({ metrics: { val_accuracy: 0.5 } });
    const runId = await p.makeRun({ metrics: { val_accuracy: 0.93, latency_ms: 12 }, parent, edit: 'print("train v2")\n' });
    const reg = new ModelRegistry(p.store);
    const v = reg.registerVersion({ model: 'iris', runId, path: 'model' });
    assert.equal(v.version, 1);
    assert.equal(v.fileCount, 2);
    assert.match(v.dir, /\.loopline\/registry\/sha256\/[0-9a-f]{64}$/);
    assert.equal(readFileSync(join(v.dir, 'weights.json'), 'utf8'), JSON.stringify({ w: [1, 2, 3] }));
    assert.equal(statSync(join(v.dir, 'weights.json')).mode & 0o222, 0, 'registered files are read-only');
    // Lineage: run, commit and patch, params, metrics, sweep parent, serving spec, who, when.
    const l = v.lineage;
    assert.equal(l.runId, runId);
    assert.equal(l.experimentName, 'iris');
    assert.equal(l.git?.commit, p.git('rev-parse', 'HEAD'));
    assert.equal(l.git?.dirty, true);
    assert.match(reg.versionPatch('iris', 1) ?? '', /train v2/);
    assert.deepEqual(l.params, { lr: '0.1', dataset: 'iris-v1' });
    assert.equal(l.metrics.val_accuracy?.last, 0.93);
    assert.equal(l.sweepParent, parent);
    assert.deepEqual(l.serve, { build: '.', command: 'python3 serve.py --model /model', port: 8080, health: '/ping' });
    assert.equal(l.registeredBy, 'Test <test@example.com>');
    assert.equal(v.userId, 'Test <test@example.com>');
    // The model card is prefilled from the lineage.
    const card = readFileSync(reg.modelCardPath('iris', 1), 'utf8');
    assert.match(card, /# Model card: iris version 1/);
    assert.match(card, /\| val_accuracy \| 0\.93 \|/);
    assert.match(card, /param `dataset` = `iris-v1`/);
    assert.match(card, new RegExp(`commit \`${l.git!.commit}\``));
    assert.match(card, /## Intended use/);

    // Same files again: a new version sharing the stored content.
    const v2 = reg.registerVersion({ model: 'iris', runId, path: 'model' });
    assert.equal(v2.version, 2);
    assert.equal(v2.contentHash, v.contentHash);

    // Deleting the run and its artifacts cannot break the version.
    p.store.setRunLifecycle(runId, 'deleted');
    rmSync(join(p.store.artifactsRoot, runId), { recursive: true, force: true });
    assert.ok(verifyContent(reg.root, v.contentHash));
    const again = reg.getVersion('iris', 1);
    assert.equal(again.lineage.metrics.val_accuracy?.last, 0.93);
    assert.ok(existsSync(join(again.dir, 'MLmodel')));
  } finally {
    p.cleanup();
  }
});

test('register refuses what it cannot copy, and leaves nothing behind', async () => {
  const p = await registryProject();
  try {
    const runId = await p.makeRun({ metrics: { val_accuracy: 0.95 } });
    const reg = new ModelRegistry(p.store);
    assert.throws(() => reg.registerVersion({ model: 'iris', runId, path: 'nope' }), /has no artifact 'nope'.*--path/);
    assert.throws(() => reg.registerVersion({ model: 'iris', runId, path: '../x' }), /may not contain '\.\.'/);
    assert.throws(() => reg.registerVersion({ model: 'a/b', runId, path: 'model' }), /may not contain '\/'/);
    assert.throws(() => reg.registerVersion({ model: 'iris', runId: 'ffff0000', path: 'model' }), /No run id starts with/);
    assert.deepEqual(reg.listModels(), []);
    assert.deepEqual(reg.audit.list(), []);
  } finally {
    p.cleanup();
  }
});

test('aliases: one version per alias per model, reserved names refused, delete', async () => {
  const p = await registryProject('');
  try {
    const runId = await p.makeRun({ metrics: { val_accuracy: 0.95 } });
    const reg = new ModelRegistry(p.store);
    reg.registerVersion({ model: 'iris', runId, path: 'model' });
    reg.registerVersion({ model: 'iris', runId, path: 'model' });
    reg.setAlias('iris', 'champion', 1);
    reg.setAlias('iris', 'challenger', 2);
    reg.setAlias('iris', 'champion', 2);
    assert.deepEqual(reg.getModel('iris').aliases, { challenger: 2, champion: 2 });
    assert.deepEqual(reg.getVersion('iris', 1).aliases, []);
    assert.deepEqual(reg.getVersion('iris', 2).aliases, ['challenger', 'champion']);
    assert.equal(reg.resolve('iris@champion').version, 2);
    assert.equal(reg.resolve('iris/1').version, 1);
    assert.throws(() => reg.setAlias('iris', 'latest', 1), /'latest' alias name \(case insensitive\) is reserved/);
    assert.throws(() => reg.setAlias('iris', 'v3', 1), /reserved/);
    assert.throws(() => reg.setAlias('iris', 'bad name', 1), /Invalid alias name/);
    assert.throws(() => reg.setAlias('iris', 'x', 9), /Model Version \(name=iris, version=9\) not found/);
    reg.deleteAlias('iris', 'challenger');
    assert.throws(() => reg.deleteAlias('iris', 'challenger'), /alias challenger not found/);
    assert.throws(() => reg.resolve('iris@challenger'), /alias challenger not found/);
  } finally {
    p.cleanup();
  }
});

test('gates: every gate is reported; a failure refuses the alias; --force needs a reason and is audited', async () => {
  const p = await registryProject();
  try {
    const good = await p.makeRun({ metrics: { val_accuracy: 0.95, latency_ms: 20 } });
    const worse = await p.makeRun({ metrics: { val_accuracy: 0.91, latency_ms: 80 } });
    const reg = new ModelRegistry(p.store);
    reg.registerVersion({ model: 'iris', runId: good, path: 'model' });
    reg.registerVersion({ model: 'iris', runId: worse, path: 'model' });
    const first = reg.setAlias('iris', 'champion', 1);
    assert.equal(first.passed, true);
    assert.deepEqual(first.results.map((r) => r.verdict), ['pass', 'skip', 'pass']); // no @champion yet to beat
    assert.equal(reg.checkVersionGates(reg.getVersion('iris', 1)).results[1]!.reason, 'this version already is @champion');

    let err: unknown;
    try {
      reg.setAlias('iris', 'champion', 2);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof GateFailedError, String(err));
    const report = err.report;
    assert.equal(report.passed, false);
    assert.deepEqual(
      report.results.map((r) => [r.gate, r.value, r.threshold, r.verdict]),
      [
        ['val_accuracy >= 0.9', 0.91, 0.9, 'pass'],
        ['val_accuracy beats @champion by 0', 0.91, 0.95, 'fail'],
        ['latency_ms <= 50', 80, 50, 'fail'],
      ],
    );
    assert.match(err.message, /--force --reason/);
    assert.equal(reg.getModel('iris').aliases.champion, 1, 'the alias did not move');
    assert.throws(() => reg.setAlias('iris', 'champion', 2, { force: true }), /--force needs --reason/);
    reg.setAlias('iris', 'champion', 2, { force: true, reason: 'hotfix for a data bug' });
    assert.equal(reg.getModel('iris').aliases.champion, 2);
    const override = reg.audit.list().find((e) => e.action === 'gate.override');
    assert.equal(override?.detail.reason, 'hotfix for a data bug');
    assert.equal((override?.detail.report as { passed: boolean }).passed, false);

    // Gates on a run that is not registered yet (what `loopline gate RUN_ID` runs in CI).
    assert.equal(reg.checkRunGates(good).passed, true);
    const r = reg.checkRunGates(worse, 'iris');
    assert.equal(r.passed, false);
    assert.equal(r.results[1]!.verdict, 'pass', 'worse is the run behind @champion now');
  } finally {
    p.cleanup();
  }
});

test('a broken gates section says what is wrong', async () => {
  const p = await registryProject('gates:\n  - {metric: acc, minn: 0.9}\n');
  try {
    const reg = new ModelRegistry(p.store);
    assert.throws(() => reg.gates(), /gates\[0\] has unknown key 'minn'/);
    writeFileSync(join(p.dir, 'loopline.yaml'), 'gates: [{metric: acc}]\n');
    assert.throws(() => reg.gates(), /checks nothing: give min:, max: or beats:/);
    writeFileSync(join(p.dir, 'loopline.yaml'), 'gates: [ {metric: acc\n');
    assert.throws(() => reg.gates(), /is not valid YAML/);
  } finally {
    p.cleanup();
  }
});

test('archive and delete are refused while deployed (or aliased); the audit log is append-only', async () => {
  const p = await registryProject('');
  try {
    const runId = await p.makeRun({ metrics: { val_accuracy: 0.95 } });
    const deployed = new Map<string, number[]>();
    // The deploy feature answers this; here a map plays the deployment records.
    const reg = new ModelRegistry(p.store, { deployedVersions: (m) => deployed.get(m) ?? [] });
    reg.registerVersion({ model: 'iris', runId, path: 'model' });
    reg.registerVersion({ model: 'iris', runId, path: 'model' });
    reg.setAlias('iris', 'champion', 2);
    deployed.set('iris', [1]);
    assert.throws(() => reg.archiveVersion('iris', 1), /iris\/1 is deployed/);
    assert.throws(() => reg.deleteModel('iris'), /has deployed versions \(1\); undeploy/);
    assert.throws(() => reg.deleteVersion('iris', 1), /is deployed/);
    assert.throws(() => reg.archiveVersion('iris', 2), /holds alias @champion/);
    deployed.clear();
    assert.equal(reg.archiveVersion('iris', 1).archived, true);
    assert.deepEqual(reg.listVersions('iris', { includeArchived: false }).map((v) => v.version), [2]);
    assert.throws(() => reg.setAlias('iris', 'old', 1), /is archived/);
    reg.deleteModel('iris');
    assert.deepEqual(reg.listModels(), []);

    const log = reg.audit.list();
    assert.deepEqual(
      log.map((e) => `${e.action}:${e.outcome}`),
      ['register:ok', 'register:ok', 'alias.set:ok', 'archive:refused', 'model.delete:refused', 'version.delete:refused', 'archive:refused', 'archive:ok', 'model.delete:ok'],
    );
    for (const e of log) {
      assert.equal(e.actor, 'Test <test@example.com>');
      assert.equal(e.commit, p.git('rev-parse', 'HEAD'));
      assert.ok(e.time > 0);
    }
    assert.throws(() => p.store.db.prepare('UPDATE audit_log SET outcome = ?').run('ok'), /append-only/);
    assert.throws(() => p.store.db.prepare('DELETE FROM audit_log').run(), /append-only/);
    assert.equal(reg.audit.list().length, log.length);
    const file = join(p.dir, 'audit.jsonl');
    assert.equal(await reg.audit.exportJsonl(file), log.length);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines, log);
  } finally {
    p.cleanup();
  }
});
