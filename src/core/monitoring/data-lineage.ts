import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { loadProjectConfig } from '../project/project-config.ts';
import type { KeyValue } from '../store/types.ts';
import { fingerprintFile } from './data-fingerprint.ts';
import type { DataFingerprint } from './profile-types.ts';

/** Fingerprints already taken in this process, by path, size and mtime (a sweep reads its data once). */
const taken = new Map<string, Promise<DataFingerprint>>();

/**
 * What a run records about the data `loopline.yaml` declares (`data: {train: …, validation: …}`):
 * `loopline.data.<role>.{name,sha256,rows,bytes}` per file, so a version registered from the run
 * knows exactly which data it was trained on. A declared file that is missing or unreadable is a
 * problem to report, never a reason to fail the run.
 */
export async function dataLineageTags(projectDir: string): Promise<{ tags: KeyValue[]; problems: string[] }> {
  const tags: KeyValue[] = [];
  const problems: string[] = [];
  let data: unknown;
  try {
    data = loadProjectConfig(projectDir).raw.data;
  } catch (err) {
    return { tags, problems: [`reading loopline.yaml for the run's data: ${err instanceof Error ? err.message : String(err)}`] };
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return { tags, problems };
  for (const [role, value] of Object.entries(data as Record<string, unknown>)) {
    // Files only: a path with a folder or an extension (other keys, e.g. a label column, are not data files).
    if (typeof value !== 'string' || !/^[\w-]+$/.test(role) || !/[/\\.]/.test(value)) continue;
    const path = isAbsolute(value) ? value : join(projectDir, value);
    try {
      const st = statSync(path);
      const key = `${path}\0${st.size}\0${st.mtimeMs}`;
      let fp = taken.get(key);
      if (!fp) taken.set(key, (fp = fingerprintFile(path)));
      const f = await fp;
      tags.push(
        { key: `loopline.data.${role}.name`, value: value },
        { key: `loopline.data.${role}.sha256`, value: f.sha256 },
        { key: `loopline.data.${role}.rows`, value: String(f.rows) },
        { key: `loopline.data.${role}.bytes`, value: String(f.bytes) },
      );
    } catch (err) {
      problems.push(`loopline.yaml data.${role} (${value}) was not recorded with the run: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { tags, problems };
}
