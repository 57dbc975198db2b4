import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Session } from 'node:inspector';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';

let profiler: Session | null = null;

/** With LOOPLINE_BENCH_CPU_PROFILE set, each phase is also profiled (what keeps this thread busy). */
function startProfile(): void {
  // Loaded here, not with the extension: only a bench profiling run needs the inspector.
  const { Session: InspectorSession } = process.getBuiltinModule('node:inspector') as typeof import('node:inspector');
  profiler = new InspectorSession();
  profiler.connect();
  profiler.post('Profiler.enable', () => profiler?.post('Profiler.start'));
}

function stopProfile(file: string): void {
  const s = profiler!;
  profiler = null;
  s.post('Profiler.stop', (err, res) => {
    if (!err) writeFileSync(file, JSON.stringify((res as { profile: unknown }).profile));
    s.disconnect();
  });
}

/**
 * For `npm run bench:extension` only (enabled by LOOPLINE_BENCH_PROBE_DIR): measures this
 * extension host's event-loop delay in phases the benchmark marks with files in that folder.
 * `<phase>.start` resets the histogram; `<phase>.stop` writes `<phase>.json` (ms percentiles, and
 * the share of the phase this thread was busy: a delay with the thread mostly idle is the machine's
 * CPU being shared, not work of ours).
 */
export function startEventLoopProbe(dir: string): { dispose(): void } {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let elu: EventLoopUtilization = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const m = /^(.+)\.(start|stop)$/.exec(name);
      if (!m) continue;
      rmSync(join(dir, name), { force: true });
      if (m[2] === 'start') {
        h.reset();
        elu = performance.eventLoopUtilization();
        if (process.env.LOOPLINE_BENCH_CPU_PROFILE) startProfile();
        continue;
      }
      if (profiler) stopProfile(join(dir, `${m[1]}.cpuprofile`));
      const ms = (ns: number) => ns / 1e6;
      const out = { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean), samples: h.count, busy: performance.eventLoopUtilization(elu).utilization };
      if (!existsSync(join(dir, `${m[1]}.json`))) writeFileSync(join(dir, `${m[1]}.json`), JSON.stringify(out));
    }
  }, 100);
  return {
    dispose: () => {
      clearInterval(timer);
      h.disable();
    },
  };
}
