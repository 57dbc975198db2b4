import type { ScoreFileProgress } from '../../core/predict/batch-prediction.ts';
import { runPredictionJob, type PredictionJobOptions, type PredictionJobResult } from '../../core/predict/prediction-job.ts';
import { parseCount } from '../../core/sweeps/sweep-definition.ts';
import { option, parseArgs, UsageError } from '../args.ts';
import { formatDuration, toJson } from '../format.ts';
import { withRegistry } from './registry.ts';

const USAGE = 'loopline predict MODEL@ALIAS|MODEL/VERSION --input data.csv --output predictions.csv [--rejected rejected.csv] [--batch-size N] [--concurrency N] [--keep-going] [--json]';

/** `loopline predict iris@champion --input data.csv --output predictions.csv`: batch scoring through the model as served. */
export async function predictCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'keep-going'], options: ['input', 'output', 'rejected', 'batch-size', 'concurrency', 'store'] });
  const [ref, ...extra] = args.positionals;
  if (!ref || extra.length) throw new UsageError(`Give one model version or alias. Usage: ${USAGE}`);
  const input = option(args, 'input');
  const output = option(args, 'output');
  if (!input || !output) throw new UsageError(`Give the file to score and where to write the predictions: --input data.csv --output predictions.csv`);
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) return;
    process.stderr.write('\nloopline: cancelling: stopping the model server; the rows scored so far stay in the .partial file…\n');
    abort.abort();
  };
  const opts: PredictionJobOptions = {
    input,
    output,
    signal: abort.signal,
    keepGoing: args.flags.has('keep-going'),
    onStatus: (m) => console.error(`loopline: ${m}`),
    onProgress: progressPrinter(),
  };
  const rejected = option(args, 'rejected');
  if (rejected) opts.rejected = rejected;
  const batch = option(args, 'batch-size');
  if (batch) opts.batchSize = parseCount(batch, '--batch-size', 1);
  const concurrency = option(args, 'concurrency');
  if (concurrency) opts.concurrency = parseCount(concurrency, '--concurrency', 1);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await withRegistry(args, async (registry) => {
      const r = await runPredictionJob(registry, ref, opts);
      if (process.stderr.isTTY) process.stderr.write('\n');
      if (args.flags.has('json')) console.log(toJson(r));
      console.error(report(r));
      return r.status === 'finished' ? 0 : 1;
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** One progress line a second: rows, share of the file read, rows/s, rejected (rewritten in place on a terminal). */
function progressPrinter(): (p: ScoreFileProgress) => void {
  let last = Date.now();
  return (p) => {
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    const share = p.totalBytes ? ` (${Math.floor((100 * p.bytesRead) / p.totalBytes)}% read)` : '';
    const rate = p.elapsedMs > 0 ? Math.round((p.rows * 1000) / p.elapsedMs) : 0;
    const line = `loopline: ${p.rows.toLocaleString('en-US')} rows${share}, ${rate.toLocaleString('en-US')} rows/s, ${p.rejected.toLocaleString('en-US')} rejected`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  };
}

function report(r: PredictionJobResult): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines: string[] = [];
  const head = `loopline: ${r.model}/${r.version}${r.ref !== `${r.model}/${r.version}` ? ` (${r.ref})` : ''}`;
  if (r.status === 'finished') {
    lines.push(`${head} scored ${n(r.scored)} rows in ${formatDuration(r.elapsedMs)} (${n(Math.round(r.rowsPerSecond))} rows/s; ${formatDuration(r.totalMs)} with the model server's start)`);
    lines.push(`loopline: predictions: ${r.output} (${r.columns.length} columns: the input's, then ${r.columns.slice(r.input.columns.length).join(', ')})`);
  } else {
    lines.push(`${head} ${r.status === 'cancelled' ? 'was cancelled' : 'stopped'}: ${r.error}`);
    lines.push(`loopline: PARTIAL output: ${n(r.scored)} scored rows are in ${r.output} (not renamed to the output name, because rows are missing)`);
    lines.push(
      `loopline: not scored: ${r.notScored === null ? 'the rest of the input' : `${n(r.notScored)} rows`}${r.firstNotScoredRow !== undefined ? `, the first being input row ${n(r.firstNotScoredRow)}` : ''}; run the job again once the cause is fixed`,
    );
  }
  if (r.rejected) lines.push(`loopline: ${n(r.rejected)} rows rejected${r.malformed ? ` (${n(r.malformed)} malformed, never sent)` : ''}, with the model's error per row: ${r.rejectedFile}`);
  else lines.push(`loopline: no row was rejected (${r.rejectedFile} holds only its header)`);
  lines.push(`loopline: recorded in the audit log (entry ${r.auditId}; loopline audit --model ${r.model}); input sha256 ${r.input.sha256.slice(0, 16)}…`);
  return lines.join('\n');
}
