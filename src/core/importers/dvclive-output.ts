import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { ReadContext, SourceRun } from './import-types.ts';
import { parseMlflowNumber } from './mlflow-filestore.ts';
import { PointBuffer } from './point-buffer.ts';
import { filesUnder, flattenParams, isDir, isFile, listDir, parseYaml } from './source-files.ts';

const SKIP_DIRS = new Set(['.git', 'node_modules', '.venv', 'venv', '__pycache__', '.loopline', '.dvc', 'data']);

/** One DVCLive output folder and where its layout keeps each part. */
interface DvcLiveDir {
  dir: string;
  /** Folder whose `*.tsv` files (recursively) are the metric histories. */
  metricsRoot: string;
  summary?: string;
  params?: string;
  layout: 'plots' | 'scalars' | 'flat';
}

/**
 * The three generations of DVCLive output, found wherever they are (custom folder names from
 * `dvc.yaml` such as `training/` or `dvclive-metrics/` included):
 * - dvclive >= 2: `<dir>/plots/metrics/**.tsv`, `<dir>/metrics.json`, `<dir>/params.yaml`;
 * - 1.x: `<dir>/scalars/**.tsv`, summary `<dir>.json` beside the folder;
 * - 0.x: `<dir>/*.tsv` directly, summary `<dir>.json` beside the folder.
 */
export function findDvcLiveDirs(root: string, dir = root): DvcLiveDir[] {
  const out: DvcLiveDir[] = [];
  const siblingJson = isFile(`${dir}.json`) ? `${dir}.json` : undefined;
  const projectParams = isFile(join(dirname(dir), 'params.yaml')) ? join(dirname(dir), 'params.yaml') : undefined;
  const ownParams = isFile(join(dir, 'params.yaml')) ? join(dir, 'params.yaml') : undefined;
  if (hasTsv(join(dir, 'plots', 'metrics'))) {
    out.push({ dir, metricsRoot: join(dir, 'plots', 'metrics'), summary: isFile(join(dir, 'metrics.json')) ? join(dir, 'metrics.json') : undefined, params: ownParams, layout: 'plots' });
  } else if (hasTsv(join(dir, 'scalars'))) {
    out.push({ dir, metricsRoot: join(dir, 'scalars'), summary: siblingJson, params: ownParams ?? projectParams, layout: 'scalars' });
  } else if (dir !== root && siblingJson && listDir(dir).some((e) => e.isFile() && e.name.endsWith('.tsv'))) {
    out.push({ dir, metricsRoot: dir, summary: siblingJson, params: ownParams ?? projectParams, layout: 'flat' });
  }
  const claimed = new Set(out.map((d) => d.metricsRoot));
  for (const e of listDir(dir)) {
    const sub = join(dir, e.name);
    if (e.isDirectory() && !SKIP_DIRS.has(e.name) && !e.name.startsWith('.') && !claimed.has(sub) && sub !== join(dir, 'plots')) out.push(...findDvcLiveDirs(root, sub));
  }
  return out;
}

function hasTsv(dir: string): boolean {
  return isDir(dir) && filesUnder(dir).some((f) => f.endsWith('.tsv'));
}

