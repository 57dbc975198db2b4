/**
 * Timestamps (ms since this process started) of a run's start and end phases, on stderr when
 * LOOPLINE_TRACE_PHASES is set: how `bench:containers` shows where a container run's overhead goes.
 */
export function tracePhase(name: string): void {
  if (!process.env.LOOPLINE_TRACE_PHASES) return;
  if (!exitTraced) {
    exitTraced = true;
    process.once('exit', () => process.stderr.write(`loopline-phase ${performance.now().toFixed(0)} process exit\n`));
  }
  process.stderr.write(`loopline-phase ${performance.now().toFixed(0)} ${name}\n`);
}

let exitTraced = false;
