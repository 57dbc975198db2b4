// `npm start`: the main job. Builds and packages the extension, provisions code-server on Node 24
// (cached after the first time), seeds the Iris example with a small sweep of real training runs
// and a registered model, and opens it in code-server on 127.0.0.1 with the extension installed;
// with a Docker engine, a container run, a sweep and a live deployment follow (demo-stages.ts).
// Serves until stopped.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { installVsix, provisionCodeServer, startCodeServer } from '../test/helpers/code-server.ts';
import { REPO_ROOT } from '../test/helpers/paths.ts';
import { seedIrisWorkspace } from '../test/helpers/seed-workspace.ts';
import { writeDemoWorkspaceSettings, writeUserSettings } from '../test/helpers/workbench-settings.ts';
import { registerDemoModel, startDockerStages } from './demo-stages.ts';

const cache = process.env.LOOPLINE_CACHE ?? join(homedir(), '.cache', 'loopline');
const demo = join(cache, 'demo');
const port = process.env.PORT ? Number(process.env.PORT) : undefined;

const pkg = (await import(join(REPO_ROOT, 'package.json'), { with: { type: 'json' } })).default as { version: string };
execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'package-extension.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
const bin = provisionCodeServer();
rmSync(demo, { recursive: true, force: true });
console.error('Seeding the Iris example with a learning-rate sweep (real training runs)…');
const workspace = seedIrisWorkspace(join(demo, 'iris'), ['0.02', '0.05', '0.1', '0.2', '0.4', '0.8'], 120);
await registerDemoModel(workspace);
const home = join(demo, 'code-server');
installVsix(bin, home, join(REPO_ROOT, 'dist', `loopline-${pkg.version}.vsix`));
// Open on Loopline: no Welcome page or Chat; the Experiments view, train.py and a comparison.
writeUserSettings(home);
writeDemoWorkspaceSettings(workspace);
const cs = await startCodeServer({ bin, home, workspace, ...(port ? { port } : {}) });
console.log(`Loopline demo: ${cs.url}/?folder=${workspace}`);
console.log('Stop it with Ctrl+C.');
const stages = startDockerStages(workspace);
let stopping = false;
const stop = async () => {
  stopping = true;
  await stages.stop();
  await cs.stop();
  console.log('Loopline demo stopped.');
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
cs.process.on('exit', async (code, signal) => {
  if (stopping) return;
  stopping = true;
  await stages.stop();
  if (code === 0 || signal === 'SIGTERM' || signal === 'SIGINT') {
    console.log('Loopline demo stopped (code-server shut down).');
    process.exit(0);
  }
  console.error(`code-server stopped unexpectedly (${signal ?? `exit code ${code}`}); its log: ${join(home, 'code-server.log')}`);
  process.exit(1);
});
