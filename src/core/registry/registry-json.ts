import { pathToFileURL } from 'node:url';
import type { Json } from '../tracking/mlflow-json.ts';
import type { ModelVersion, RegisteredModel } from './registry-types.ts';

/** Registry objects in the JSON shapes of MLflow's REST API (versions are strings there). */

const kv = (rec: Record<string, string>): Json => Object.entries(rec).map(([key, value]) => ({ key, value }));

export function stageOf(v: ModelVersion): string {
  return v.archived ? 'Archived' : 'None';
}

export function toMlflowModelVersion(v: ModelVersion): Json {
  const out: { [k: string]: Json } = {
    name: v.model,
    version: String(v.version),
    creation_timestamp: v.creationTime,
    last_updated_timestamp: v.lastUpdatedTime,
    user_id: v.userId,
    current_stage: stageOf(v),
    description: v.description,
    source: v.source,
    status: 'READY',
    tags: kv(v.tags),
    aliases: v.aliases,
  };
  if (v.runId) out.run_id = v.runId;
  return out;
}

/** `latest_versions` holds the newest version of each stage, as MLflow's server returns it. */
export function toMlflowRegisteredModel(m: RegisteredModel, versions: ModelVersion[]): Json {
  const latest = new Map<string, ModelVersion>();
  for (const v of versions) {
    const cur = latest.get(stageOf(v));
    if (!cur || v.version > cur.version) latest.set(stageOf(v), v);
  }
  return {
    name: m.name,
    creation_timestamp: m.creationTime,
    last_updated_timestamp: m.lastUpdatedTime,
    description: m.description,
    latest_versions: [...latest.values()].map(toMlflowModelVersion),
    tags: kv(m.tags),
    aliases: Object.entries(m.aliases).map(([alias, version]) => ({ alias, version: String(version) })),
  };
}

export function downloadUri(v: ModelVersion): string {
  return pathToFileURL(v.dir).href;
}
