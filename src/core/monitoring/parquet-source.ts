/**
 * Parquet through hyparquet (pure JavaScript, no native build, maintained) plus
 * hyparquet-compressors for the codecs beyond snappy (gzip, zstd, brotli, lz4). Read one row group
 * at a time, so memory follows the row group, not the file. Loaded on first use.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { invalid } from '../errors.ts';
import { cancelled, type ReadOptions, type RecordSource, type RowBatch } from './record-source.ts';

/** Rows per batch inside a row group (hyparquet reads the pages it needs for the range). */
const BATCH_ROWS = 65_536;

export function readParquetBatches(path: string, bytes: number, opts: ReadOptions): RecordSource {
  let digest = '';
  const columns: string[] = [];
  return {
    format: 'parquet',
    bytes,
    columns,
    sha256: () => digest,
    malformedRows: () => 0,
    async *batches() {
      const { parquetMetadataAsync, parquetRead, parquetSchema } = await import('hyparquet');
      const { compressors } = await import('hyparquet-compressors');
      const handle = await open(path, 'r');
      try {
        const file = {
          byteLength: bytes,
          async slice(start: number, end?: number): Promise<ArrayBuffer> {
            const len = (end ?? bytes) - start;
            const buf = Buffer.alloc(len);
            await handle.read(buf, 0, len, start);
            return buf.buffer.slice(buf.byteOffset, buf.byteOffset + len) as ArrayBuffer;
          },
        };
        let meta;
        try {
          meta = await parquetMetadataAsync(file);
        } catch (err) {
          throw invalid(`'${path}' is not a readable Parquet file (${err instanceof Error ? err.message : String(err)}).`);
        }
        columns.push(...parquetSchema(meta).children.map((c) => c.element.name));
        const totalRows = Number(meta.num_rows);
        let done = 0;
        for (let start = 0; start < totalRows; start += BATCH_ROWS) {
          if (opts.signal?.aborted) throw cancelled();
          const end = Math.min(totalRows, start + BATCH_ROWS);
          let rows: RowBatch = [];
          await parquetRead({ file, metadata: meta, compressors, rowStart: start, rowEnd: end, onComplete: (r: unknown[][]) => (rows = r) });
          done = end;
          opts.onProgress?.(Math.round((done / Math.max(1, totalRows)) * bytes * 0.95), bytes);
          yield rows;
        }
      } finally {
        await handle.close();
      }
      digest = await sha256File(path, opts.signal);
      opts.onProgress?.(bytes, bytes);
    },
  };
}

async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (signal?.aborted) throw cancelled();
    hash.update(chunk);
  }
  return hash.digest('hex');
}
