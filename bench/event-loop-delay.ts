// Part of `npm run bench:extension`: the extension host's event-loop delay (p50/p99, measured inside
// the extension host by src/extension/diagnostics/event-loop-probe.ts) with nothing logging, then
// while 4 client processes log at full speed through the tracking server the extension started
// into the store the editor shows. Both phases in the same session, so the difference is what
// logging costs the editor.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/helpers/paths.ts';

export interface DelayFigure {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  /** Share of the phase the extension host's thread was busy (0..1). */
  busy: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function phase(probeDir: string, name: string, ms: number): Promise<DelayFigure> {
  writeFileSync(join(probeDir, `${name}.start`), '');
  await sleep(ms);
  writeFileSync(join(probeDir, `${name}.stop`), '');
  const file = join(probeDir, `${name}.json`);
  for (let i = 0; i < 100 && !existsSync(file); i++) await sleep(100);
  if (!existsSync(file)) throw new Error(`the extension host's probe did not answer for phase ${name}`);
  return JSON.parse(readFileSync(file, 'utf8')) as DelayFigure;
}

export async function measureEventLoopDelay(opts: {
  probeDir: string;
  storeDir: string;
  /** Called once the runs exist, to show them in the editor (expand their experiment). */
  showRuns: (experiment: string) => Promise<void>;
  seconds?: number;
}): Promise<{ idle: DelayFigure; logging: DelayFigure; pointsPerSecond: number; server: string }> {
  const seconds = opts.seconds ?? 8;
  const serverFile = join(opts.storeDir, 'server.json');
  for (let i = 0; i < 300 && !existsSync(serverFile); i++) await sleep(100);
  if (!existsSync(serverFile)) throw new Error('the extension did not start a tracking server (no .loopline/server.json)');
  const adv = JSON.parse(readFileSync(serverFile, 'utf8')) as { url: string; token: string; pid: number };
  const api = async (route: string, body: unknown) => {
    const r = await fetch(`${adv.url}/api/2.0/mlflow/${route}`, { method: 'POST', headers: { Authorization: `Bearer ${adv.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${route}: ${r.status} ${await r.text()}`);
    return r.json() as Promise<any>;
  };
  const exp = (await api('experiments/create', { name: 'live-logging' })).experiment_id as string;
  const runIds: string[] = [];
  for (let i = 0; i < 4; i++) runIds.push((await api('runs/create', { experiment_id: exp, run_name: `client-${i}` })).run.info.run_id);
  await opts.showRuns('live-logging');
  await sleep(1000);

  const idle = await phase(opts.probeDir, 'idle', seconds * 1000);
  const warmup = 1000;
  const clients = runIds.map((id) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bench', 'log-client.ts'), adv.url, adv.token, id, String(seconds * 1000 + 2 * warmup)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    return new Promise<number>((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`log client exited ${code}`)))));
  });
  const t0 = Date.now();
  await sleep(warmup);
  const logging = await phase(opts.probeDir, 'logging', seconds * 1000);
  const points = (await Promise.all(clients)).reduce((a, b) => a + b, 0);
  const pointsPerSecond = points / ((Date.now() - t0) / 1000);
  let cmd = '';
  try {
    cmd = readFileSync(`/proc/${adv.pid}/cmdline`, 'utf8').split('\0').filter(Boolean).map((a) => a.split('/').pop()).join(' ');
  } catch {
    cmd = '?';
  }
  return { idle, logging, pointsPerSecond, server: `pid ${adv.pid}: ${cmd.slice(0, 80)}` };
}
