import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importRuns } from '../src/core/importers/run-import.ts';
import { RunStore } from '../src/core/store/run-store.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir, tempStore } from './helpers/temp-store.ts';
import { fixture } from './helpers/import-fixtures.ts';

const SECRET = 'BEGIN OPENSSH PRIVATE KEY (test secret)';

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

/** One MLflow run folder with a metric, whose meta.yaml names `artifactUri`. */
function mlflowRun(root: string, runId: string, artifactUri: string): string {
  const run = join(root, '0', runId);
  write(join(root, '0', 'meta.yaml'), "artifact_location: file:///x/0\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n");
  write(
    join(run, 'meta.yaml'),
    `artifact_uri: ${artifactUri}\nend_time: 1700000009000\nexperiment_id: '0'\nlifecycle_stage: active\nrun_id: ${runId}\nrun_name: r-${runId.slice(0, 4)}\nrun_uuid: ${runId}\nstart_time: 1700000000000\nstatus: 3\nuser_id: me\n`,
  );
  write(join(run, 'metrics', 'loss'), '1700000001000 0.5 0\n1700000002000 0.25 1\n');
  return run;
}

/** Every file's text under a folder, recursively. */
function allText(dir: string): string {
  let out = '';
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out += readFileSync(join(e.parentPath, e.name), 'utf8');
  }
  return out;
}

test('a downloaded mlruns cannot pull files from outside it into the store; unreadable artifacts are reported and the rest imports', async () => {
  const t = tempStore();
  const src = tempDir();
  try {
    // Outside the imported folder: what an attacker's artifact_uri or link would aim at.
    const outside = join(src.dir, 'home', '.ssh');
    write(join(outside, 'id_rsa'), SECRET);
    const root = join(src.dir, 'download', 'mlruns');

    // A: artifact_uri names the outside folder; its own artifacts/ folder holds good files, a link out,
    // a link inside, a dangling link and a link to a folder.
    const a = mlflowRun(root, 'a'.repeat(32), `file://${outside}`);
    write(join(a, 'artifacts', 'ok.txt'), 'fine');
    write(join(a, 'artifacts', 'sub', 'model.bin'), 'weights');
    symlinkSync(join(outside, 'id_rsa'), join(a, 'artifacts', 'stolen'));
    symlinkSync(join(a, 'artifacts', 'ok.txt'), join(a, 'artifacts', 'alias.txt'));
    symlinkSync(join(src.dir, 'nowhere'), join(a, 'artifacts', 'dangling'));
    symlinkSync(join(a, 'artifacts', 'sub'), join(a, 'artifacts', 'folder-link'));
    // B: its artifacts/ folder is itself a link out of the store.
    const b = mlflowRun(root, 'b'.repeat(32), 'file:///elsewhere/artifacts');
    symlinkSync(outside, join(b, 'artifacts'));
    // C: a plain absolute path as artifact_uri (older MLflow), outside.
    mlflowRun(root, 'c'.repeat(32), outside);

    // The dry run already says what would be refused, and writes nothing.
    const dry = await runCli(['import', 'mlflow', root, '--dry-run', '--json'], { cwd: src.dir });
    assert.equal(dry.code, 0, dry.stderr);
    const drySummary = JSON.parse(dry.stdout);
    assert.deepEqual(drySummary.artifacts, { copied: 3, missing: 0, refused: 4, failed: 2 });

    const s = importRuns(t.store, { path: root });
    assert.equal(s.runs.created, 3, 'every run is imported');
    assert.equal(s.metricPoints.added, 6);
    assert.deepEqual(s.artifacts, { copied: 3, missing: 0, refused: 4, failed: 2 });
    assert.deepEqual(t.store.recordedArtifacts('a'.repeat(32)).map((x) => x.path), ['alias.txt', 'ok.txt', 'sub/model.bin']);
    assert.equal(readFileSync(join(t.store.artifactsRoot, 'a'.repeat(32), 'alias.txt'), 'utf8'), 'fine', 'a link inside the folder is copied as its file');
    assert.deepEqual(t.store.recordedArtifacts('b'.repeat(32)), []);
    assert.deepEqual(t.store.recordedArtifacts('c'.repeat(32)), []);
    assert.ok(!allText(t.store.artifactsRoot).includes(SECRET), 'the secret is nowhere in the store artifacts');

    const msg = (file: string) => s.skipped.find((p) => p.file === file)?.message ?? `(nothing reported for ${file}: ${JSON.stringify(s.skipped)})`;
    assert.match(msg(join(a, 'meta.yaml')), new RegExp(`names ${outside}, outside the imported folder.*--artifacts-from`));
    assert.match(msg(join(a, 'artifacts', 'stolen')), /leads to .*id_rsa, outside the imported folder.*--artifacts-from/);
    assert.match(msg(join(a, 'artifacts', 'dangling')), /symbolic link to a file that does not exist/);
    assert.match(msg(join(a, 'artifacts', 'folder-link')), /not a regular file \(a folder\)/);
    assert.match(msg(join(b, 'artifacts')), /link that leads outside the imported folder/);
    assert.match(msg(join(root, '0', 'c'.repeat(32), 'meta.yaml')), /outside the imported folder/);

    // How to proceed: name the folder you trust, and its files come in (through the real CLI).
    const storePath = join(src.dir, 'trusted.db');
    const trusted = await runCli(['import', 'mlflow', root, '--artifacts-from', outside, '--json', '--store', storePath], { cwd: src.dir });
    assert.equal(trusted.code, 0, trusted.stderr);
    const ts = JSON.parse(trusted.stdout);
    assert.equal(ts.artifacts.refused, 0);
    const store = RunStore.open(storePath);
    try {
      assert.deepEqual(store.recordedArtifacts('c'.repeat(32)).map((x) => x.path), ['id_rsa']);
      assert.deepEqual(store.recordedArtifacts('b'.repeat(32)).map((x) => x.path), ['id_rsa']);
    } finally {
      store.close();
    }
    const bad = await runCli(['import', 'mlflow', root, '--artifacts-from', join(src.dir, 'no-such'), '--store', storePath], { cwd: src.dir });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--artifacts-from .*no-such: no such folder/);
  } finally {
    t.cleanup();
    src.cleanup();
  }
});

