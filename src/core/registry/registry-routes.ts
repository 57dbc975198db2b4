import { LooplineError, invalid } from '../errors.ts';
import { decodePageToken, encodePageToken } from '../store/run-search.ts';
import type { Json } from '../tracking/mlflow-json.ts';
import { keyValues, optInteger, optString, reqString, stringList, type Fields } from '../tracking/request-fields.ts';
import { checkModelName, parseVersion, type ModelRegistry } from './model-registry.ts';
import { matchesFilter, parseRegistryFilter } from './registry-filter.ts';
import { downloadUri, stageOf, toMlflowModelVersion, toMlflowRegisteredModel } from './registry-json.ts';
import type { ModelVersion, RegisteredModel } from './registry-types.ts';

/** MLflow's model-registry REST endpoints, in the tracking server's route style. */
export type RegistryHandler = (f: Fields, registry: ModelRegistry) => Json;

const modelJson = (r: ModelRegistry, m: RegisteredModel): Json => toMlflowRegisteredModel(m, r.listVersions(m.name));
const nameOf = (f: Fields): string => {
  const n = optString(f, 'name');
  if (!n) throw invalid("Missing value for required parameter 'name'.");
  return n;
};
const versionOf = (f: Fields): number => {
  const v = optString(f, 'version');
  if (v === undefined || v === '') throw invalid("Missing value for required parameter 'version'.");
  return parseVersion(v);
};
const tagsOf = (f: Fields): Record<string, string> => Object.fromEntries(keyValues(f, 'tags', 'tag').map((t) => [t.key, t.value]));

/**
 * Which run and artifact path a model-versions/create `source` names: `runs:/RUN/PATH`, or the
 * run's artifact URI (`mlflow-artifacts:/EXP/RUN/artifacts/PATH`), which is what
 * `mlflow.register_model("runs:/…")` sends once the client has resolved it.
 */
