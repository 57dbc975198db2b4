// Sweep scheduling benchmark: what the queue adds per trial. The same trials' commands run
// (a) directly, one process after another, and (b) as a sweep with --parallel 1 through the
// scheduler and the same launcher as `loopline run` (queue claim, run start, output log, end
// recorded); rounds alternate so machine load hits both alike. Not a test: it prints figures.
//
//   npm run bench:sweeps            (or: node bench/sweeps.bench.ts, with Node >= 24)
//   LOOPLINE_BENCH_TRIALS=20        trials per sweep
//   LOOPLINE_BENCH_ROUNDS=3         rounds; the per-trial figure is the median round's
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../src/core/store/run-store.ts';
import { createSweep } from '../src/core/sweeps/sweep-creation.ts';
import type { SweepDefinition } from '../src/core/sweeps/sweep-definition.ts';
import { SweepScheduler } from '../src/core/sweeps/sweep-scheduler.ts';
import { TrackingServer } from '../src/core/tracking/tracking-server.ts';

const TRIALS = Math.max(2, Number(process.env.LOOPLINE_BENCH_TRIALS ?? '20') || 20);
const ROUNDS = Math.max(1, Number(process.env.LOOPLINE_BENCH_ROUNDS ?? '3') || 3);
const AIM_MS = 100;
// A trial that does almost nothing (a Python start would be 20-1000 ms of noise on a loaded
// machine), so what is measured is the scheduling around it.
const COMMAND = ['/bin/echo', 'trial', '{i}'];

function runDirect(argv: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} exited ${code}`))));
  });
}

async function direct(dir: string): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < TRIALS; i++) await runDirect(COMMAND.map((a) => a.replace('{i}', String(i))), dir);
  return performance.now() - t0;
}

async function sweep(dir: string, server: TrackingServer, store: RunStore): Promise<{ createMs: number; runMs: number; gapMs: number }> {
  const def: SweepDefinition = {
    version: 1,
    command: COMMAND,
    cwd: dir,
    params: [{ name: 'i', kind: 'values', values: Array.from({ length: TRIALS }, (_, i) => String(i)) }],
    strategy: 'grid',
    seed: 1,
    parallel: 1,
    backend: { kind: 'local' },
  };
  const t0 = performance.now();
  const { sweepId } = await createSweep(store, def);
  const t1 = performance.now();
  const scheduler = new SweepScheduler({ store, tracking: { url: server.url, token: server.token }, spoolDir: join(dir, 'spool') });
  const summary = await scheduler.run(sweepId);
  const t2 = performance.now();
  if (summary.trials.filter((t) => t.status === 'FINISHED').length !== TRIALS) throw new Error(`not every trial finished: ${JSON.stringify(summary.trials.map((t) => t.status))}`);
  // Time between one trial's recorded end and the next one's recorded start: the queue's own gap.
  const runs = summary.trials.map((t) => store.getRun(t.runId).info).sort((a, b) => a.startTime - b.startTime);
  const gaps = runs.slice(1).map((r, i) => r.startTime - runs[i]!.endTime!);
  return { createMs: t1 - t0, runMs: t2 - t1, gapMs: gaps.reduce((a, b) => a + b, 0) / gaps.length };
}

async function main(): Promise<void> {
  console.log(`sweep scheduling: ${TRIALS} trials of \`${COMMAND.join(' ')}\`, --parallel 1, ${ROUNDS} rounds; ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}`);
  const dir = mkdtempSync(join(tmpdir(), 'loopline-bench-sweeps-'));
  const store = RunStore.open(join(dir, '.loopline', 'loopline.db'));
  const server = await TrackingServer.start({ store });
  try {
    await direct(dir); // warm the page cache and python's bytecode cache
    const rows: Array<{ direct: number; create: number; run: number; gap: number }> = [];
    for (let r = 0; r < ROUNDS; r++) {
      const d = await direct(dir);
      const s = await sweep(dir, server, store);
      rows.push({ direct: d, create: s.createMs, run: s.runMs, gap: s.gapMs });
      console.log(
        `round ${r + 1}: direct ${d.toFixed(0)} ms (${(d / TRIALS).toFixed(1)} ms/trial); sweep: queued in ${s.createMs.toFixed(0)} ms, ran in ${s.runMs.toFixed(0)} ms (${(s.runMs / TRIALS).toFixed(1)} ms/trial; recorded end → next start ${s.gapMs.toFixed(1)} ms)`,
      );
    }
    const perTrial = rows.map((x) => (x.create + x.run - x.direct) / TRIALS).sort((a, b) => a - b);
    const median = perTrial[Math.floor(perTrial.length / 2)]!;
    const ratio = rows.map((x) => (x.create + x.run) / x.direct).sort((a, b) => a - b)[Math.floor(rows.length / 2)]!;
    const gap = rows.map((x) => x.gap).sort((a, b) => a - b)[Math.floor(rows.length / 2)]!;
    console.log(`scheduling overhead per trial (median round, queueing included): ${median.toFixed(1)} ms; sweep / direct wall time: ${ratio.toFixed(2)}x; queue gap between trials ${gap.toFixed(1)} ms`);
    console.log(`aim: < ${AIM_MS} ms per trial — ${median < AIM_MS ? 'met' : 'NOT met'}`);
  } finally {
    await server.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
