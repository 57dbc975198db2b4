import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { KeyValue, RunStatus } from '../store/types.ts';
import { isWandbRunDir } from './format-detection.ts';
import type { ReadContext, SourceRun } from './import-types.ts';
import { PointBuffer } from './point-buffer.ts';
import { ProtoReader } from './protobuf-reader.ts';
import { flattenParams, isDir, isFile, listDir, paramText, parseYaml } from './source-files.ts';
import { readWandbLog } from './wandb-log-reader.ts';

/** `PATH` may be a project folder (with `wandb/`), the `wandb/` folder, or one run folder. */
export function wandbRoot(path: string): string {
  if (isDir(join(path, 'wandb')) && !listDir(path).some((e) => isWandbRunDir(e.name))) return join(path, 'wandb');
  return path;
}

/** Fields of W&B's `Record` protobuf (wandb_internal.proto) that an import reads. */
const REC_HISTORY = 2;
const REC_CONFIG = 5;
const REC_RUN = 17;
const REC_EXIT = 18;

interface LogContents {
  points: PointBuffer;
  config: Array<[string, unknown]>;
  runName?: string;
  project?: string;
  wandbTags: string[];
  notes?: string;
  startTime?: number;
  exitCode?: number;
  lastTs: number;
}

export function* readWandbRuns(path: string, ctx: ReadContext, experimentName?: string): Generator<SourceRun> {
  const dirs = isWandbRunDir(basename(path)) ? [path] : listDir(path).filter((e) => e.isDirectory() && isWandbRunDir(e.name)).map((e) => join(path, e.name));
  const declared = new Set<string>();
  for (const dir of dirs) {
    if (ctx.cancelled()) return;
    const runId = basename(dir).split('-').pop()!;
    const files = join(dir, 'files');
    const log = readLog(dir, runId, ctx);
    const params: KeyValue[] = [];
    const tags: KeyValue[] = [{ key: 'wandb.run_id', value: runId }];
    const configFile = join(files, 'config.yaml');
    if (isFile(configFile) && ctx.readable(configFile)) {
      const parsed = parseYaml(readFileSync(configFile, 'utf8'), { scalarText: true });
      if (!parsed.ok) ctx.problem(configFile, parsed.position, `malformed YAML: ${parsed.message}; config not imported`);
      else if (parsed.value && typeof parsed.value === 'object') configParams(Object.entries(parsed.value as Record<string, unknown>), params, tags, true);
    } else configParams(log.config, params, tags, false);

    const meta = readJson(join(files, 'wandb-metadata.json'), ctx);
    if (meta) {
      const git = (meta.git ?? {}) as Record<string, unknown>;
      if (typeof git.commit === 'string') tags.push({ key: 'mlflow.source.git.commit', value: git.commit });
      if (typeof git.remote === 'string') tags.push({ key: 'mlflow.source.git.repoURL', value: git.remote });
      if (typeof meta.program === 'string') tags.push({ key: 'mlflow.source.name', value: meta.program });
      for (const k of ['host', 'program', 'os', 'python', 'username', 'executable', 'root', 'startedAt', 'state']) {
        if (typeof meta[k] === 'string') tags.push({ key: `wandb.${k}`, value: meta[k] as string });
      }
      if (Array.isArray(meta.args)) tags.push({ key: 'wandb.args', value: JSON.stringify(meta.args) });
    }
    if (log.wandbTags.length) tags.push({ key: 'wandb.tags', value: log.wandbTags.join(',') });
    if (log.notes) tags.push({ key: 'mlflow.note.content', value: log.notes });

    const summary = readJson(join(files, 'wandb-summary.json'), ctx);
    const summaryStep = typeof summary?._step === 'number' ? summary._step : undefined;
    const summaryTs = typeof summary?._timestamp === 'number' ? Math.round(summary._timestamp * 1000) : log.lastTs;
    if (summary) {
      for (const [key, value] of summaryMetrics(summary, ctx)) {
        const last = log.points.last(key);
        if (last && Object.is(last.value, value)) continue;
        log.points.add(key, summaryStep ?? last?.step ?? 0, summaryTs || 0, value);
      }
      if (summary._wandb !== undefined) tags.push({ key: 'wandb.summary._wandb', value: JSON.stringify(summary._wandb) });
    }

    const startedAt = typeof meta?.startedAt === 'string' ? Date.parse(`${meta.startedAt}Z`) : NaN;
    const startTime = Number.isFinite(startedAt) ? startedAt : (log.startTime ?? 0);
    let status: RunStatus;
    if (log.exitCode !== undefined) status = log.exitCode === 0 ? 'FINISHED' : 'FAILED';
    else status = meta?.state === 'finished' ? 'FINISHED' : meta?.state === 'failed' ? 'FAILED' : 'RUNNING';
    const experiment = { name: experimentName ?? log.project ?? basename(path === dir ? join(dir, '..') : path), deleted: false };
    if (!declared.has(experiment.name)) ctx.experiment(experiment), declared.add(experiment.name);
    yield {
      sourceId: runId,
      experiment,
      name: log.runName || runId,
      status,
      startTime,
      endTime: status === 'RUNNING' ? null : Math.max(log.lastTs, summaryTs, startTime),
      lifecycleStage: 'active',
      userId: typeof meta?.username === 'string' ? meta.username : '',
      params,
      tags,
      points: log.points,
      artifacts: [],
    };
  }
}