export function runSourceOf(source: string, runId: string | undefined): { runId: string; path: string } {
  let m = /^runs:\/+([0-9a-f]{32})(?:\/(.*))?$/.exec(source);
  if (m) return { runId: m[1]!, path: m[2] ?? '' };
  m = /^mlflow-artifacts:(?:\/\/[^/]+)?\/+(?:[^/]+\/)?([0-9a-f]{32})\/artifacts(?:\/(.*))?$/.exec(source);
  if (m) return { runId: m[1]!, path: m[2] ?? '' };
  if (runId && /^[0-9a-f]{32}$/.test(runId)) {
    const i = source.indexOf(`/${runId}/artifacts`);
    if (i >= 0) return { runId, path: source.slice(i + runId.length + 11).replace(/^\//, '') };
  }
  throw invalid(
    `Cannot register source '${source}': Loopline registers models from its runs' artifacts. Use runs:/RUN_ID/PATH (e.g. mlflow.register_model('runs:/<run id>/model', 'iris')) after logging the model with this tracking server.`,
  );
}

function page<T>(items: T[], f: Fields, defaultMax: number, limit: number): { items: T[]; next?: string } {
  const max = optInteger(f, 'max_results') ?? defaultMax;
  if (max < 1 || max > limit) throw invalid(`max_results must be between 1 and ${limit}, got ${max}.`);
  const offset = decodePageToken(optString(f, 'page_token'));
  const slice = items.slice(offset, offset + max);
  return offset + max < items.length ? { items: slice, next: encodePageToken(offset + max) } : { items: slice };
}

function sortBy<T>(items: T[], orderBy: string[], keys: Record<string, (x: T) => string | number>, fallback: (a: T, b: T) => number): T[] {
  const specs = orderBy.map((o) => {
    const m = /^\s*([\w.]+)(?:\s+(ASC|DESC))?\s*$/i.exec(o);
    const key = m?.[1]?.toLowerCase().replace(/^attributes?\./, '');
    if (!m || !key || !keys[key]) throw invalid(`Invalid order_by '${o}'; use ${Object.keys(keys).join(', ')}, then ASC or DESC.`);
    return { get: keys[key]!, dir: (m[2] ?? 'ASC').toUpperCase() === 'DESC' ? -1 : 1 };
  });
  return [...items].sort((a, b) => {
    for (const s of specs) {
      const x = s.get(a);
      const y = s.get(b);
      if (x < y) return -s.dir;
      if (x > y) return s.dir;
    }
    return fallback(a, b);
  });
}

export const REGISTRY_ROUTES: Record<string, RegistryHandler> = {
  'registered-models/create': (f, r) => {
    const m = r.createModel(checkModelName(optString(f, 'name') ?? ''), { description: optString(f, 'description') ?? '', tags: tagsOf(f) });
    return { registered_model: modelJson(r, m) };
  },
  'registered-models/get': (f, r) => ({ registered_model: modelJson(r, r.getModel(nameOf(f))) }),
  'registered-models/search': (f, r) => {
    const clauses = parseRegistryFilter(optString(f, 'filter'), ['name']);
    const models = r.listModels().filter((m) => matchesFilter(clauses, (field) => (field === 'name' ? m.name : m.tags[field.slice(5)])));
    const sorted = sortBy(models, stringList(f, 'order_by'), { name: (m) => m.name, last_updated_timestamp: (m) => m.lastUpdatedTime, creation_timestamp: (m) => m.creationTime }, (a, b) => (a.name < b.name ? -1 : 1));
    const p = page(sorted, f, 100, 1000);
    return { registered_models: p.items.map((m) => modelJson(r, m)), ...(p.next ? { next_page_token: p.next } : {}) };
  },
  'registered-models/update': (f, r) => {
    const desc = optString(f, 'description');
    return { registered_model: modelJson(r, r.updateModel(nameOf(f), desc === undefined ? {} : { description: desc })) };
  },
  'registered-models/rename': (f, r) => ({ registered_model: modelJson(r, r.renameModel(nameOf(f), reqString(f, 'new_name'))) }),
  'registered-models/delete': (f, r) => {
    r.deleteModel(nameOf(f));
    return {};
  },
  'registered-models/set-tag': (f, r) => {
    r.setModelTag(nameOf(f), reqString(f, 'key'), optString(f, 'value') ?? '');
    return {};
  },
  'registered-models/delete-tag': (f, r) => {
    r.deleteModelTag(nameOf(f), reqString(f, 'key'));
    return {};
  },
  'registered-models/get-latest-versions': (f, r) => {
    const name = nameOf(f);
    const stages = stringList(f, 'stages').map((s) => s.toLowerCase());
    const best = new Map<string, ModelVersion>();
    for (const v of r.listVersions(name)) if (!best.has(stageOf(v))) best.set(stageOf(v), v);
    const list = [...best.values()].filter((v) => stages.length === 0 || stages.includes(stageOf(v).toLowerCase()));
    return { model_versions: list.map(toMlflowModelVersion) };
  },
  'registered-models/alias': (f, r): Json => {
    const name = nameOf(f);
    const alias = reqString(f, 'alias');
    // One path, three methods: the server passes the method in as `__method`.
    const method = f.__method;
    if (method === 'GET') return { model_version: toMlflowModelVersion(r.getByAlias(name, alias)) };
    if (method === 'DELETE') {
      r.deleteAlias(name, alias);
      return {};
    }
    r.setAlias(name, alias, versionOf(f));
    return {};
  },

  'model-versions/create': (f, r) => {
    const name = checkModelName(optString(f, 'name') ?? '');
    const source = reqString(f, 'source');
    const { runId, path } = runSourceOf(source, optString(f, 'run_id'));
    const given = optString(f, 'run_id');
    if (given && given !== runId) throw invalid(`run_id '${given}' does not match the run in source '${source}'.`);
    const desc = optString(f, 'description');
    const v = r.registerVersion({ model: name, runId, path, source, tags: tagsOf(f), ...(desc ? { description: desc } : {}) });
    return { model_version: toMlflowModelVersion(v) };
  },
  'model-versions/get': (f, r) => ({ model_version: toMlflowModelVersion(r.getVersion(nameOf(f), versionOf(f))) }),
  'model-versions/search': (f, r) => {
    const clauses = parseRegistryFilter(optString(f, 'filter'), ['name', 'run_id', 'source_path', 'version_number']);
    const list = r.allVersions().filter((v) =>
      matchesFilter(clauses, (field) =>
        field === 'name' ? v.model : field === 'run_id' ? (v.runId ?? undefined) : field === 'source_path' ? v.source : field === 'version_number' ? String(v.version) : v.tags[field.slice(5)],
      ),
    );
    const sorted = sortBy(
      list,
      stringList(f, 'order_by'),
      { name: (v) => v.model, version_number: (v) => v.version, creation_timestamp: (v) => v.creationTime, last_updated_timestamp: (v) => v.lastUpdatedTime },
      (a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : b.version - a.version),
    );
    const p = page(sorted, f, 10000, 200000);
    return { model_versions: p.items.map(toMlflowModelVersion), ...(p.next ? { next_page_token: p.next } : {}) };
  },
  'model-versions/update': (f, r) => {
    const desc = optString(f, 'description');
    return { model_version: toMlflowModelVersion(r.updateVersion(nameOf(f), versionOf(f), desc === undefined ? {} : { description: desc })) };
  },
  'model-versions/delete': (f, r) => {
    r.deleteVersion(nameOf(f), versionOf(f));
    return {};
  },
  'model-versions/set-tag': (f, r) => {
    r.setVersionTag(nameOf(f), versionOf(f), reqString(f, 'key'), optString(f, 'value') ?? '');
    return {};
  },
  'model-versions/delete-tag': (f, r) => {
    r.deleteVersionTag(nameOf(f), versionOf(f), reqString(f, 'key'));
    return {};
  },
  'model-versions/get-download-uri': (f, r) => ({ artifact_uri: downloadUri(r.getVersion(nameOf(f), versionOf(f))) }),
  // Stages are deprecated in MLflow; only archiving maps onto Loopline (aliases replace the rest).
  'model-versions/transition-stage': (f, r) => {
    const stage = reqString(f, 'stage').toLowerCase();
    const name = nameOf(f);
    const version = versionOf(f);
    if (stage !== 'archived' && stage !== 'none') {
      throw new LooplineError('INVALID_PARAMETER_VALUE', `Stage '${optString(f, 'stage')}' is not supported: Loopline uses aliases instead of stages (MlflowClient().set_registered_model_alias(name, 'champion', version)); only 'Archived' and 'None' map onto archiving.`);
    }
    return { model_version: toMlflowModelVersion(r.archiveVersion(name, version, stage === 'archived')) };
  },
};
