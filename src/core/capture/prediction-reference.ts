import { readFileSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { invalid } from '../errors.ts';
import { readEvaluationRows } from '../evaluate/evaluation-job.ts';
import { profileRows } from '../monitoring/data-profiler.ts';
import type { DataProfile } from '../monitoring/profile-types.ts';
import type { ModelRegistry } from '../registry/model-registry.ts';
import type { ModelVersion } from '../registry/registry-types.ts';
import { ModelScorer } from '../scoring/model-scorer.ts';
import { predText, referenceProfilePath } from './deployment-monitor.ts';

/**
 * The reference for prediction drift (issue 9): the version's own predictions on the validation
 * data `loopline.yaml` declares (`data: {validation: FILE, label: COLUMN}`; without `label`, the
 * file's last column is the label), scored as served, added to its saved reference profile. What
 * the model predicts on held-out data is what its live predictions should look like, which the
 * training labels only approximate. CLI only: it starts the version's serving container.
 */
export async function addPredictionReference(registry: ModelRegistry, v: ModelVersion, opts: { signal?: AbortSignal } = {}): Promise<{ source: string; rows: number } | null> {
  const data = registry.projectConfig().raw.data as { validation?: unknown; label?: unknown } | undefined;
  if (!data || typeof data.validation !== 'string' || !v.lineage.serve) return null;
  const file = isAbsolute(data.validation) ? data.validation : join(registry.projectDir, data.validation);
  const { rows, columns } = await readEvaluationRows(file, opts.signal);
  const label = typeof data.label === 'string' ? data.label : columns[columns.length - 1];
  if (!label || !columns.includes(label)) throw invalid(`loopline.yaml data.label '${String(label)}' is not a column of ${data.validation} (${columns.join(', ')}).`);
  const scorer = await ModelScorer.start(registry, `${v.model}/${v.version}`, opts.signal ? { signal: opts.signal } : {});
  let predictions: unknown[];
  try {
    predictions = (await scorer.predictFn({ exclude: [label], ...(opts.signal ? { signal: opts.signal } : {}) })(rows)).predictions;
  } finally {
    await scorer.stop();
  }
  const source = `predictions of ${v.model}/${v.version} on ${basename(file)}`;
  const column = profileRows(source, ['prediction'], predictions.map((p) => [predText(p)])).columns[0]!;
  const path = referenceProfilePath(registry, v);
  const profile = JSON.parse(readFileSync(path, 'utf8')) as DataProfile;
  profile.predictions = { source, column };
  writeFileSync(path, JSON.stringify(profile));
  return { source, rows: predictions.length };
}
