import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunStatus } from '../store/types.ts';
import { isEventFile } from './format-detection.ts';
import type { ReadContext, SourceRun } from './import-types.ts';
import { PointBuffer } from './point-buffer.ts';
import { flattenParams, isFile, listDir, parseYaml } from './source-files.ts';
import { decodeEvent, decodeSimpleScalars, type HParamsData } from './tensorboard-events.ts';
import { readTfRecords } from './tfrecord-reader.ts';

const SKIP_DIRS = new Set(['.git', 'node_modules', '__pycache__', '.loopline']);

/** Every folder holding event files is a run, named by its path relative to the log dir. */
export function runFolders(logdir: string, rel = ''): Array<{ rel: string; files: string[] }> {
  const dir = rel ? join(logdir, rel) : logdir;
  const out: Array<{ rel: string; files: string[] }> = [];
  const files: string[] = [];
  for (const e of listDir(dir)) {
    if (e.isFile() && isEventFile(e.name)) files.push(e.name);
    else if (e.isDirectory() && !SKIP_DIRS.has(e.name)) out.push(...runFolders(logdir, rel ? `${rel}/${e.name}` : e.name));
  }
  // Writers put their start time after `tfevents.`; merging in that order keeps a resumed run's
  // files in sequence.
  files.sort((a, b) => fileTime(a) - fileTime(b) || (a < b ? -1 : a > b ? 1 : 0));
  if (files.length) out.unshift({ rel, files });
  return out;
}

function fileTime(name: string): number {
  const m = /tfevents\.(\d+(?:\.\d+)?)/.exec(name);
  return m ? Number(m[1]) : 0;
}

const END_STATUS: Record<number, RunStatus> = { 1: 'FINISHED', 2: 'FAILED', 3: 'RUNNING' };

export function* readTensorBoardLogdir(logdir: string, ctx: ReadContext, experimentName?: string): Generator<SourceRun> {
  const experiment = { name: experimentName ?? basename(logdir), deleted: false };
  ctx.experiment(experiment);
  for (const folder of runFolders(logdir)) {
    if (ctx.cancelled()) return;
    const dir = folder.rel ? join(logdir, folder.rel) : logdir;
    const stub = { sourceId: folder.rel || '.', experiment, name: folder.rel || basename(logdir) };
    const points = new PointBuffer(ctx.spill && ((key, pts) => ctx.spill!(stub, key, pts)));
    const hp: HParamsData = {};
    let first = Infinity;
    let last = -Infinity;
    let events = 0;
    // The fast path's tag ids -> this run's key index in `points`.
    const keyOfTag: number[] = [];
    for (const name of folder.files) {
      const file = join(dir, name);
      readTfRecords(
        file,
        (buf, start, end, index, view) => {
          const fast = decodeSimpleScalars(buf, view, start, end);
          if (fast) {
            events++;
            if (fast.wallTime < first) first = fast.wallTime;
            if (fast.wallTime > last) last = fast.wallTime;
            const ts = Math.round(fast.wallTime * 1000);
            for (let i = 0; i < fast.count; i++) points.addTo((keyOfTag[fast.tagIds[i]!] ??= points.keyId(fast.tags[i]!)), fast.step, ts, fast.values[i]!);
            return;
          }
          let ev;
          try {
            ev = decodeEvent(buf, start, end);
          } catch (err) {
            ctx.problem(file, `record ${index}`, `not a valid Event: ${(err as Error).message}; skipped`);
            return;
          }
          if (ev.scalars.length === 0 && ev.other.length === 0 && !ev.hparams) return; // file_version and friends
          events++;
          if (ev.wallTime < first) first = ev.wallTime;
          if (ev.wallTime > last) last = ev.wallTime;
          const ts = Math.round(ev.wallTime * 1000);
          for (const s of ev.scalars) points.add(s.tag, ev.step, ts, s.value);
          for (const k of ev.other) ctx.nonScalar(k);
          if (ev.hparams) mergeHParams(hp, ev.hparams);
        },
        (p) => ctx.problem(file, `byte ${p.offset}`, p.message),
        ctx.cancelled,
      );
      if (ctx.cancelled()) return;
    }
    if (events === 0) {
      ctx.nonScalar('run folders with no data');
      continue;
    }
    // Lightning writes the hyperparameters beside the events too, with their original text.
    const params = new Map<string, string>();
    const hparamsYaml = join(dir, 'hparams.yaml');
    if (isFile(hparamsYaml) && ctx.readable(hparamsYaml)) {
      const parsed = parseYaml(readFileSync(hparamsYaml, 'utf8'), { scalarText: true });
      if (parsed.ok) for (const [k, v] of flattenParams(parsed.value)) params.set(k, v);
      else ctx.problem(hparamsYaml, parsed.position, `malformed YAML: ${parsed.message}; its params were not imported`);
    }
    for (const [k, v] of hp.params ?? []) if (!params.has(k)) params.set(k, v);
    const tags = [];
    if (hp.metricTags?.length) tags.push({ key: 'loopline.import.hparams.metrics', value: hp.metricTags.join(',') });
    const startTime = Number.isFinite(first) ? Math.round(first * 1000) : Math.round(statSync(dir).mtimeMs);
    const endTime = hp.endTime ? Math.round(hp.endTime * 1000) : Number.isFinite(last) ? Math.round(last * 1000) : null;
    const status = hp.endStatus !== undefined ? (END_STATUS[hp.endStatus] ?? 'FINISHED') : 'FINISHED';
    yield {
      ...stub,
      status,
      startTime,
      endTime: status === 'RUNNING' ? null : endTime,
      lifecycleStage: 'active',
      userId: '',
      params: [...params].map(([key, value]) => ({ key, value })),
      tags,
      points,
      artifacts: [],
    };
  }
}

function mergeHParams(into: HParamsData, from: HParamsData): void {
  if (from.params) into.params = [...(into.params ?? []), ...from.params];
  if (from.metricTags) into.metricTags = [...new Set([...(into.metricTags ?? []), ...from.metricTags])];
  if (from.endStatus !== undefined) into.endStatus = from.endStatus;
  if (from.endTime !== undefined) into.endTime = from.endTime;
}
