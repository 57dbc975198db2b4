/**
 * Reading a data file as a stream of row batches, whatever its format. A batch is a list of rows;
 * each row holds one value per column of `columns` at the time (JSON Lines may add columns as it
 * goes: earlier rows simply lack them). Values are what the format gives: strings from CSV/TSV,
 * JSON values from JSON Lines, typed values from Parquet.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { LooplineError, invalid, notFound } from '../errors.ts';
import { CsvParser } from './csv-parser.ts';
import { dataFormatOf, type DataFormat } from './data-format.ts';

export type RowBatch = unknown[][];

export interface ReadOptions {
  signal?: AbortSignal;
  /** Bytes read so far (of `totalBytes`). */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface RecordSource {
  format: DataFormat;
  bytes: number;
  columns: string[];
  batches(): AsyncGenerator<RowBatch>;
  /** SHA-256 of the file's bytes, once all batches were read. */
  sha256(): string;
  /** Rows whose field count did not match the header (CSV/TSV), lines that were not JSON objects (JSONL). */
  malformedRows(): number;
}

const CHUNK = 1 << 20;

export function cancelled(): LooplineError {
  return new LooplineError('INVALID_STATE', 'Profiling was cancelled.');
}

export function openRecordSource(path: string, opts: ReadOptions = {}): RecordSource {
  const format = dataFormatOf(path);
  let bytes: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw invalid(`'${path}' is not a file.`);
    bytes = st.size;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw notFound(`No such file: '${path}'.`);
    throw err;
  }
  if (format === 'parquet') return lazyParquetSource(path, bytes, opts);
  return format === 'jsonl' ? jsonLinesSource(path, bytes, opts) : delimitedSource(path, bytes, format, opts);
}

/** Chunks of the file as text, hashing the bytes on the way, checking for cancel between chunks. */
async function* textChunks(path: string, bytes: number, hash: ReturnType<typeof createHash>, opts: ReadOptions): AsyncGenerator<string> {
  const stream = createReadStream(path, { highWaterMark: CHUNK });
  const decoder = new TextDecoder('utf-8');
  let read = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (opts.signal?.aborted) throw cancelled();
      hash.update(chunk);
      read += chunk.length;
      yield decoder.decode(chunk, { stream: true });
      opts.onProgress?.(read, bytes);
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  } finally {
    stream.destroy();
  }
}

function delimitedSource(path: string, bytes: number, format: 'csv' | 'tsv', opts: ReadOptions): RecordSource {
  const hash = createHash('sha256');
  let digest = '';
  let malformed = 0;
  const columns: string[] = [];
  const source: RecordSource = {
    format,
    bytes,
    columns,
    sha256: () => digest,
    malformedRows: () => malformed,
    async *batches() {
      const parser = new CsvParser(format === 'tsv' ? '\t' : ',');
      let header: string[] | undefined;
      const take = (rows: string[][]): RowBatch => {
        if (!header) {
          const first = rows.shift();
          if (!first) return [];
          header = uniqueNames(first);
          columns.push(...header);
        }
        for (const r of rows) {
          if (r.length !== header.length && !(r.length === 1 && r[0] === '')) malformed++;
        }
        // A blank line is not a row.
        return rows.filter((r) => !(r.length === 1 && r[0] === ''));
      };
      for await (const text of textChunks(path, bytes, hash, opts)) {
        const batch = take(parser.push(text));
        if (batch.length) yield batch;
      }
      const last = take(parser.end());
      digest = hash.digest('hex');
      if (last.length) yield last;
      if (!header) throw invalid(`'${path}' is empty: a ${format.toUpperCase()} file needs a header row.`);
    },
  };
  return source;
}

/** Header names made unique and non-empty (pandas-style: name, name.1, ...). */
export function uniqueNames(raw: string[]): string[] {
  const seen = new Map<string, number>();
  return raw.map((name, i) => {
    let n = name.trim() === '' ? `column_${i + 1}` : name;
    const count = seen.get(n) ?? 0;
    seen.set(n, count + 1);
    if (count > 0) n = `${n}.${count}`;
    return n;
  });
}

function jsonLinesSource(path: string, bytes: number, opts: ReadOptions): RecordSource {
  const hash = createHash('sha256');
  let digest = '';
  let malformed = 0;
  const columns: string[] = [];
  const index = new Map<string, number>();
  let lineNo = 0;
  let firstBad: string | undefined;
  const parseLine = (line: string, out: RowBatch) => {
    lineNo++;
    const t = line.trim();
    if (!t) return;
    let obj: unknown;
    try {
      obj = JSON.parse(t);
    } catch {
      obj = undefined;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      malformed++;
      firstBad ??= `line ${lineNo}`;
      return;
    }
    const row: unknown[] = new Array(columns.length);
    for (const [k, v] of Object.entries(obj)) {
      let i = index.get(k);
      if (i === undefined) {
        i = columns.length;
        columns.push(k);
        index.set(k, i);
      }
      row[i] = v;
    }
    out.push(row);
  };
  return {
    format: 'jsonl',
    bytes,
    columns,
    sha256: () => digest,
    malformedRows: () => malformed,
    async *batches() {
      let carry = '';
      for await (const text of textChunks(path, bytes, hash, opts)) {
        const lines = (carry + text).split('\n');
        carry = lines.pop() ?? '';
        const out: RowBatch = [];
        for (const l of lines) parseLine(l, out);
        if (out.length) yield out;
      }
      const out: RowBatch = [];
      if (carry) parseLine(carry, out);
      digest = hash.digest('hex');
      if (out.length) yield out;
      if (columns.length === 0 && malformed > 0) throw invalid(`'${path}' has no JSON objects (first bad ${firstBad}): JSON Lines needs one object per line, like {"age": 31, "city": "Oslo"}.`);
    },
  };
}

/**
 * Parquet support (hyparquet, ~170 KB) is loaded on the first Parquet read: the extension bundle
 * keeps it in its own file (dist/parquet-source.cjs), so activation does not parse it.
 */
function lazyParquetSource(path: string, bytes: number, opts: ReadOptions): RecordSource {
  let inner: RecordSource | undefined;
  const columns: string[] = [];
  const sync = () => inner && columns.splice(0, columns.length, ...inner.columns);
  return {
    format: 'parquet',
    bytes,
    columns,
    sha256: () => inner?.sha256() ?? '',
    malformedRows: () => inner?.malformedRows() ?? 0,
    async *batches() {
      const { readParquetBatches } = await import('./parquet-source.ts');
      inner = readParquetBatches(path, bytes, opts);
      for await (const b of inner.batches()) {
        sync();
        yield b;
      }
      sync();
    },
  };
}
