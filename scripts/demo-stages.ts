// The later stages of `npm start`, on the demo's Iris workspace: a registered model before the first
// screen (instant, no Docker), then, once the editor has opened on it and when a Docker engine
// answers, a training run in a container, a sweep, and a deployment of iris@champion with live
// traffic (shifted after a while, so the monitoring has drift to show). Every stage is a real
// `loopline` command, printed as it runs, so what the demo shows can be typed by hand.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CLI, REPO_ROOT } from '../test/helpers/paths.ts';

const run = promisify(execFile);
let say = (line: string) => console.log(`[demo] ${line}`);

async function loopline(workspace: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  say(`loopline ${args.map((a) => (/[\s{}]/.test(a) ? `'${a}'` : a)).join(' ')}`);
  const { stdout } = await run(CLI, args, { cwd: workspace, env: { ...process.env, LOOPLINE_STORE: '', ...env }, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** What the registry and the deployment need in the workspace: the serving script and loopline.yaml. */
async function addServingToWorkspace(workspace: string): Promise<void> {
  for (const f of ['serve.py', 'simulate_traffic.py']) copyFileSync(join(REPO_ROOT, 'examples', 'iris', f), join(workspace, f));
  writeFileSync(
    join(workspace, 'loopline.yaml'),
    [
      '# How this project is served, checked and monitored (see the Loopline README).',
      'serve: {image: loopline/python:bookworm, command: python3 serve.py --host 0.0.0.0 --model /model, port: 8080, health: /ping}',
      'gates:',
      '  - {metric: val_accuracy, min: 0.9}',
      'data: {train: iris.csv}',
      '',
    ].join('\n'),
  );
  await run('git', ['add', '-A'], { cwd: workspace });
  await run('git', ['commit', '-q', '-m', 'Serve the model'], { cwd: workspace });
}

/** Registers the best seeded run as `iris` and points `champion` at it (before the first screen). */
export async function registerDemoModel(workspace: string): Promise<void> {
  await addServingToWorkspace(workspace);
  const best = JSON.parse(await loopline(workspace, ['ls', '--experiment', 'iris-sweep', '--order-by', 'metrics.val_accuracy DESC', '--limit', '1', '--json'])) as Array<{ info: { id: string } }>;
  if (!best[0]) throw new Error('no seeded run to register');
  const version = (JSON.parse(await loopline(workspace, ['register', best[0].info.id, '--name', 'iris', '--path', 'model', '--json'])) as { version: number }).version;
  await loopline(workspace, ['alias', 'set', 'iris', 'champion', String(version)]);
}

/** The engine `npm run docker:setup` would use, without starting one; undefined when none answers. */
async function dockerHost(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const { stdout } = await run('bash', [join(REPO_ROOT, 'scripts', 'docker-setup.sh')], { env: { ...env, LOOPLINE_DOCKER_NO_START: '1' }, timeout: 15 * 60_000 });
    return /^DOCKER_HOST=(.+)$/m.exec(stdout)?.[1];
  } catch (err) {
    if ((err as { code?: number }).code !== 3) say(`docker setup failed: ${(err as { stderr?: string }).stderr?.trim().split('\n').pop() ?? String(err)}`);
    return undefined;
  }
}

export interface DemoStages {
  /** Settles when the stages have ended (the traffic runs until stop()). */
  done: Promise<void>;
  /** Stops the traffic and removes the deployment (its containers), so nothing outlives the demo. */
  stop(): Promise<void>;
}

/**
 * Starts the Docker stages once the editor has opened the workspace (the extension writes
 * `.loopline/server.json` when it starts; after 90 s they start anyway), so the first screen
 * does not share the machine with them.
 */
export function startDockerStages(workspace: string, opts: { log?: (line: string) => void; env?: NodeJS.ProcessEnv; settleMs?: number } = {}): DemoStages {
  if (opts.log) say = opts.log;
  const children = new Set<ChildProcess>();
  let deployedWith: NodeJS.ProcessEnv | undefined;
  let stopped = false;
  const steps = async () => {
    for (let i = 0; i < 180 && !stopped && !existsSync(join(workspace, '.loopline', 'server.json')); i++) await sleep(500);
    await sleep(opts.settleMs ?? 5000);
    if (stopped) return;
    const host = await dockerHost(opts.env ?? process.env);
    if (!host) {
      say('No Docker engine answers, so the demo stops here: no container run, container sweep or deployment.');
      say('To see them: `npm run docker:setup` (starts an engine on this machine and builds the images, no registry needed),');
      say('then `export DOCKER_HOST=…` as it prints, and `npm start` again.');
      return;
    }
    const env = { ...opts.env, DOCKER_HOST: host };
    say(`Docker engine at ${host}: a container run, a sweep in containers and a deployment follow in the Loopline views.`);
    await loopline(workspace, ['run', '--container', '--image', 'loopline/python:bookworm', '--experiment', 'iris-sweep', '--name', 'lr-0.1-container', '--', 'python3', 'train.py', '--lr', '0.1', '--epochs', '120'], env);
    if (stopped) return;
    await loopline(workspace, ['sweep', '--name', 'momentum', '--experiment', 'iris-sweep', '--param', 'lr=0.05,0.2', '--param', 'momentum=0,0.9', '--parallel', '2', '--metric', 'val_accuracy', '--mode', 'max', '--container', '--image', 'loopline/python:bookworm', '--', 'python3', 'train.py', '--lr', '{lr}', '--momentum', '{momentum}', '--epochs', '120'], env);
    if (stopped) return;
    deployedWith = env;
    const out = await loopline(workspace, ['deploy', 'iris@champion', '--name', 'iris-prod'], env);
    const endpoint = /ENDPOINT=(\S+)/.exec(out)?.[1];
    if (!endpoint) throw new Error(`deploy printed no endpoint:\n${out}`);
    say(`iris@champion serves at ${endpoint}; sending it 5 requests a second with labels (the Deployments view shows the traffic).`);
    const traffic = (extra: string[]) =>
      new Promise<void>((resolve) => {
        if (stopped) return resolve();
        const child = spawn('python3', ['simulate_traffic.py', '--url', endpoint, '--rate', '5', '--feedback', ...extra], { cwd: workspace, stdio: 'ignore' });
        children.add(child);
        child.on('exit', () => (children.delete(child), resolve()));
      });
    await traffic(['--count', '600']);
    say('Now the traffic drifts (petal_length +1.5 cm): the Deployments view and `loopline monitor iris-prod` show it.');
    await traffic(['--count', '100000', '--shift', 'petal_length=+1.5']);
  };
  const done = steps().catch((err) => {
    if (!stopped) say(`a stage failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
  });
  return {
    done,
    async stop() {
      stopped = true;
      for (const c of children) c.kill('SIGTERM');
      await Promise.race([done, sleep(3000)]);
      if (deployedWith) await loopline(workspace, ['undeploy', 'iris-prod'], deployedWith).catch((err) => say(`undeploy failed: ${(err as Error).message}`));
    },
  };
}
