import { readFileSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KeyValue, RunStatus } from '../store/types.ts';
import { IMPORT_TAGS, type ReadContext, type SourceArtifact, type SourceExperiment, type SourceRun } from './import-types.ts';
import { PointBuffer } from './point-buffer.ts';
import { artifactFilesUnder } from './artifact-sources.ts';
import { parseFlatYaml } from './flat-yaml.ts';
import { filesUnder, isDir, isFile, listDir, parseYaml } from './source-files.ts';

const STATUS_CODES: Record<number, RunStatus> = { 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };
/** Folders of an experiment that are not runs (MLflow 2/3 datasets, logged models, traces). */
const NON_RUN_FOLDERS = new Set(['models', 'datasets', 'traces', 'tags']);

/** `PATH` may be the `mlruns` folder itself or a project folder holding one. */
export function mlflowRoot(path: string): string {
  if (isDir(join(path, 'mlruns')) && !isFile(join(path, '0', 'meta.yaml'))) return join(path, 'mlruns');
  return path;
}

/** Experiment folders: active ones, then `.trash/` (deleted experiments). */
function experimentFolders(root: string): Array<{ dir: string; id: string; trashed: boolean }> {
  const out: Array<{ dir: string; id: string; trashed: boolean }> = [];
  for (const [base, trashed] of [[root, false], [join(root, '.trash'), true]] as const) {
    for (const e of listDir(base)) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      if (isFile(join(base, e.name, 'meta.yaml'))) out.push({ dir: join(base, e.name), id: e.name, trashed });
    }
  }
  return out;
}

export function* readMlflowStore(path: string, ctx: ReadContext, experimentName?: string): Generator<SourceRun> {
  const root = mlflowRoot(path);
  for (const exp of experimentFolders(root)) {
    if (ctx.cancelled()) return;
    const metaFile = join(exp.dir, 'meta.yaml');
    const meta = readMeta(metaFile, ctx);
    const name = typeof meta?.name === 'string' && meta.name ? meta.name : `mlflow-experiment-${exp.id}`;
    const experiment: SourceExperiment = experimentName
      ? { name: experimentName, deleted: false }
      : { name, deleted: exp.trashed || meta?.lifecycle_stage === 'deleted' };
    ctx.experiment(experiment);
    const models = loggedModels(exp.dir, ctx);
    for (const e of listDir(exp.dir)) {
      if (ctx.cancelled()) return;
      if (!e.isDirectory() || e.name.startsWith('.') || NON_RUN_FOLDERS.has(e.name)) continue;
      const runDir = join(exp.dir, e.name);
      if (!isFile(join(runDir, 'meta.yaml'))) {
        ctx.problem(runDir, undefined, 'folder has no meta.yaml, so it is not an MLflow run; skipped');
        continue;
      }
      const run = readRun(runDir, experiment, exp.trashed, ctx, models.get(e.name) ?? [], exp.dir);
      if (run) yield run;
    }
  }
}

function readMeta(file: string, ctx: ReadContext): Record<string, unknown> | undefined {
  if (!ctx.readable(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    ctx.problem(file, undefined, `cannot read: ${(err as Error).message}`);
    return undefined;
  }
  const flat = parseFlatYaml(text);
  if (flat) return flat;
  const parsed = parseYaml(text);
  if (!parsed.ok) {
    ctx.problem(file, parsed.position, `malformed YAML: ${parsed.message}`);
    return undefined;
  }
  if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    ctx.problem(file, 'line 1', 'meta.yaml is not a mapping of fields');
    return undefined;
  }
  return parsed.value as Record<string, unknown>;
}

interface LoggedModel {
  id: string;
  dir: string;
  meta: Record<string, unknown>;
}

/** MLflow 3 logs models per experiment (`models/<id>/`); each is kept with the run that made it. */
function loggedModels(expDir: string, ctx: ReadContext): Map<string, LoggedModel[]> {
  const byRun = new Map<string, LoggedModel[]>();
  for (const e of listDir(join(expDir, 'models'))) {
    const dir = join(expDir, 'models', e.name);
    if (!e.isDirectory() || !isFile(join(dir, 'meta.yaml'))) continue;
    const meta = readMeta(join(dir, 'meta.yaml'), ctx);
    const runId = meta && typeof meta.source_run_id === 'string' ? meta.source_run_id : undefined;
    if (!meta || !runId) continue;
    byRun.set(runId, [...(byRun.get(runId) ?? []), { id: e.name, dir, meta }]);
  }
  return byRun;
}

