import { extname } from 'node:path';
import { invalid } from '../errors.ts';

export type DataFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet';

const BY_EXTENSION: Record<string, DataFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
  '.pq': 'parquet',
};

export const DATA_FILE_EXTENSIONS = Object.keys(BY_EXTENSION);

/** The format of a data file, from its extension (a clear error for anything else). */
export function dataFormatOf(path: string): DataFormat {
  const ext = extname(path).toLowerCase();
  const format = BY_EXTENSION[ext];
  if (!format) throw invalid(`Cannot profile '${path}': Loopline reads CSV (.csv), TSV (.tsv, .tab), JSON Lines (.jsonl, .ndjson) and Parquet (.parquet) files.`);
  return format;
}
