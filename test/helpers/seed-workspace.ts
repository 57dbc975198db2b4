import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from './paths.ts';

/**
 * A git repository holding a copy of the Iris example, with real training runs of a small
 * learning-rate sweep recorded through `loopline run`. Used by the demo and the editor tests.
 */
export function seedIrisWorkspace(dir: string, sweep: string[] = ['0.05', '0.2', '0.8'], epochs = 60): string {
  mkdirSync(dir, { recursive: true });
  for (const f of ['train.py', 'iris.csv', 'README.md']) cpSync(join(REPO_ROOT, 'examples', 'iris', f), join(dir, f));
  // The example imports the client from the repo; a copy beside it keeps the workspace self-contained.
  cpSync(join(REPO_ROOT, 'clients', 'python', 'loopline.py'), join(dir, 'loopline.py'));
  writeFileSync(join(dir, '.gitignore'), '.loopline/\nmodel.json\n__pycache__/\n');
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'demo@loopline.dev');
  git('config', 'user.name', 'Loopline Demo');
  git('add', '-A');
  git('commit', '-q', '-m', 'Iris softmax regression');
  for (const lr of sweep) {
    execFileSync(CLI, ['run', '--experiment', 'iris-sweep', '--name', `lr-${lr}`, '--', 'python3', 'train.py', '--lr', lr, '--epochs', String(epochs)], {
      cwd: dir,
      stdio: 'pipe',
      env: { ...process.env, LOOPLINE_STORE: '' },
    });
  }
  return dir;
}
