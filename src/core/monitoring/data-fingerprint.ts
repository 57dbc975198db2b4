import { basename } from 'node:path';
import type { DataFingerprint } from './profile-types.ts';
import { openRecordSource, type ReadOptions } from './record-source.ts';

/** Content hash, size and row count of a data file (what a run records about the data it used). */
export async function fingerprintFile(path: string, opts: ReadOptions = {}): Promise<DataFingerprint> {
  const source = openRecordSource(path, opts);
  let rows = 0;
  for await (const batch of source.batches()) rows += batch.length;
  return { name: basename(path), format: source.format, bytes: source.bytes, sha256: source.sha256(), rows };
}