test('an artifact that cannot be read does not abort the import (permission denied, when not root)', { skip: process.getuid?.() === 0 ? 'root reads files whatever their mode' : false }, () => {
  const t = tempStore();
  const src = tempDir();
  try {
    const root = join(src.dir, 'mlruns');
    const a = mlflowRun(root, 'd'.repeat(32), 'file:///elsewhere');
    write(join(a, 'artifacts', 'locked.bin'), 'x');
    write(join(a, 'artifacts', 'open.txt'), 'y');
    chmodSync(join(a, 'artifacts', 'locked.bin'), 0);
    mlflowRun(root, 'e'.repeat(32), 'file:///elsewhere');
    const s = importRuns(t.store, { path: root });
    assert.equal(s.runs.created, 2);
    assert.equal(s.artifacts.failed, 1);
    assert.match(s.skipped.find((p) => p.file.endsWith('locked.bin'))!.message, /EACCES/);
    assert.deepEqual(t.store.recordedArtifacts('d'.repeat(32)).map((x) => x.path), ['open.txt']);
    chmodSync(join(a, 'artifacts', 'locked.bin'), 0o644);
    assert.equal(statSync(join(a, 'artifacts', 'locked.bin')).size, 1);
  } finally {
    t.cleanup();
    src.cleanup();
  }
});

test('artifacts beside the mlruns folder come in when the project folder is imported; a URL-encoded file:// URI is decoded', () => {
  const t = tempStore();
  const src = tempDir();
  try {
    const project = join(src.dir, 'my project');
    const id = 'f'.repeat(32);
    const artifacts = join(project, 'ml artifacts', '0', id, 'artifacts');
    write(join(artifacts, 'model', 'MLmodel'), 'flavors: {}\n');
    mlflowRun(join(project, 'mlruns'), id, `file://${encodeURI(artifacts)}`);
    assert.match(readFileSync(join(project, 'mlruns', '0', id, 'meta.yaml'), 'utf8'), /ml%20artifacts/);
    const s = importRuns(t.store, { path: project });
    assert.deepEqual(s.skipped, []);
    assert.deepEqual(s.artifacts, { copied: 1, missing: 0, refused: 0, failed: 0 });
    assert.deepEqual(t.store.recordedArtifacts(id).map((x) => x.path), ['model/MLmodel']);
  } finally {
    t.cleanup();
    src.cleanup();
  }
});

test('a source file that is a link out of the imported folder is not read into params or tags (W&B config, TensorBoard hparams.yaml)', () => {
  const t = tempStore();
  const src = tempDir();
  try {
    // A YAML-shaped secret, as ~/.config/gh/hosts.yml is.
    const secret = join(src.dir, 'home', 'hosts.yml');
    write(secret, `github.com:\n  oauth_token: ${SECRET}\n`);
    const wandb = join(src.dir, 'download', 'wandb');
    cpSync(fixture('wandb', 'rishabhg97__robust-cartpole', 'wandb'), wandb, { recursive: true });
    const config = join(wandb, 'run-20231211_132319-9bpuap22', 'files', 'config.yaml');
    rmSync(config);
    symlinkSync(secret, config);
    const s = importRuns(t.store, { path: join(src.dir, 'download') });
    assert.equal(s.runs.created, 2, 'both runs are imported');
    assert.match(s.skipped.find((p) => p.file === config)?.message ?? JSON.stringify(s.skipped), /link that leads to .*hosts\.yml, outside the imported folder; not read/);
    const tb = join(src.dir, 'tb', 'run1');
    cpSync(fixture('tensorboard', 'BozzoloLu__GAN', 'logs', 'GAN', '20221120-123722'), tb, { recursive: true });
    symlinkSync(secret, join(tb, 'hparams.yaml'));
    const tbs = importRuns(t.store, { path: join(src.dir, 'tb') });
    assert.equal(tbs.runs.created, 1);
    assert.ok(tbs.skipped.some((p) => p.file === join(tb, 'hparams.yaml')), JSON.stringify(tbs.skipped));
    for (const id of [...s.runIds, ...tbs.runIds]) {
      const r = t.store.getRun(id);
      assert.ok(!JSON.stringify([r.params, r.tags]).includes(SECRET), 'the secret is in no param or tag');
    }
  } finally {
    t.cleanup();
    src.cleanup();
  }
});
