import { LooplineError, invalid } from '../errors.ts';
import { listArtifactDir } from '../store/artifact-files.ts';
import type { RunStore } from '../store/run-store.ts';
import { RUN_STATUSES, type Experiment, type RunStatus, type ViewType } from '../store/types.ts';
import { mlflowLike, encodePageToken, decodePageToken } from '../store/run-search.ts';
import { runArtifactUri, toMlflowExperiment, toMlflowFileInfo, toMlflowMetric, toMlflowRun, toMlflowRunInfo, type Json } from './mlflow-json.ts';
import {
  keyValueOf,
  keyValues,
  metricOf,
  metrics,
  optInteger,
  optString,
  reqString,
  runIdOf,
  stringList,
  type Fields,
} from './request-fields.ts';

/** What a handler may tell the server besides its response: which run changed. */
export interface RouteContext {
  store: RunStore;
  now: () => number;
  changed: (runId: string | null) => void;
}

export type Handler = (f: Fields, ctx: RouteContext) => Json;

/** An endpoint answers only the HTTP methods MLflow's REST API gives it (service.proto). */
export interface Route {
  methods: readonly ('GET' | 'POST')[];
  handle: Handler;
}

const get = (handle: Handler): Route => ({ methods: ['GET'], handle });
const post = (handle: Handler): Route => ({ methods: ['POST'], handle });

const HISTORY_PAGE = 25_000;

function viewType(f: Fields, name: string): ViewType {
  const v = optString(f, name) ?? 'ACTIVE_ONLY';
  if (v === '1') return 'ACTIVE_ONLY';
  if (v === '2') return 'DELETED_ONLY';
  if (v === '3') return 'ALL';
  if (v !== 'ACTIVE_ONLY' && v !== 'DELETED_ONLY' && v !== 'ALL') throw invalid(`${name} must be ACTIVE_ONLY, DELETED_ONLY or ALL, not '${v}'.`);
  return v;
}

function status(v: string | undefined): RunStatus | undefined {
  if (v === undefined || v === '') return undefined;
  if (!(RUN_STATUSES as readonly string[]).includes(v)) throw invalid(`Unknown run status '${v}'; use one of ${RUN_STATUSES.join(', ')}.`);
  return v as RunStatus;
}

/** MLflow's experiment search is small: filter by name / tags with =, !=, LIKE, ILIKE. */
function matchExperiment(e: Experiment, filter: string): boolean {
  for (const clause of filter.split(/\s+and\s+/i)) {
    const m = /^\s*(?:attributes?\.)?(name|tags?\.(?:`[^`]+`|"[^"]+"|[\w.\-]+))\s*(=|!=|LIKE|ILIKE)\s*'((?:[^']|'')*)'\s*$/i.exec(clause);
    if (!m) throw invalid(`Invalid experiment filter '${clause.trim()}'; use e.g. name LIKE 'sweep%' or tags.team = 'vision'.`);
    const [, field, op, raw] = m as unknown as [string, string, string, string];
    const value = raw.replace(/''/g, "'");
    const actual = field.toLowerCase() === 'name' ? e.name : e.tags[field.replace(/^tags?\./i, '').replace(/^[`"]|[`"]$/g, '')];
    if (actual === undefined) return false;
    const o = op.toUpperCase();
    const ok = o === '=' ? actual === value : o === '!=' ? actual !== value : mlflowLike(actual, value, o === 'ILIKE') === 1;
    if (!ok) return false;
  }
  return true;
}

