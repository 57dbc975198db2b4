import { once } from 'node:events';
import { createWriteStream, mkdirSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { invalid, notFound } from '../errors.ts';
import { dataFormatOf } from '../monitoring/data-format.ts';
import { openRecordSource, uniqueNames } from '../monitoring/record-source.ts';
import { describeFailure, type ModelScorer, type ScoredBatch } from '../scoring/model-scorer.ts';
import { sha256File } from '../store/artifact-files.ts';
import { csvLine } from './csv-line.ts';

export interface ScoreFileOptions {
  input: string;
  output: string;
  /** Where refused rows go; default `rejected.csv` beside the output. */
  rejected?: string;
  /** Rows per request (default 1000). */
  batchSize?: number;
  /** Requests in flight (default 2). */
  concurrency?: number;
  /**
   * Go on when every row of a batch is refused. By default the job stops there: a model that refuses
   * whole batches is more likely given the wrong columns or broken than given bad rows.
   */
  keepGoing?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: ScoreFileProgress) => void;
}

export interface ScoreFileProgress {
  /** Rows written so far (scored + rejected). */
  rows: number;
  scored: number;
  rejected: number;
  bytesRead: number;
  totalBytes: number;
  elapsedMs: number;
}

export interface ScoreFileResult {
  status: 'finished' | 'failed' | 'cancelled';
  model: string;
  version: number;
  input: { path: string; bytes: number; sha256: string; format: string; columns: string[]; rows: number | null };
  /** The predictions file: the final path, or `<output>.partial` when the job did not finish. */
  output: string;
  partial: boolean;
  rejectedFile: string;
  /** Columns of the predictions file. */
  columns: string[];
  scored: number;
  /** Rows in the rejected file: refused by the model, or malformed (wrong field count, never sent). */
  rejected: number;
  malformed: number;
  /** Rows of the input in neither file (the job stopped); null when the input was not read to its end. */
  notScored: number | null;
  /** The first input row (1-based, header excluded) that is in neither file, when the job stopped. */
  firstNotScoredRow?: number;
  batchSize: number;
  elapsedMs: number;
  rowsPerSecond: number;
  error?: string;
}

const PARTIAL = '.partial';

/** Checks the paths of a job before any container starts: a missing or unreadable input fails here. */
export function checkPredictionPaths(opts: { input: string; output: string; rejected?: string }): { input: string; output: string; rejected: string } {
  const input = resolve(opts.input);
  const output = resolve(opts.output);
  const rejected = resolve(opts.rejected ?? join(dirname(output), 'rejected.csv'));
  let st;
  try {
    st = statSync(input);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw notFound(`No such input file: '${opts.input}'. Give the CSV to score with --input FILE.`);
    throw err;
  }
  if (!st.isFile()) throw invalid(`'${opts.input}' is not a file; give the CSV to score with --input FILE.`);
  const format = dataFormatOf(input);
  if (format !== 'csv' && format !== 'tsv') throw invalid(`'${opts.input}' is ${format}; loopline predict reads CSV (or TSV) files with a header row.`);
  if (output === input) throw invalid('--output is the input file; write the predictions to another file, e.g. --output predictions.csv.');
  if (rejected === input || rejected === output) throw invalid(`The rejected-rows file would be ${rejected === input ? 'the input' : 'the output'}; give another one with --rejected FILE.`);
  return { input, output, rejected };
}

/**
 * Streams a CSV through a running scorer: input columns plus `prediction` (and `probability_<class>`
 * columns when the model gives probabilities) go to the output, rows the model refuses (isolated by
 * splitting their batch) go to the rejected file with the model's error and their input row number.
 * Only a few batches are in memory at once, whatever the file's size. The output is written as
 * `<output>.partial` and renamed when the job finishes; a job that stops (a broken answer, the
 * model's server gone, cancel) leaves the `.partial` file and says which rows are in neither file.
 * Model failures end up in the result, never as a throw; bad paths and unreadable input throw.
 */