function readRun(runDir: string, experiment: SourceExperiment, trashed: boolean, ctx: ReadContext, models: LoggedModel[], expDir: string): SourceRun | undefined {
  const metaFile = join(runDir, 'meta.yaml');
  const meta = readMeta(metaFile, ctx);
  if (!meta) return undefined;
  // The folder is named after the run id; YAML could read an all-digit id as a number.
  const runId = basename(runDir);
  const tags = keyValueFiles(join(runDir, 'tags'));
  const params = keyValueFiles(join(runDir, 'params'));
  const tagName = tags.find((t) => t.key === 'mlflow.runName')?.value;
  const name = (typeof meta.run_name === 'string' && meta.run_name) || tagName || (typeof meta.name === 'string' && meta.name) || runId;
  const status = runStatus(meta.status, metaFile, ctx);
  const points = new PointBuffer();
  for (const rel of filesUnder(join(runDir, 'metrics'))) readMetricFile(join(runDir, 'metrics', rel), rel, points, ctx);

  const artifacts: SourceArtifact[] = [];
  const uri = typeof meta.artifact_uri === 'string' ? meta.artifact_uri : '';
  const { dir: local, refused } = localArtifactDir(uri, runDir, metaFile, ctx);
  if (uri) tags.push({ key: 'loopline.import.artifact_uri', value: uri });
  if (local) for (const rel of artifactFilesUnder(local)) artifacts.push({ path: rel, file: join(local, rel) });
  else if (uri && !refused) tags.push({ key: IMPORT_TAGS.artifactsMissing, value: uri });
  for (const m of models) {
    tags.push({ key: `loopline.import.model.${m.id}`, value: JSON.stringify(m.meta) });
    const dir = join(m.dir, 'artifacts');
    if (!isDir(dir)) continue;
    if (!ctx.artifactSources.contains(dir)) {
      ctx.refuseArtifacts(dir, `the logged model's artifact folder leads outside the imported folder; not copied. ${TRUST_HINT}`);
      continue;
    }
    for (const rel of artifactFilesUnder(dir)) artifacts.push({ path: `models/${m.id}/${rel}`, file: join(dir, rel) });
  }
  // MLflow 2.4+ dataset inputs and MLflow 3 outputs: small YAML records, kept whole as tags.
  for (const kind of ['inputs', 'outputs']) {
    for (const e of listDir(join(runDir, kind))) {
      const f = join(runDir, kind, e.name, 'meta.yaml');
      if (!e.isDirectory() || !isFile(f)) continue;
      const m = readMeta(f, ctx);
      if (!m) continue;
      // A dataset input points at the experiment's `datasets/<id>/meta.yaml` (name, digest, source, schema).
      const datasetMeta = join(expDir, 'datasets', String(m.source_id ?? ''), 'meta.yaml');
      if (m.source_type === 'DATASET' && isFile(datasetMeta)) {
        const dataset = readMeta(datasetMeta, ctx);
        if (dataset) m.dataset = dataset;
      }
      tags.push({ key: `loopline.import.${kind}.${e.name}`, value: JSON.stringify(m) });
    }
  }
  const start = typeof meta.start_time === 'number' ? meta.start_time : 0;
  const end = typeof meta.end_time === 'number' ? meta.end_time : null;
  return {
    sourceId: runId,
    preferredId: runId,
    experiment,
    name,
    status,
    startTime: start,
    endTime: end,
    lifecycleStage: trashed || meta.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    userId: typeof meta.user_id === 'string' ? meta.user_id : '',
    params,
    tags,
    points,
    artifacts,
  };
}

function runStatus(raw: unknown, file: string, ctx: ReadContext): RunStatus {
  if (typeof raw === 'number' && STATUS_CODES[raw]) return STATUS_CODES[raw]!;
  if (typeof raw === 'string') {
    const s = raw.replace(/^RunStatus\./, '').toUpperCase();
    if (Object.values(STATUS_CODES).includes(s as RunStatus)) return s as RunStatus;
  }
  ctx.problem(file, undefined, `unknown run status ${JSON.stringify(raw)}; imported as FINISHED`);
  return 'FINISHED';
}

