// A run records the data loopline.yaml declares (issue 9: lineage), and a version registered from
// it carries that data into its lineage and model card.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitRepo, runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp-store.ts';

test('a run fingerprints the data loopline.yaml declares; a missing file is reported, not fatal; the version keeps it', { timeout: 60_000 }, async () => {
  const t = tempDir();
  try {
    const csv = 'x,y\n' + Array.from({ length: 250 }, (_, i) => `${i},${i % 3}`).join('\n') + '\n';
    gitRepo(t.dir, {
      'data/train.csv': csv,
      'loopline.yaml': 'data: {train: data/train.csv, validation: data/missing.csv}\n',
      '.gitignore': '.loopline/\n',
    });
    const r = await runCli(['run', '--name', 'fit', '--', 'python3', '-c', 'print("trained")'], { cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /data\.validation \(data\/missing\.csv\) was not recorded/);
    const runs = JSON.parse((await runCli(['ls', '--json'], { cwd: t.dir })).stdout) as Array<{ info: { id: string }; tags: Record<string, string> | Array<{ key: string; value: string }> }>;
    const run = runs[0]!;
    const tags = Array.isArray(run.tags) ? Object.fromEntries(run.tags.map((x) => [x.key, x.value])) : run.tags;
    assert.equal(tags['loopline.data.train.sha256'], createHash('sha256').update(csv).digest('hex'));
    assert.equal(tags['loopline.data.train.rows'], '250');
    assert.equal(tags['loopline.data.train.bytes'], String(Buffer.byteLength(csv)));
    assert.equal(tags['loopline.data.train.name'], 'data/train.csv');
    assert.equal(tags['loopline.data.validation.sha256'], undefined);

    const reg = await runCli(['register', run.info.id, '--name', 'm', '--path', 'logs', '--json'], { cwd: t.dir });
    assert.equal(reg.code, 0, reg.stderr);
    const v = JSON.parse(reg.stdout) as { lineage: { data?: Record<string, { sha256: string; rows: number }> } };
    assert.equal(v.lineage.data?.train?.rows, 250);
    assert.equal(v.lineage.data?.train?.sha256, tags['loopline.data.train.sha256']);
    const card = readFileSync(join(t.dir, '.loopline', 'registry', 'models', 'm', '1', 'MODEL_CARD.md'), 'utf8');
    assert.match(card, /- train: `data\/train\.csv`, 250 rows, \d+ bytes, sha256 `[0-9a-f]{64}`/);
  } finally {
    t.cleanup();
  }
});
