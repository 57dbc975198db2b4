import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { LooplineError, invalid } from '../errors.ts';
import { ensureParentDir, listArtifactDir, requireArtifactFile, resolveArtifactPath, safeRelative } from '../store/artifact-files.ts';
import type { RunStore } from '../store/run-store.ts';
import { toMlflowFileInfo } from './mlflow-json.ts';
import { HttpStatusError, sendJson } from './http-responses.ts';

/**
 * MLflow's proxied artifact API (`mlflow-artifacts:` URIs). Paths look like
 * `<experiment-id>/<run-id>/artifacts/<relative path>`, matching each run's `artifact_uri`.
 * Returns the id of a run whose artifacts changed.
 */
export async function handleArtifactRequest(
  req: IncomingMessage,
  res: ServerResponse,
  store: RunStore,
  path: string,
  query: URLSearchParams,
): Promise<string | null> {
  if (path === '') {
    if (req.method !== 'GET') throw notAllowed(res, 'GET', 'Use GET to list artifacts.');
    const listPath = query.get('path') ?? '';
    const { runId, rel } = splitPath(store, listPath);
    const files = listArtifactDir(store.artifactsRoot, runId, rel).map((e) => toMlflowFileInfo(e, e.path.split('/').pop() ?? e.path));
    sendJson(res, 200, { files });
    return null;
  }
  const { runId, rel } = splitPath(store, path);
  if (req.method === 'GET') {
    const file = requireArtifactFile(store.artifactsRoot, runId, rel);
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': statSync(file).size,
      'X-Content-Type-Options': 'nosniff',
      'Content-Disposition': 'attachment',
    });
    await pipeline(createReadStream(file), res);
    return null;
  }
  if (req.method === 'PUT' || req.method === 'POST') {
    if (!rel) throw invalid('Give a file path after artifacts/ to upload to.');
    const target = resolveArtifactPath(store.artifactsRoot, runId, rel);
    ensureParentDir(target);
    // Write beside the target and rename, so a reader never sees half a file.
    const tmp = `${target}.upload-${randomBytes(6).toString('hex')}`;
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(req, tap, createWriteStream(tmp));
      renameSync(tmp, target);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    store.recordArtifact(runId, rel, size, hash.digest('hex'));
    sendJson(res, 200, {});
    return runId;
  }
  throw notAllowed(res, 'GET, PUT, POST', `Method ${req.method} is not supported for artifacts; use GET to download or PUT to upload.`);
}

function splitPath(store: RunStore, raw: string): { runId: string; rel: string } {
  const clean = safeRelative(raw);
  const parts = clean.split('/');
  const [experimentId, runId, marker, ...rest] = parts;
  if (!experimentId || !runId || marker !== 'artifacts') {
    throw invalid(`Artifact path '${raw}' must look like <experiment-id>/<run-id>/artifacts/<file>, as in the run's artifact_uri.`);
  }
  const run = store.getRun(runId);
  if (run.info.experimentId !== experimentId) throw invalid(`Run '${runId}' is not in experiment '${experimentId}'.`);
  return { runId, rel: rest.join('/') };
}

function notAllowed(res: ServerResponse, allow: string, message: string): HttpStatusError {
  res.setHeader('Allow', allow);
  return new HttpStatusError(405, 'BAD_REQUEST', message);
}
