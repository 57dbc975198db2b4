import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { registryProject } from './helpers/registry-project.ts';

test('CLI: register, models, versions, alias set (gates, --force --reason), alias delete, gate, archive, audit', async () => {
  const p = await registryProject();
  try {
    const good = await p.makeRun({ metrics: { val_accuracy: 0.96, latency_ms: 10 } });
    const bad = await p.makeRun({ metrics: { val_accuracy: 0.8, latency_ms: 10 } });
    const cli = (...a: string[]) => runCli(a, { cwd: p.dir });

    const r1 = await cli('register', good, '--path', 'model', '--name', 'iris');
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r1.stdout.trim(), '1', 'stdout is the new version number');
    assert.match(r1.stderr, /Registered iris\/1 from run .* Model card: .*MODEL_CARD\.md/);
    const r2 = await cli('register', bad.slice(0, 8), '--path', 'model', '--name', 'iris', '--json');
    assert.equal(r2.code, 0, r2.stderr);
    const v2 = JSON.parse(r2.stdout);
    assert.equal(v2.version, 2);
    assert.equal(v2.lineage.metrics.val_accuracy.last, 0.8);
    assert.match(readFileSync(v2.modelCard, 'utf8'), /iris version 2/);

    const missing = await cli('register', good, '--path', 'nope', '--name', 'iris');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no artifact 'nope'/);
    const usage = await cli('register', good);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--name MODEL/);

    const models = await cli('models');
    assert.match(models.stdout, /^NAME\s+VERSIONS\s+LATEST\s+ALIASES/m);
    assert.match(models.stdout, /^iris\s+2\s+2\s+-/m);

    assert.equal((await cli('alias', 'set', 'iris', 'champion', '1')).code, 0);
    const refused = await cli('alias', 'set', 'iris', 'champion', '2');
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /Gates for iris\/2: FAILED/);
    assert.match(refused.stdout, /FAIL\s+val_accuracy >= 0\.9\s+value 0\.8\s+threshold 0\.9/);
    assert.match(refused.stdout, /PASS\s+latency_ms <= 50/);
    assert.match(refused.stderr, /was not moved/);
    assert.equal((await cli('alias', 'set', 'iris', 'champion', '2', '--force')).code, 2);
    const forced = await cli('alias', 'set', 'iris', 'champion', '2', '--force', '--reason', 'rollback test', '--json');
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(JSON.parse(forced.stdout).passed, false);

    const versions = JSON.parse((await cli('versions', 'iris', '--json')).stdout);
    assert.deepEqual(versions.map((v: any) => [v.version, v.aliases]), [[2, ['champion']], [1, []]]);
    const text = await cli('versions', 'iris');
    assert.match(text.stdout, /^2\s+@champion\s+[0-9a-f]{8}\s+val_accuracy=0\.8/m);

    // The gate command for CI: exit 1 on failure, 0 on success, JSON report.
    const gBad = await cli('gate', bad);
    assert.equal(gBad.code, 1);
    const gGood = await cli('gate', 'iris/1', '--json');
    assert.equal(gGood.code, 0, gGood.stdout);
    assert.equal(JSON.parse(gGood.stdout).results[1].reason, 'ok (@champion iris/2: 0.8)');
    assert.equal((await cli('gate', 'iris@champion')).code, 1);
    const gRun = JSON.parse((await cli('gate', good, '--json')).stdout);
    assert.equal(gRun.passed, true);
    assert.equal(gRun.results.length, 3);

    assert.equal((await cli('archive', 'iris/2')).code, 1, 'holds @champion');
    assert.equal((await cli('alias', 'delete', 'iris', 'champion')).code, 0);
    const arch = await cli('archive', 'iris/2');
    assert.equal(arch.code, 0, arch.stderr);
    assert.doesNotMatch((await cli('versions', 'iris')).stdout, /^2\s/m);

    const audit = JSON.parse((await cli('audit', '--json')).stdout);
    assert.deepEqual(
      audit.map((e: any) => `${e.action}:${e.outcome}`),
      ['register:ok', 'register:ok', 'alias.set:ok', 'alias.set:refused', 'gate.override:ok', 'alias.set:ok', 'archive:refused', 'alias.delete:ok', 'archive:ok'],
    );
    assert.equal(audit[4].detail.reason, 'rollback test');
    const table = await cli('audit');
    assert.match(table.stdout, /gate\.override\s+iris\/2\s+ok\s+Test <test@example\.com>\s+[0-9a-f]{8}\s+@champion, reason: rollback test/);
    const exp = await cli('audit', '--export', 'audit.jsonl');
    assert.match(exp.stdout, /Exported 9 audit entries/);
    assert.equal(readFileSync(join(p.dir, 'audit.jsonl'), 'utf8').trim().split('\n').length, 9);
  } finally {
    p.cleanup();
  }
});