export async function scoreFile(scorer: Pick<ModelScorer, 'version' | 'score'>, opts: ScoreFileOptions): Promise<ScoreFileResult> {
  const paths = checkPredictionPaths(opts);
  const batchSize = opts.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid(`--batch-size must be a whole number of at least 1, got '${opts.batchSize}'.`);
  const started = performance.now();
  let bytesRead = 0;
  const source = openRecordSource(paths.input, { ...(opts.signal ? { signal: opts.signal } : {}), onProgress: (b) => (bytesRead = b) });
  const reader = source.batches();
  const first = await reader.next();
  const columns = [...source.columns];
  const width = columns.length;
  const delimiter = dataFormatOf(paths.output) === 'tsv' ? '\t' : ',';

  mkdirSync(dirname(paths.output), { recursive: true });
  mkdirSync(dirname(paths.rejected), { recursive: true });
  const out = new LineWriter(paths.output + PARTIAL);
  const rej = new LineWriter(paths.rejected + PARTIAL);
  const [rowColumn, errorColumn] = uniqueNames([...columns, 'input_row', 'error']).slice(width);
  await rej.write(csvLine([rowColumn, ...columns, errorColumn], delimiter));

  const rows = new RowNumbers();
  let rowsRead = 0;
  let malformed = 0;
  let scored = 0;
  let refused = 0;
  let sourceDone = first.done === true;

  // Rows with the header's field count go to the model; others are rejected here, never sent.
  async function* wellFormed(): AsyncGenerator<unknown[][]> {
    let next = first;
    while (!next.done) {
      const good: unknown[][] = [];
      for (const r of next.value) {
        rowsRead++;
        if (r.length === width) {
          good.push(r);
          continue;
        }
        rows.skip(rowsRead);
        malformed++;
        const extra = r.length > width ? ` (extra: ${r.slice(width).map((v) => JSON.stringify(v)).join(', ')})` : '';
        await rej.write(csvLine([rowsRead, ...Array.from({ length: width }, (_, i) => r[i] ?? ''), `the row has ${r.length} fields; the header has ${width}${extra}`], delimiter));
      }
      if (good.length) yield good;
      next = await reader.next();
    }
    sourceDone = true;
  }

  let outColumns: string[] | undefined;
  let probabilityWidth = 0;
  const writeHeader = async (probabilities?: number[][], classes?: string[]) => {
    probabilityWidth = probabilities?.[0]?.length ?? 0;
    const extra = ['prediction', ...Array.from({ length: probabilityWidth }, (_, i) => `probability_${classes?.[i] ?? i}`)];
    outColumns = uniqueNames([...columns, ...extra]);
    await out.write(csvLine(outColumns, delimiter));
  };

  let error: string | undefined;
  let status: ScoreFileResult['status'] = 'finished';
  let stoppedAt: number | undefined; // sent-row offset of the first row in neither file
  const lastProgress = { t: 0 };
  const progress = (force = false) => {
    const now = performance.now();
    if (!opts.onProgress || (!force && now - lastProgress.t < 250)) return;
    lastProgress.t = now;
    opts.onProgress({ rows: scored + refused + malformed, scored, rejected: refused + malformed, bytesRead, totalBytes: source.bytes, elapsedMs: now - started });
  };
  const model = `${scorer.version.model}/${scorer.version.version}`;
  const where = (b: ScoredBatch) => {
    const from = rows.at(b.offset);
    const to = rows.at(b.offset + b.rows.length - 1);
    return from === to ? `input row ${from}` : `input rows ${from}-${to}`;
  };

  try {
    const scoring = scorer.score(columns, wellFormed(), {
      batchSize,
      concurrency: opts.concurrency ?? 2,
      isolateRefusedRows: true,
      probeBeforeSplitting: !opts.keepGoing,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    for await (const b of scoring) {
      if (b.output) {
        const o = b.output;
        if (!outColumns) await writeHeader(o.probabilities, o.classes);
        if ((o.probabilities?.[0]?.length ?? 0) !== probabilityWidth && b.rows.length) {
          error = `${model} answered ${where(b)} with ${o.probabilities ? `${o.probabilities[0]!.length} probability columns` : 'no probabilities'}, unlike the first batch (${probabilityWidth}); a model must answer every batch in the same form.`;
          stoppedAt = b.offset;
          break;
        }
        // One write per batch: fewer, larger chunks keep the writer's overhead (and garbage) small.
        let text = '';
        for (let i = 0; i < b.rows.length; i++) {
          text += csvLine(probabilityWidth ? [...b.rows[i]!, o.predictions[i], ...o.probabilities![i]!] : [...b.rows[i]!, o.predictions[i]], delimiter);
        }
        await out.write(text);
        scored += b.rows.length;
      } else {
        const f = b.failure!;
        if (f.kind !== 'http') {
          error =
            f.kind === 'answer'
              ? `${model} answered ${where(b)} wrongly: ${f.message}. Nothing of that batch was written.`
              : `${model}'s server stopped answering at ${where(b)}: ${f.message}`;
          stoppedAt = b.offset;
          break;
        }
        if (f.wholeBatch && !opts.keepGoing) {
          error =
            `${model} refused every row of ${where(b)}, also rows sent on their own: ${describeFailure(f)}. ` +
            `This looks like a problem of the input as a whole (its columns are: ${columns.join(', ')}), not of single rows; ` +
            'fix the input, or pass --keep-going to isolate and reject every refused row.';
          stoppedAt = b.offset;
          break;
        }
        const message = describeFailure(f);
        let text = '';
        for (let i = 0; i < b.rows.length; i++) text += csvLine([rows.at(b.offset + i), ...b.rows[i]!, message], delimiter);
        await rej.write(text);
        refused += b.rows.length;
      }
      progress();
    }
  } catch (err) {
    if (opts.signal?.aborted) {
      status = 'cancelled';
      error = 'cancelled by the user';
    } else {
      error = err instanceof Error ? err.message : String(err);
    }
    stoppedAt ??= scored + refused;
  }
  if (error && status === 'finished') status = 'failed';
  if (!outColumns) await writeHeader();

  // Read the rest of the input (unless cancelled), so the record counts every row and the file's hash.
  if (status === 'failed' && !sourceDone) {
    try {
      for (let n = await reader.next(); !n.done; n = await reader.next()) rowsRead += n.value.length;
      sourceDone = true;
    } catch {
      // unreadable rest: the count stays unknown
    }
  } else if (!sourceDone) await reader.return(undefined);
  const sha256 = sourceDone ? source.sha256() : await sha256File(paths.input);

  await Promise.all([out.close(), rej.close()]);
  const done = status === 'finished';
  if (done) renameSync(paths.output + PARTIAL, paths.output);
  renameSync(paths.rejected + PARTIAL, paths.rejected);
  progress(true);
  const elapsedMs = performance.now() - started;
  const result: ScoreFileResult = {
    status,
    model: scorer.version.model,
    version: scorer.version.version,
    input: { path: paths.input, bytes: source.bytes, sha256, format: source.format, columns, rows: sourceDone ? rowsRead : null },
    output: done ? paths.output : paths.output + PARTIAL,
    partial: !done,
    rejectedFile: paths.rejected,
    columns: outColumns!,
    scored,
    rejected: refused + malformed,
    malformed,
    notScored: done ? 0 : sourceDone ? rowsRead - scored - refused - malformed : null,
    batchSize,
    elapsedMs,
    rowsPerSecond: elapsedMs > 0 ? ((scored + refused) * 1000) / elapsedMs : 0,
  };
  if (stoppedAt !== undefined && !done) result.firstNotScoredRow = rows.at(stoppedAt);
  if (error) result.error = error;
  return result;
}

/**
 * Input row numbers (1-based, header excluded) of the rows sent to the model: malformed rows are not
 * sent, so the n-th sent row is the n-th input row plus the skipped rows before it. Lookups come in
 * increasing order (batches come back in input order), so a cursor walks the skipped rows once.
 */
class RowNumbers {
  private readonly skipped: number[] = [];
  private cursor = 0;
  private lastOffset = -1;

  skip(inputRow: number): void {
    this.skipped.push(inputRow);
  }

  /** Input row of the sent row at `offset` (0-based). */
  at(offset: number): number {
    if (offset < this.lastOffset) this.cursor = 0;
    this.lastOffset = offset;
    let row = offset + 1 + this.cursor;
    while (this.cursor < this.skipped.length && this.skipped[this.cursor]! <= row) {
      this.cursor++;
      row++;
    }
    return row;
  }
}

/** A file written line by line that waits when the disk is slower than the model (bounded memory). */
class LineWriter {
  private readonly stream: WriteStream;
  private failed: Error | undefined;

  constructor(path: string) {
    this.stream = createWriteStream(path);
    this.stream.on('error', (err) => (this.failed ??= err));
  }

  async write(text: string): Promise<void> {
    if (this.failed) throw this.failed;
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    this.stream.end();
    await finished(this.stream);
  }
}