/** config.yaml holds `{desc, value}` per key; `_wandb` (W&B's own bookkeeping) is kept as a tag. */
function configParams(entries: Array<[string, unknown]>, params: KeyValue[], tags: KeyValue[], wrapped: boolean): void {
  for (const [key, raw] of entries) {
    if (key === 'wandb_version') continue;
    const value = wrapped && raw && typeof raw === 'object' && 'value' in (raw as object) ? (raw as { value: unknown }).value : raw;
    if (key === '_wandb') {
      tags.push({ key: 'wandb.config._wandb', value: JSON.stringify(value) });
      continue;
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of flattenParams(value, '.', key)) params.push({ key: k, value: v });
    else params.push({ key, value: paramText(value) });
  }
}

function summaryMetrics(summary: Record<string, unknown>, ctx: ReadContext, prefix = ''): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const [k, v] of Object.entries(summary)) {
    if (!prefix && k.startsWith('_')) continue; // _step, _runtime, _timestamp, _wandb
    const key = prefix ? `${prefix}/${k}` : k;
    if (typeof v === 'number') out.push([key, v]);
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      const type = (v as Record<string, unknown>)._type;
      if (typeof type === 'string') ctx.nonScalar(`${type} summaries`);
      else out.push(...summaryMetrics(v as Record<string, unknown>, ctx, key));
    }
  }
  return out;
}

function readJson(file: string, ctx: ReadContext): Record<string, unknown> | undefined {
  if (!isFile(file) || !ctx.readable(file)) return undefined;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8').replace(/\bNaN\b|-?\bInfinity\b/g, 'null'));
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch (err) {
    ctx.problem(file, undefined, `malformed JSON: ${(err as Error).message}; skipped`);
    return undefined;
  }
}

/** The binary history: every HistoryRecord becomes points at its `_step` and `_timestamp`. */
function readLog(dir: string, runId: string, ctx: ReadContext): LogContents {
  const out: LogContents = { points: new PointBuffer(), config: [], wandbTags: [], lastTs: 0 };
  const file = join(dir, `run-${runId}.wandb`);
  if (!isFile(file) || !ctx.readable(file)) return out;
  readWandbLog(
    file,
    (data, index) => {
      try {
        const r = new ProtoReader(data);
        while (r.next()) {
          if (r.field === REC_HISTORY) history(r.sub(), out, ctx);
          else if (r.field === REC_RUN) runRecord(r.sub(), out);
          else if (r.field === REC_CONFIG) out.config.push(...configItems(r.sub()));
          else if (r.field === REC_EXIT) {
            const e = r.sub();
            out.exitCode = 0;
            while (e.next()) if (e.field === 1) out.exitCode = e.varint();
            else e.skip();
          } else r.skip();
        }
      } catch (err) {
        ctx.problem(file, `record ${index}`, `not a valid W&B record: ${(err as Error).message}; skipped`);
      }
    },
    (p) => ctx.problem(file, `byte ${p.offset}`, p.message),
    ctx.cancelled,
  );
  return out;
}

function history(r: ProtoReader, out: LogContents, ctx: ReadContext): void {
  const items: Array<[string, string]> = [];
  let recordStep: number | undefined;
  while (r.next()) {
    if (r.field === 1) items.push(item(r.sub()));
    else if (r.field === 2) {
      const s = r.sub();
      while (s.next()) if (s.field === 1) recordStep = s.varint();
      else s.skip();
    } else r.skip();
  }
  let step = recordStep ?? 0;
  let ts = 0;
  for (const [k, v] of items) {
    if (k === '_step') step = Number(v);
    else if (k === '_timestamp') ts = Math.round(Number(v) * 1000);
  }
  if (ts > out.lastTs) out.lastTs = ts;
  for (const [key, json] of items) {
    if (key.startsWith('_')) continue;
    const value = jsonNumber(json);
    if (value !== undefined) out.points.add(key, step, ts, value);
    else ctx.nonScalar('non-numeric history values');
  }
}

/** HistoryItem / ConfigItem: key (1), nested_key (2), value_json (16). */
function item(r: ProtoReader): [string, string] {
  let key = '';
  const nested: string[] = [];
  let json = '';
  while (r.next()) {
    if (r.field === 1) key = r.string();
    else if (r.field === 2) nested.push(r.string());
    else if (r.field === 16) json = r.string();
    else r.skip();
  }
  return [key || nested.join('/'), json];
}

function configItems(r: ProtoReader): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  while (r.next()) {
    if (r.field !== 1) {
      r.skip();
      continue;
    }
    const [key, json] = item(r.sub());
    try {
      out.push([key, JSON.parse(json.replace(/\bNaN\b|-?\bInfinity\b/g, 'null'))]);
    } catch {
      out.push([key, json]);
    }
  }
  return out;
}

function runRecord(r: ProtoReader, out: LogContents): void {
  while (r.next()) {
    switch (r.field) {
      case 3:
        out.project = r.string() || undefined;
        break;
      case 4:
        out.config.push(...configItems(r.sub()));
        break;
      case 8:
        out.runName = r.string() || undefined;
        break;
      case 9:
        out.notes = r.string() || undefined;
        break;
      case 10:
        out.wandbTags.push(r.string());
        break;
      case 17: {
        const t = r.sub();
        let secs = 0;
        let nanos = 0;
        while (t.next()) if (t.field === 1) secs = t.varint();
        else if (t.field === 2) nanos = t.varint();
        else t.skip();
        if (secs) out.startTime = secs * 1000 + Math.round(nanos / 1e6);
        break;
      }
      default:
        r.skip();
    }
  }
}

/** W&B writes Python's json: `NaN` and `Infinity` are allowed tokens there. */
function jsonNumber(json: string): number | undefined {
  if (json === 'NaN') return NaN;
  if (json === 'Infinity') return Infinity;
  if (json === '-Infinity') return -Infinity;
  if (!/^-?\d/.test(json)) return json === 'true' || json === 'false' ? undefined : undefined;
  const v = Number(json);
  return Number.isFinite(v) ? v : undefined;
}
