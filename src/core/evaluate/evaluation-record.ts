import { readFileSync } from 'node:fs';
import { invalid } from '../errors.ts';
import type { ModelRegistry } from '../registry/model-registry.ts';
import { resolveArtifactPath } from '../store/artifact-files.ts';
import type { EvaluationReport } from './evaluation-report.ts';

/** What an evaluation run keeps; light to import (the extension reads reports without the scorer). */
export const EVALUATION_ARTIFACT = 'evaluation.json';

/** The JSON artifact: the report plus what was evaluated, on which data, when. */
export interface EvaluationRecord extends EvaluationReport {
  model: string;
  version: number;
  /** The alias used to pick the version, if any. */
  alias: string | null;
  data: { file: string; sha256: string; rows: number; columns: string[] };
  runId: string;
  createdTime: number;
  durationMs: number;
  scoring: { rowsPerSecond: number; batchSize: number };
}

/** The report of an evaluation run (its evaluation.json). */
export function readEvaluationRecord(registry: ModelRegistry, runId: string): EvaluationRecord {
  const file = resolveArtifactPath(registry.store.artifactsRoot, runId, EVALUATION_ARTIFACT);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw invalid(`Run ${runId} has no ${EVALUATION_ARTIFACT}; it is not an evaluation run (make one with loopline evaluate).`);
  }
  const rec = JSON.parse(text) as EvaluationRecord;
  if (rec.schema !== 'loopline.evaluation/1') throw invalid(`${file} is not a Loopline evaluation report (schema ${String(rec.schema)}).`);
  return rec;
}
