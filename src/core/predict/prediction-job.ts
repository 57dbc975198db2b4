import { basename } from 'node:path';
import type { ContainerBackend } from '../containers/container-backend.ts';
import type { ModelRegistry } from '../registry/model-registry.ts';
import { ModelScorer } from '../scoring/model-scorer.ts';
import { checkPredictionPaths, scoreFile, type ScoreFileOptions, type ScoreFileResult } from './batch-prediction.ts';

export interface PredictionJobOptions extends ScoreFileOptions {
  backend?: ContainerBackend;
  onStatus?: (message: string) => void;
}

export interface PredictionJobResult extends ScoreFileResult {
  /** What the user asked for (`iris@champion`); `model`/`version` is what it resolved to. */
  ref: string;
  /** Including the model server's start. */
  totalMs: number;
  auditId: number;
}

/**
 * A batch scoring job: the version (resolved once, so an alias moving meanwhile changes nothing) is
 * started exactly as it is served, the file streamed through it, the server stopped. The audit log
 * gets `predict.start` before the server starts (so a job killed outright still shows) and `predict`
 * when it ends, with the input's fingerprint, the version, the counts, the files and the times.
 */
export async function runPredictionJob(registry: ModelRegistry, ref: string, opts: PredictionJobOptions): Promise<PredictionJobResult> {
  const paths = checkPredictionPaths(opts);
  const v = registry.resolve(ref);
  const t0 = Date.now();
  const start = registry.audit.append({ action: 'predict.start', outcome: 'ok', model: v.model, version: v.version, detail: { ref, input: paths.input, output: paths.output, summary: `${basename(paths.input)} → ${basename(paths.output)}` } });
  const fail = (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    registry.audit.append({ action: 'predict', outcome: 'failed', model: v.model, version: v.version, detail: { ref, startEntry: start.id, input: paths.input, output: paths.output, error: message, summary: `failed: ${message.split('\n')[0]}` } });
  };
  let scorer: ModelScorer;
  try {
    scorer = await ModelScorer.start(registry, `${v.model}/${v.version}`, {
      ...(opts.backend ? { backend: opts.backend } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onStatus ? { onStatus: opts.onStatus } : {}),
    });
  } catch (err) {
    fail(err);
    throw err;
  }
  let result: ScoreFileResult;
  try {
    result = await scoreFile(scorer, opts);
  } catch (err) {
    fail(err);
    throw err;
  } finally {
    await scorer.stop();
  }
  const totalMs = Date.now() - t0;
  const rows = result.input.rows;
  const entry = registry.audit.append({
    action: 'predict',
    outcome: result.status === 'finished' ? 'ok' : 'failed',
    model: v.model,
    version: v.version,
    detail: {
      ref,
      startEntry: start.id,
      status: result.status,
      input: { path: result.input.path, sha256: result.input.sha256, bytes: result.input.bytes, rows, columns: result.input.columns },
      output: result.output,
      partial: result.partial,
      rejectedFile: result.rejectedFile,
      scored: result.scored,
      rejected: result.rejected,
      malformed: result.malformed,
      notScored: result.notScored,
      batchSize: result.batchSize,
      scoringMs: Math.round(result.elapsedMs),
      totalMs,
      rowsPerSecond: Math.round(result.rowsPerSecond),
      ...(result.error ? { error: result.error } : {}),
      summary:
        `${basename(result.input.path)} sha256:${result.input.sha256.slice(0, 12)} ${rows ?? '?'} rows: ${result.scored} scored, ${result.rejected} rejected` +
        (result.partial ? `, ${result.notScored ?? '?'} not scored (${result.status})` : ''),
    },
  });
  return { ...result, ref, totalMs, auditId: entry.id };
}
