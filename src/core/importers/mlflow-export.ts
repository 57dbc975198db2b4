import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { invalid } from '../errors.ts';
import { resolveArtifactPath } from '../store/artifact-files.ts';
import type { RunStore } from '../store/run-store.ts';
import type { Experiment, Run, RunStatus } from '../store/types.ts';
import { IMPORT_TAGS, type ImportProblem } from './import-types.ts';
import { parseYaml } from './source-files.ts';

const STATUS_CODE: Record<RunStatus, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };
/** Tags that describe a Loopline import rather than the run; a new import writes its own. */
const DROPPED_TAGS = new Set<string>([IMPORT_TAGS.format, IMPORT_TAGS.source, IMPORT_TAGS.sourceId]);
const PAGE = 50_000;

export interface ExportSummary {
  destination: string;
  experiments: string[];
  runs: number;
  params: number;
  tags: number;
  metricPoints: number;
  artifacts: number;
  skipped: ImportProblem[];
}

/**
 * Writes runs as an MLflow file store (`mlruns/` layout, the one `mlflow ui --backend-store-uri`
 * and `MlflowClient` read): experiment and run `meta.yaml`, one file per param and tag, metric
 * files of `timestamp value step` lines, artifacts copied. Deleted experiments go to `.trash/`.
 */
export function exportToMlflow(store: RunStore, runIds: string[], to: string, onRun?: (done: number, total: number) => void): ExportSummary {
  const dest = resolve(to);
  mkdirSync(join(dest, '.trash'), { recursive: true });
  const summary: ExportSummary = { destination: dest, experiments: [], runs: 0, params: 0, tags: 0, metricPoints: 0, artifacts: 0, skipped: [] };
  const experiments = new Map<string, string>();
  const ids = runIds.map((id) => store.resolveRunId(id));
  for (const id of ids) {
    const run = store.getRun(id);
    let expDir = experiments.get(run.info.experimentId);
    if (!expDir) {
      const exp = store.getExperiment(run.info.experimentId);
      expDir = writeExperiment(dest, exp);
      experiments.set(exp.id, expDir);
      summary.experiments.push(exp.name);
    }
    writeRun(store, run, expDir, summary);
    summary.runs++;
    onRun?.(summary.runs, ids.length);
  }
  return summary;
}

function writeExperiment(dest: string, exp: Experiment): string {
  const dir = exp.lifecycleStage === 'deleted' ? join(dest, '.trash', exp.id) : join(dest, exp.id);
  const metaFile = join(dir, 'meta.yaml');
  if (existsSync(metaFile)) {
    const existing = parseYaml(readFileSync(metaFile, 'utf8'));
    const name = existing.ok ? (existing.value as { name?: unknown })?.name : undefined;
    if (name !== exp.name) {
      throw invalid(`${dir} already holds experiment '${String(name)}', not '${exp.name}'. Export into an empty folder, or into the MLflow store this one came from.`);
    }
    return dir;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    metaFile,
    stringify({
      artifact_location: pathToFileURL(dir).href,
      creation_time: exp.creationTime,
      experiment_id: exp.id,
      last_update_time: exp.lastUpdateTime,
      lifecycle_stage: exp.lifecycleStage,
      name: exp.name,
    }),
  );
  for (const [key, value] of Object.entries(exp.tags)) writeKeyFile(join(dir, 'tags'), key, value);
  return dir;
}

function writeRun(store: RunStore, run: Run, expDir: string, summary: ExportSummary): void {
  const { info } = run;
  const dir = join(expDir, info.id);
  mkdirSync(join(dir, 'artifacts'), { recursive: true });
  writeFileSync(
    join(dir, 'meta.yaml'),
    stringify({
      artifact_uri: pathToFileURL(join(dir, 'artifacts')).href,
      end_time: info.endTime,
      entry_point_name: '',
      experiment_id: info.experimentId,
      lifecycle_stage: info.lifecycleStage,
      run_id: info.id,
      run_name: info.name,
      run_uuid: info.id,
      source_name: '',
      source_type: 4,
      source_version: '',
      start_time: info.startTime,
      status: STATUS_CODE[info.status],
      tags: [],
      user_id: info.userId,
    }),
  );
  const skip = (key: string, kind: string) => summary.skipped.push({ file: dir, message: `${kind} '${key}' cannot be a file name in an MLflow store; not exported` });
  for (const [key, value] of Object.entries(run.params)) (writeKeyFile(join(dir, 'params'), key, value) ? summary.params++ : skip(key, 'param'));
  for (const [key, value] of Object.entries(run.tags)) {
    if (DROPPED_TAGS.has(key)) continue;
    if (writeKeyFile(join(dir, 'tags'), key, value)) summary.tags++;
    else skip(key, 'tag');
  }
  for (const m of run.metrics) {
    const file = keyPath(join(dir, 'metrics'), m.key);
    if (!file) {
      skip(m.key, 'metric');
      continue;
    }
    mkdirSync(join(file, '..'), { recursive: true });
    const fd = openSync(file, 'w');
    try {
      // Paged: a long history is never held whole.
      let after: { step: number; timestamp: number; value: number } | undefined;
      for (;;) {
        const page = store.metricHistory(info.id, m.key, { limit: PAGE, after });
        if (page.length === 0) break;
        let text = '';
        for (const p of page) text += `${p.timestamp} ${pythonFloat(p.value)} ${p.step}\n`;
        writeSync(fd, text);
        summary.metricPoints += page.length;
        const last = page[page.length - 1]!;
        after = { step: last.step, timestamp: last.timestamp, value: last.value };
        if (page.length < PAGE) break;
      }
    } finally {
      closeSync(fd);
    }
  }
  for (const a of store.recordedArtifacts(info.id)) {
    const src = resolveArtifactPath(store.artifactsRoot, info.id, a.path);
    const target = keyPath(join(dir, 'artifacts'), a.path);
    if (!target || !existsSync(src)) {
      summary.skipped.push({ file: src, message: `artifact '${a.path}' is recorded but missing from the store's artifact folder; not exported` });
      continue;
    }
    mkdirSync(join(target, '..'), { recursive: true });
    copyFileSync(src, target);
    summary.artifacts++;
  }
}

/** `eval/loss` -> `<dir>/eval/loss`; undefined for keys that would leave the folder. */
function keyPath(dir: string, key: string): string | undefined {
  const parts = key.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0') || p.includes('\\'))) return undefined;
  return join(dir, ...parts);
}

function writeKeyFile(dir: string, key: string, value: string): boolean {
  const file = keyPath(dir, key);
  if (!file) return false;
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, value);
  return true;
}

/** As Python's `str(float)` writes them, which MLflow's reader parses back. */
function pythonFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}