export const MLFLOW_ROUTES: Record<string, Route> = {
  'experiments/create': post((f, { store }) => {
    const e = store.createExperiment(reqString(f, 'name'), {
      artifactLocation: optString(f, 'artifact_location') ?? '',
      tags: keyValues(f, 'tags', 'tag'),
    });
    return { experiment_id: e.id };
  }),
  'experiments/get': get((f, { store }) => ({ experiment: toMlflowExperiment(store.getExperiment(reqString(f, 'experiment_id'))) })),
  'experiments/get-by-name': get((f, { store }) => ({ experiment: toMlflowExperiment(store.getExperimentByName(reqString(f, 'experiment_name'))) })),
  'experiments/search': { methods: ['GET', 'POST'], handle: (f, { store }) => {
    let list = store.listExperiments(viewType(f, 'view_type'));
    const filter = optString(f, 'filter');
    if (filter?.trim()) list = list.filter((e) => matchExperiment(e, filter));
    const order = stringList(f, 'order_by')[0];
    if (order) {
      const m = /^\s*(?:attributes?\.)?(name|experiment_id|creation_time|last_update_time)(?:\s+(ASC|DESC))?\s*$/i.exec(order);
      if (!m) throw invalid(`Invalid order_by '${order}'; use name, experiment_id, creation_time or last_update_time, then ASC or DESC.`);
      const field = m[1]!.toLowerCase();
      const dir = (m[2] ?? 'ASC').toUpperCase() === 'DESC' ? -1 : 1;
      const val = (e: Experiment) => (field === 'name' ? e.name : field === 'experiment_id' ? Number(e.id) : field === 'creation_time' ? e.creationTime : e.lastUpdateTime);
      list.sort((a, b) => (val(a) < val(b) ? -dir : val(a) > val(b) ? dir : 0));
    }
    const max = optInteger(f, 'max_results') ?? 1000;
    if (max < 1 || max > 50000) throw invalid('max_results must be between 1 and 50000.');
    const offset = decodePageToken(optString(f, 'page_token'));
    const page = list.slice(offset, offset + max);
    const out: { [k: string]: Json } = { experiments: page.map(toMlflowExperiment) };
    if (offset + max < list.length) out.next_page_token = encodePageToken(offset + max);
    return out;
  } },
  'experiments/update': post((f, ctx) => {
    ctx.store.renameExperiment(reqString(f, 'experiment_id'), reqString(f, 'new_name'));
    ctx.changed(null);
    return {};
  }),
  'experiments/delete': post((f, ctx) => {
    ctx.store.setExperimentLifecycle(reqString(f, 'experiment_id'), 'deleted');
    ctx.changed(null);
    return {};
  }),
  'experiments/restore': post((f, ctx) => {
    ctx.store.setExperimentLifecycle(reqString(f, 'experiment_id'), 'active');
    ctx.changed(null);
    return {};
  }),
  'experiments/set-experiment-tag': post((f, ctx) => {
    ctx.store.setExperimentTag(reqString(f, 'experiment_id'), keyValueOf(f, 'tag'));
    return {};
  }),

  'runs/create': post((f, ctx) => {
    const run = ctx.store.createRun({
      experimentId: optString(f, 'experiment_id') || '0',
      name: optString(f, 'run_name') ?? '',
      startTime: optInteger(f, 'start_time') ?? ctx.now(),
      userId: optString(f, 'user_id') ?? '',
      tags: keyValues(f, 'tags', 'tag'),
    });
    ctx.changed(run.info.id);
    return { run: toMlflowRun(run) };
  }),
  'runs/get': get((f, { store }) => ({ run: toMlflowRun(store.getRun(runIdOf(f))) })),
  'runs/update': post((f, ctx) => {
    const id = runIdOf(f);
    const endTime = optInteger(f, 'end_time');
    const info = ctx.store.updateRun(id, {
      status: status(optString(f, 'status')),
      ...(endTime !== undefined ? { endTime } : {}),
      ...(optString(f, 'run_name') ? { name: optString(f, 'run_name')! } : {}),
    });
    ctx.changed(id);
    return { run_info: toMlflowRunInfo(info) };
  }),
  'runs/delete': post((f, ctx) => {
    ctx.store.setRunLifecycle(runIdOf(f), 'deleted');
    ctx.changed(runIdOf(f));
    return {};
  }),
  'runs/restore': post((f, ctx) => {
    ctx.store.setRunLifecycle(runIdOf(f), 'active');
    ctx.changed(runIdOf(f));
    return {};
  }),
  'runs/search': post((f, { store }) => {
    const page = store.searchRuns({
      experimentIds: stringList(f, 'experiment_ids'),
      filter: optString(f, 'filter') ?? '',
      orderBy: stringList(f, 'order_by'),
      maxResults: optInteger(f, 'max_results') ?? 1000,
      pageToken: optString(f, 'page_token'),
      viewType: viewType(f, 'run_view_type'),
    });
    const out: { [k: string]: Json } = { runs: page.runs.map(toMlflowRun) };
    if (page.nextPageToken) out.next_page_token = page.nextPageToken;
    return out;
  }),
  'runs/log-metric': post((f, ctx) => {
    const id = runIdOf(f);
    ctx.store.logBatch(id, { metrics: [metricOf(f, ctx.now())] });
    ctx.changed(id);
    return {};
  }),
  'runs/log-parameter': post((f, ctx) => {
    const id = runIdOf(f);
    ctx.store.logBatch(id, { params: [keyValueOf(f, 'param')] });
    ctx.changed(id);
    return {};
  }),
  'runs/set-tag': post((f, ctx) => {
    const id = runIdOf(f);
    ctx.store.logBatch(id, { tags: [keyValueOf(f, 'tag')] });
    ctx.changed(id);
    return {};
  }),
  'runs/delete-tag': post((f, ctx) => {
    const id = runIdOf(f);
    ctx.store.deleteTag(id, reqString(f, 'key'));
    ctx.changed(id);
    return {};
  }),
  'runs/log-batch': post((f, ctx) => {
    const id = runIdOf(f);
    ctx.store.logBatch(id, { metrics: metrics(f, ctx.now()), params: keyValues(f, 'params', 'param'), tags: keyValues(f, 'tags', 'tag') });
    ctx.changed(id);
    return {};
  }),
  // MLflow 2.x clients post the MLmodel of `log_model` here; MLflow keeps it in a tag.
  'runs/log-model': post((f, ctx) => {
    const id = runIdOf(f);
    const model = reqString(f, 'model_json');
    let parsed: unknown;
    try {
      parsed = JSON.parse(model);
    } catch {
      throw invalid('model_json must be a JSON document.');
    }
    const run = ctx.store.getRun(id);
    const history = safeJsonArray(run.tags['mlflow.log-model.history']);
    history.push(parsed);
    ctx.store.logBatch(id, { tags: [{ key: 'mlflow.log-model.history', value: JSON.stringify(history) }] });
    ctx.changed(id);
    return {};
  }),
  // Dataset inputs (mlflow.log_input) are accepted so scripts don't fail; they are not stored yet.
  'runs/log-inputs': post((f, { store }) => {
    store.getRun(runIdOf(f));
    return {};
  }),
  'metrics/get-history': get((f, { store }) => {
    const id = runIdOf(f);
    const key = reqString(f, 'metric_key');
    const max = optInteger(f, 'max_results') ?? HISTORY_PAGE;
    if (max < 1) throw invalid('max_results must be positive.');
    const token = optString(f, 'page_token');
    const after = token ? decodeHistoryToken(token) : undefined;
    const points = store.metricHistory(id, key, { limit: max + 1, ...(after ? { after } : {}) });
    const page = points.slice(0, max);
    const out: { [k: string]: Json } = { metrics: page.map(toMlflowMetric) };
    const last = page[page.length - 1];
    if (points.length > max && last) out.next_page_token = Buffer.from(JSON.stringify([last.step, last.timestamp, String(last.value)])).toString('base64');
    return out;
  }),
  'artifacts/list': get((f, { store }) => {
    const run = store.getRun(runIdOf(f));
    const path = optString(f, 'path') ?? '';
    const files = listArtifactDir(store.artifactsRoot, run.info.id, path);
    return { root_uri: runArtifactUri(run.info), files: files.map((e) => toMlflowFileInfo(e)) };
  }),
};

function safeJsonArray(s: string | undefined): unknown[] {
  try {
    const v = s ? JSON.parse(s) : [];
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

function decodeHistoryToken(token: string): { step: number; timestamp: number; value: number } {
  try {
    const [step, timestamp, value] = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as [number, number, string];
    if (Number.isSafeInteger(step) && Number.isSafeInteger(timestamp) && typeof value === 'string') return { step, timestamp, value: Number(value) };
  } catch {
    // fall through
  }
  throw new LooplineError('INVALID_PARAMETER_VALUE', 'Invalid page_token; pass the next_page_token of the previous response unchanged.');
}
