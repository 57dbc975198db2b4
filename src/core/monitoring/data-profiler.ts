/**
 * Profiles a data file in one streaming pass: per column the type, missing values, exact summary
 * statistics and histogram, top categories, and from a uniform sample of rows the quantiles, the
 * correlation matrix and the values drift tests use. Memory is bounded by the sample (20,000
 * rows) and the distinct-value cap, not by the file: a 1 GB CSV is read 1 MB at a time.
 *
 * Quantile error: the sample is a uniform random sample of m rows (reservoir sampling), so by the
 * Dvoretzky–Kiefer–Wolfowitz inequality every quantile's rank is within ε = √(ln(2/δ) / 2m) of the
 * true one with probability 1 − δ: for m = 20,000 and δ = 0.01, ±1.15% of the rows. Exact when the
 * file has at most m rows.
 */
import { basename } from 'node:path';
import { ColumnAccumulator, detach, toCell, type Cell } from './column-accumulator.ts';
import { pearsonMatrix } from './correlation.ts';
import type { DataFormat } from './data-format.ts';
import { PROFILE_SCHEMA, type ColumnProfile, type DataFingerprint, type DataProfile } from './profile-types.ts';
import { cancelled, openRecordSource } from './record-source.ts';
import { RowReservoir } from './row-reservoir.ts';

export const SAMPLE_ROWS = 20_000;
/** Values per column kept in the profile for drift tests (a uniform subsample of the row sample). */
export const PROFILE_SAMPLE_VALUES = 5_000;
export const QUANTILE_LEVELS = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];
const MAX_CORRELATION_COLUMNS = 50;

export interface ProfileProgress {
  bytesRead: number;
  totalBytes: number;
  rows: number;
}

export interface ProfileOptions {
  signal?: AbortSignal;
  onProgress?: (p: ProfileProgress) => void;
  /** Rows in the sample (default 20,000). */
  sampleRows?: number;
  /** Display name of the source (default: the file name). */
  name?: string;
}

/** Linear interpolation between order statistics (numpy's default "linear" method). */
export function quantileOf(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export async function profileFile(path: string, opts: ProfileOptions = {}): Promise<DataProfile> {
  if (opts.signal?.aborted) throw cancelled();
  let rows = 0;
  const source = openRecordSource(path, {
    signal: opts.signal,
    onProgress: (bytesRead, totalBytes) => opts.onProgress?.({ bytesRead, totalBytes, rows }),
  });
  const columns: ColumnAccumulator[] = [];
  const reservoir = new RowReservoir<Cell[]>(opts.sampleRows ?? SAMPLE_ROWS);
  for await (const batch of source.batches()) {
    while (columns.length < source.columns.length) columns.push(new ColumnAccumulator(source.columns[columns.length]!));
    const width = columns.length;
    for (const raw of batch) {
      const keep = reservoir.wantsNext();
      const cells: Cell[] | null = keep ? new Array<Cell>(width) : null;
      for (let c = 0; c < width; c++) {
        const cell = c < raw.length ? toCell(raw[c]) : null;
        columns[c]!.add(cell);
        if (cells) cells[c] = typeof cell === 'string' ? detach(cell) : cell;
      }
      if (cells) reservoir.add(cells);
      else reservoir.skipRow();
      rows++;
    }
  }
  const fingerprint: DataFingerprint = { name: opts.name ?? basename(path), format: source.format, bytes: source.bytes, sha256: source.sha256(), rows };
  const warnings: string[] = [];
  const malformed = source.malformedRows();
  if (malformed > 0) {
    warnings.push(
      source.format === 'jsonl'
        ? `${malformed} line(s) were not JSON objects and were skipped.`
        : `${malformed} row(s) had a different number of fields than the header: missing fields count as missing, extra fields were ignored.`,
    );
  }
  return buildProfile(fingerprint, columns, reservoir.rows, warnings);
}

/** Profiles rows already in memory (a window of captured requests, a test's table). */
export function profileRows(name: string, columnNames: string[], data: unknown[][], format: DataFormat = 'jsonl'): DataProfile {
  const columns = columnNames.map((n) => new ColumnAccumulator(n));
  const reservoir = new RowReservoir<Cell[]>(SAMPLE_ROWS);
  for (const raw of data) {
    const cells = columns.map((col, c) => {
      const cell = toCell(raw[c]);
      col.add(cell);
      return cell;
    });
    if (reservoir.wantsNext()) reservoir.add(cells);
    else reservoir.skipRow();
  }
  return buildProfile({ name, format, bytes: 0, sha256: '', rows: data.length }, columns, reservoir.rows, []);
}

function buildProfile(source: DataFingerprint, columns: ColumnAccumulator[], sample: Cell[][], warnings: string[]): DataProfile {
  const rows = source.rows;
  // The profile keeps a subsample; shuffled by a fixed permutation so it stays uniform.
  const order = sample.map((_, i) => i);
  let seed = 12345;
  for (let i = order.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const kept = order.slice(0, PROFILE_SAMPLE_VALUES);
  const profiles: ColumnProfile[] = columns.map((col, c) => {
    const all: Array<number | string> = [];
    for (const row of sample) {
      const v = row[c];
      if (v !== null && v !== undefined) all.push(v);
    }
    const sub: Array<number | string> = [];
    for (const i of kept) {
      const v = sample[i]![c];
      if (v !== null && v !== undefined) sub.push(v);
    }
    const quantiles = () => {
      const sorted = Float64Array.from(all as number[]).sort();
      return QUANTILE_LEVELS.map((p) => ({ p, value: quantileOf(sorted, p) }));
    };
    return col.finish(rows, sub, quantiles);
  });
  const numeric = profiles.map((p, i) => ({ p, i })).filter(({ p }) => p.type === 'numeric').slice(0, MAX_CORRELATION_COLUMNS);
  if (profiles.filter((p) => p.type === 'numeric').length > MAX_CORRELATION_COLUMNS) warnings.push(`The correlation matrix shows the first ${MAX_CORRELATION_COLUMNS} numeric columns.`);
  const correlation = {
    columns: numeric.map(({ p }) => p.name),
    values: pearsonMatrix(numeric.map(({ i }) => sample.map((row) => (typeof row[i] === 'number' ? (row[i] as number) : NaN)))),
  };
  return { schema: PROFILE_SCHEMA, source, createdAt: new Date().toISOString(), rows, sampleRows: sample.length, columns: profiles, correlation, warnings };
}