/** Params and tags: one file per key (nested keys as sub-folders), the value is the whole file. */
function keyValueFiles(dir: string): KeyValue[] {
  return filesUnder(dir).map((rel) => ({ key: rel, value: readFileSync(join(dir, rel), 'utf8') }));
}

/** Lines `timestamp value step`, or the legacy `timestamp value` (step 0). */
function readMetricFile(file: string, key: string, points: PointBuffer, ctx: ReadContext): void {
  const text = readFileSync(file, 'utf8');
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    // MLflow writes `ts value step` with single spaces: cut at them without a regex split. Any
    // line that does not parse that way is read again the general way, which reports it.
    const a = line.indexOf(' ');
    const b = a < 0 ? -1 : line.indexOf(' ', a + 1);
    if (a > 0) {
      const ts = Number(line.slice(0, a));
      const value = parseMlflowNumber(b < 0 ? line.slice(a + 1) : line.slice(a + 1, b));
      const step = b < 0 ? 0 : Number(line.slice(b + 1));
      if (value !== undefined && Number.isSafeInteger(ts) && Number.isSafeInteger(step) && (b < 0 || line.indexOf(' ', b + 1) < 0) && b !== a + 1 && b !== line.length - 1) {
        points.add(key, step, ts, value);
        continue;
      }
    }
    if (!line.trim()) continue;
    const parts = line.trim().split(/\s+/);
    const ts = Number(parts[0]);
    const value = parseMlflowNumber(parts[1]);
    const step = parts.length >= 3 ? Number(parts[2]) : 0;
    if (parts.length < 2 || parts.length > 3 || !Number.isSafeInteger(ts) || value === undefined || !Number.isSafeInteger(step)) {
      ctx.problem(file, `line ${lineNo}`, `not a metric line 'timestamp value step': ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    points.add(key, step, ts, value);
  }
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Python's `str(float)`: `nan`, `inf`, `-inf` besides ordinary numbers. */
export function parseMlflowNumber(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (DECIMAL.test(s)) return Number(s);
  const t = s.toLowerCase();
  if (t === 'nan') return NaN;
  if (t === 'inf' || t === 'infinity' || t === '+inf') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return undefined;
}

const TRUST_HINT = 'A downloaded store could otherwise copy any file of this machine into Loopline. If you trust that folder, import again with --artifacts-from FOLDER.';

/**
 * The run's artifacts on this machine: its `file://` URI when that folder exists here, else the
 * `artifacts/` folder beside meta.yaml (a store copied from another machine keeps them there).
 * Either must lie inside the imported folder (or one named with --artifacts-from).
 */
function localArtifactDir(uri: string, runDir: string, metaFile: string, ctx: ReadContext): { dir?: string; refused: boolean } {
  let path: string | undefined;
  try {
    if (uri.startsWith('file:')) path = fileURLToPath(uri.startsWith('file:///') || uri.startsWith('file://localhost/') ? uri : uri.replace(/^file:(\/\/)?/, 'file:///'));
    else if (uri && !/^[a-z][a-z0-9+.-]*:/i.test(uri)) path = isAbsolute(uri) ? uri : resolve(runDir, '..', '..', '..', uri);
  } catch {
    path = undefined;
  }
  let refused = false;
  if (path && isDir(path)) {
    if (ctx.artifactSources.contains(path)) return { dir: path, refused };
    refused = true;
    ctx.refuseArtifacts(
      metaFile,
      `artifact_uri ${uri} names ${path}, outside the imported folder; its files were not copied. ${TRUST_HINT.replace('FOLDER', path)}`,
    );
  }
  const beside = join(runDir, 'artifacts');
  if (!isDir(beside)) return { refused };
  if (ctx.artifactSources.contains(beside)) return { dir: beside, refused };
  ctx.refuseArtifacts(beside, `this artifacts folder is a link that leads outside the imported folder; not copied. ${TRUST_HINT}`);
  return { refused: true };
}