export function* readDvcLiveOutput(path: string, ctx: ReadContext, experimentName?: string): Generator<SourceRun> {
  const experiment = { name: experimentName ?? basename(path), deleted: false };
  ctx.experiment(experiment);
  for (const d of findDvcLiveDirs(path)) {
    if (ctx.cancelled()) return;
    const points = new PointBuffer();
    let first = Infinity;
    let last = -Infinity;
    for (const rel of filesUnder(d.metricsRoot).filter((f) => f.endsWith('.tsv'))) {
      const file = join(d.metricsRoot, rel);
      // The name comes from the path: newer versions write only the leaf name in the header.
      const key = rel.slice(0, -'.tsv'.length);
      const range = readTsv(file, key, points, ctx);
      first = Math.min(first, range.first);
      last = Math.max(last, range.last);
    }
    if (d.summary && ctx.readable(d.summary)) applySummary(d.summary, points, ctx);
    const params = [];
    // The project's params.yaml beside an imported dvclive folder is read too (DVC keeps it there).
    if (d.params && ctx.readable(d.params)) {
      const parsed = parseYaml(readFileSync(d.params, 'utf8'), { scalarText: true });
      if (parsed.ok) for (const [key, value] of flattenParams(parsed.value)) params.push({ key, value });
      else ctx.problem(d.params, parsed.position, `malformed YAML: ${parsed.message}; its params were not imported`);
    }
    const rel = relative(path, d.dir).split('\\').join('/');
    yield {
      sourceId: rel || '.',
      experiment,
      name: rel || basename(path),
      status: 'FINISHED',
      startTime: Number.isFinite(first) ? first : 0,
      endTime: Number.isFinite(last) ? last : null,
      lifecycleStage: 'active',
      userId: '',
      params,
      tags: [{ key: 'loopline.import.dvclive.layout', value: d.layout }],
      points,
      artifacts: [],
    };
  }
}

/**
 * `step<TAB>name` or `timestamp<TAB>step<TAB>name`. Without a timestamp column points get
 * timestamp 0 (the source has none; a file time would change when the file grows, and a re-import
 * would then duplicate every point). Returns the file's time range for the run's start and end.
 */
function readTsv(file: string, key: string, points: PointBuffer, ctx: ReadContext): { first: number; last: number } {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const header = (lines[0] ?? '').split('\t');
  const stepCol = header.indexOf('step');
  const tsCol = header.indexOf('timestamp');
  const valueCol = header.findIndex((h, i) => i !== stepCol && i !== tsCol);
  const mtime = statSync(file).mtimeMs;
  if (stepCol < 0 || valueCol < 0) {
    ctx.problem(file, 'line 1', `header ${JSON.stringify(lines[0]?.slice(0, 80))} has no 'step' and value column; file skipped`);
    return { first: Infinity, last: -Infinity };
  }
  let first = tsCol < 0 ? Math.round(mtime) : Infinity;
  let last = tsCol < 0 ? Math.round(mtime) : -Infinity;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const cells = line.split('\t');
    const step = Number(cells[stepCol]);
    const value = parseMlflowNumber(cells[valueCol]);
    const ts = tsCol < 0 ? 0 : Number(cells[tsCol]);
    if (cells.length !== header.length || !Number.isSafeInteger(step) || value === undefined || !Number.isSafeInteger(ts)) {
      ctx.problem(file, `line ${i + 1}`, `not a row of ${header.join(', ')}: ${JSON.stringify(line.slice(0, 80))}; skipped`);
      continue;
    }
    points.add(key, step, ts, value);
    if (tsCol >= 0) (first = Math.min(first, ts)), (last = Math.max(last, ts));
  }
  return { first, last };
}

/** The summary's values are the final ones: kept as a last point where the TSVs disagree or lack them. */
function applySummary(file: string, points: PointBuffer, ctx: ReadContext): void {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    ctx.problem(file, undefined, `malformed JSON: ${(err as Error).message}; final values not imported`);
    return;
  }
  if (!json || typeof json !== 'object') return;
  const step = typeof (json as Record<string, unknown>).step === 'number' ? ((json as Record<string, unknown>).step as number) : undefined;
  for (const [key, raw] of flattenSummary(json as Record<string, unknown>)) {
    if (key === 'step') continue;
    const last = points.last(key);
    if (!last) {
      points.add(key, step ?? 0, 0, raw);
      continue;
    }
    if (Object.is(last.value, raw)) continue;
    const at = step !== undefined && step >= last.step ? step : last.step;
    points.add(key, at, last.timestamp, raw);
    ctx.problem(file, key, `final value ${raw} differs from the last TSV value ${last.value} (step ${last.step}); imported as the final value at step ${at}`);
  }
}

function flattenSummary(obj: Record<string, unknown>, prefix = ''): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}/${k}` : k;
    if (typeof v === 'number') out.push([key, v]);
    else if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...flattenSummary(v as Record<string, unknown>, key));
  }
  return out;
}
