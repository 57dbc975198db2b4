// npm run bench:containers — overhead of a Loopline container run over `docker run --rm` of the same
// image and command, measured alternately in one run: time to the first output line and time to
// the end (for Loopline: the run recorded in the store and the process exited). Two workloads:
// an instant command (fixed costs dominate) and a 2-second job. Aim: <= 1.2x on the job.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from '../test/helpers/docker-engine.ts';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'loopline');
// LOOPLINE_BENCH_BEFORE=/other/checkout/bin/loopline adds that build to the same alternation (before/after).
const BEFORE = process.env.LOOPLINE_BENCH_BEFORE;
const ROUNDS = Number(process.env.LOOPLINE_BENCH_ROUNDS ?? 5);

// The engine and images as the tests get them (scripts/docker-setup.sh).
const { engine, skip } = testEngine();
if (!engine) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}
const env = { ...process.env, DOCKER_HOST: engine.dockerHost };
const image = engine.busyboxImage;

/** Runs a command; ms until a line of output starting with "first", and until it exited. */
function timed(cmd: string, args: string[], cwd: string, phases?: Map<string, number[]>): Promise<{ first: number; end: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = -1;
    let out = '';
    const child = spawn(cmd, args, { cwd, env: phases ? { ...env, LOOPLINE_TRACE_PHASES: '1' } : env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c) => {
      out += c;
      if (first < 0 && /(^|\n)first/.test(out)) first = performance.now() - t0;
    });
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) => {
      // "loopline-phase MS NAME": ms since that process started (src/core/runs/phase-trace.ts).
      for (const m of out.matchAll(/^loopline-phase (\d+) (.+)$/gm)) phases?.set(m[2]!, [...(phases.get(m[2]!) ?? []), Number(m[1])]);
      return code === 0 && first >= 0 ? resolve({ first, end: performance.now() - t0 }) : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${out}`));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'loopline-bench-containers-'));
// The other build gets a repository of its own: its store may have an older schema.
const beforeDir = mkdtempSync(join(tmpdir(), 'loopline-bench-containers-before-'));
try {
  for (const d of [dir, beforeDir]) {
    spawnSync('git', ['init', '-q'], { cwd: d });
    writeFileSync(join(d, '.gitignore'), '.loopline/\n');
  }
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; engine ${engine.dockerHost}; image ${image}; ${ROUNDS} alternated rounds, median shown`);
  for (const [label, script] of [
    ['instant command', 'echo first'],
    ['2-second job', 'echo first; sleep 2; echo done'],
  ] as const) {
    const docker = { first: [] as number[], end: [] as number[] };
    const loopline = { first: [] as number[], end: [] as number[] };
    const phases = new Map<string, number[]>();
    const before = { first: [] as number[], end: [] as number[] };
    // Warm both paths once (page cache, image layers).
    await timed('/usr/bin/docker', ['run', '--rm', '--network', 'none', image, 'sh', '-c', script], dir);
    await timed(CLI, ['run', '--container', '--image', image, '--network', 'none', '--', 'sh', '-c', script], dir);
    if (BEFORE) await timed(BEFORE, ['run', '--container', '--image', image, '--network', 'none', '--', 'sh', '-c', script], beforeDir);
    for (let i = 0; i < ROUNDS; i++) {
      const d = await timed('/usr/bin/docker', ['run', '--rm', '--network', 'none', image, 'sh', '-c', script], dir);
      const l = await timed(CLI, ['run', '--container', '--image', image, '--network', 'none', '--', 'sh', '-c', script], dir, phases);
      docker.first.push(d.first);
      docker.end.push(d.end);
      loopline.first.push(l.first);
      loopline.end.push(l.end);
      if (BEFORE) {
        const b = await timed(BEFORE, ['run', '--container', '--image', image, '--network', 'none', '--', 'sh', '-c', script], beforeDir);
        before.first.push(b.first);
        before.end.push(b.end);
      }
    }
    const row = (what: string, a: number[], b: number[], c: number[]) =>
      console.log(
        `  ${what.padEnd(22)} docker run --rm ${median(a).toFixed(0).padStart(5)} ms   loopline run --container ${median(b).toFixed(0).padStart(5)} ms   ratio ${(median(b) / median(a)).toFixed(2)}x` +
          (c.length ? `   (before: ${median(c).toFixed(0)} ms, ${(median(c) / median(a)).toFixed(2)}x)` : ''),
      );
    console.log(`${label} (sh -c '${script}'):`);
    row('first output line', docker.first, loopline.first, before.first);
    row('end (run recorded)', docker.end, loopline.end, before.end);
    if (phases.size) console.log(`  loopline phases (median ms since its process started): ${[...phases].map(([name, ts]) => `${name} ${median(ts)}`).join(' | ')}`);
  }
  console.log('aim: <= 1.2x for the 2-second job (Loopline adds: store + git snapshot + tracking server + image check + artifact collection)');
} finally {
  rmSync(dir, { recursive: true, force: true });
  rmSync(beforeDir, { recursive: true, force: true });
}
