// The main job for now: a small learning-rate sweep of the Iris example through `loopline run`,
// then the runs table. Uses the default store (.loopline/ at the git root).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'loopline');
const example = join(root, 'examples', 'iris');

function loopline(args: string[]): void {
  const r = spawnSync(cli, args, { cwd: example, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`demo: loopline ${args.join(' ')} failed with exit ${r.status}`);
    process.exit(r.status ?? 1);
  }
}

for (const lr of ['0.05', '0.2', '0.8']) {
  loopline(['run', '--experiment', 'iris-demo', '--name', `lr-${lr}`, '--', 'python3', 'train.py', '--lr', lr, '--epochs', '150']);
}
loopline(['ls', '--experiment', 'iris-demo', '--order-by', 'metrics.val_accuracy DESC']);
