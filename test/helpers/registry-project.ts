import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { snapshotGit } from '../../src/core/git/git-snapshot.ts';
import { RunStore } from '../../src/core/store/run-store.ts';
import { gitRepo } from './cli.ts';
import { tempDir } from './temp-store.ts';

export const GATES_YAML = `serve:
  build: .
  command: python3 serve.py --model /model
  port: 8080
  health: /ping
gates:
  - {metric: val_accuracy, min: 0.9}
  - {metric: val_accuracy, beats: champion, by: 0.0}
  - {metric: latency_ms, max: 50}
`;

/**
 * A real git project with loopline.yaml and a store at `.loopline/loopline.db`, plus a helper that
 * makes a finished run with params, metrics, model files and the git snapshot of the project.
 */
export async function registryProject(yaml = GATES_YAML) {
  const t = tempDir('loopline-registry-');
  const dir = join(t.dir, 'proj');
  gitRepo(dir, { 'train.py': 'print("train")\n', 'loopline.yaml': yaml, '.gitignore': '.loopline/\n' });
  const store = RunStore.open(join(dir, '.loopline', 'loopline.db'));
  const makeRun = async (o: { metrics: Record<string, number>; params?: Record<string, string>; files?: Record<string, string>; parent?: string; edit?: string }) => {
    if (o.edit) writeFileSync(join(dir, 'train.py'), o.edit);
    const git = await snapshotGit(dir);
    const run = store.createRun({
      experimentId: store.ensureExperiment('iris').id,
      name: 'trial',
      command: 'python3 train.py',
      git,
      params: Object.entries(o.params ?? { lr: '0.1', dataset: 'iris-v1' }).map(([key, value]) => ({ key, value })),
      tags: o.parent ? [{ key: 'mlflow.parentRunId', value: o.parent }] : [],
    });
    store.logBatch(run.info.id, { metrics: Object.entries(o.metrics).map(([key, value]) => ({ key, value, timestamp: Date.now(), step: 1 })) });
    store.updateRun(run.info.id, { status: 'FINISHED', endTime: Date.now() });
    const files = o.files ?? { 'model/weights.json': JSON.stringify({ w: [1, 2, 3] }), 'model/MLmodel': 'flavors: {}\n' };
    for (const [rel, text] of Object.entries(files)) {
      const full = join(store.artifactsRoot, run.info.id, ...rel.split('/'));
      mkdirSync(join(full, '..'), { recursive: true });
      writeFileSync(full, text);
    }
    return run.info.id;
  };
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'pipe' }).toString().trim();
  return {
    dir,
    store,
    makeRun,
    git,
    cleanup: () => {
      store.close();
      t.cleanup();
    },
  };
}
