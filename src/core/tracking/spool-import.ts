import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { LooplineError, invalid } from '../errors.ts';
import { ensureParentDir, resolveArtifactPath, safeRelative, sha256File } from '../store/artifact-files.ts';
import type { RunStore } from '../store/run-store.ts';
import { RUN_STATUSES, type RunStatus } from '../store/types.ts';
import { keyValues, metrics, optInteger, optString, type Fields } from './request-fields.ts';

/**
 * Replays a spool file written by the Python client while the tracking server was unreachable.
 * One JSON object per line (format v1): create-run, log-batch, update-run, artifact. Replaying
 * twice is harmless: identical metric points and params are ignored, an existing run is kept.
 */
export interface SpoolImportResult {
  runs: string[];
  lines: number;
  points: number;
  artifacts: number;
  /** Lines that could not be applied, with why; a torn last line from a crash is listed as such. */
  problems: Array<{ line: number; message: string }>;
}

export async function importSpool(store: RunStore, file: string): Promise<SpoolImportResult> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new LooplineError('RESOURCE_DOES_NOT_EXIST', `Spool file '${file}' not found.`);
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const result: SpoolImportResult = { runs: [], lines: 0, points: 0, artifacts: 0, problems: [] };
  const runs = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw) continue;
    const isLast = i === lines.length - 1;
    let rec: Fields;
    try {
      rec = JSON.parse(raw) as Fields;
      if (!rec || typeof rec !== 'object' || Array.isArray(rec)) throw new Error('not a JSON object');
    } catch (err) {
      result.problems.push({
        line: i + 1,
        message: isLast ? 'incomplete last line (the writer stopped mid-write); skipped' : `not valid JSON (${(err as Error).message}); skipped`,
      });
      continue;
    }
    try {
      const n = await applyRecord(store, rec);
      result.lines++;
      result.points += n.points;
      result.artifacts += n.artifacts;
      if (typeof rec.run_id === 'string') runs.add(rec.run_id);
    } catch (err) {
      result.problems.push({ line: i + 1, message: err instanceof Error ? err.message : String(err) });
    }
  }
  result.runs = [...runs];
  return result;
}

/** Applies one spool record (used by the container launcher, which tails spool files as they grow). */
export async function applyRecord(store: RunStore, rec: Fields): Promise<{ points: number; artifacts: number }> {
  if (rec.v !== 1) throw invalid(`Unsupported spool record version ${JSON.stringify(rec.v)}; this Loopline reads version 1.`);
  const runId = optString(rec, 'run_id');
  if (!runId) throw invalid('Spool record has no run_id.');
  switch (rec.op) {
    case 'create-run': {
      if (existsRun(store, runId)) return { points: 0, artifacts: 0 };
      store.createRun({
        id: runId,
        experimentId: optString(rec, 'experiment_id') || '0',
        name: optString(rec, 'run_name') ?? '',
        startTime: optInteger(rec, 'start_time') ?? Date.now(),
        tags: keyValues(rec, 'tags', 'tag'),
      });
      return { points: 0, artifacts: 0 };
    }
    case 'log-batch': {
      const pts = metrics(rec, Date.now());
      store.logBatch(runId, { metrics: pts, params: keyValues(rec, 'params', 'param'), tags: keyValues(rec, 'tags', 'tag') }, { enforceLimits: false });
      return { points: pts.length, artifacts: 0 };
    }
    case 'update-run': {
      const status = optString(rec, 'status');
      if (status && !(RUN_STATUSES as readonly string[]).includes(status)) throw invalid(`Unknown run status '${status}'.`);
      const endTime = optInteger(rec, 'end_time');
      store.updateRun(runId, { ...(status ? { status: status as RunStatus } : {}), ...(endTime !== undefined ? { endTime } : {}) });
      return { points: 0, artifacts: 0 };
    }
    case 'artifact': {
      const source = optString(rec, 'source');
      const rel = safeRelative(optString(rec, 'path') ?? '');
      if (!source || !rel) throw invalid('Artifact record needs source and path.');
      if (!existsSync(source)) throw invalid(`Artifact source file '${source}' no longer exists; log it again.`);
      store.getRun(runId);
      const target = resolveArtifactPath(store.artifactsRoot, runId, rel);
      ensureParentDir(target);
      copyFileSync(source, target);
      store.recordArtifact(runId, rel, statSync(target).size, await sha256File(target));
      return { points: 0, artifacts: 1 };
    }
    default:
      throw invalid(`Unknown spool operation ${JSON.stringify(rec.op)}.`);
  }
}

function existsRun(store: RunStore, id: string): boolean {
  try {
    store.getRun(id);
    return true;
  } catch (err) {
    if (err instanceof LooplineError && err.code === 'RESOURCE_DOES_NOT_EXIST') return false;
    throw err;
  }
}
