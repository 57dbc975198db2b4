import { invalid } from '../errors.ts';
import type { KeyValue, MetricPoint } from './types.ts';

/** MLflow's limits, so a script that works against MLflow works here and vice versa. */
export const LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  nameLength: 500,
  batchMetrics: 1000,
  batchParams: 100,
  batchTags: 100,
  batchTotal: 1000,
} as const;

/** Experiment and run names: non-empty (when required) and at most 500 characters, as in MLflow. */
export function checkName(kind: 'Experiment' | 'Run', name: unknown, opts: { required?: boolean } = {}): string {
  if (typeof name !== 'string') throw invalid(`${kind} name must be a string.`);
  if ((opts.required ?? true) && !name.trim()) throw invalid(`${kind} name must be a non-empty string.`);
  if (name.length > LIMITS.nameLength) {
    throw invalid(`${kind} name '${name.slice(0, 40)}…' is ${name.length} characters; the limit is ${LIMITS.nameLength}. Use a shorter name.`);
  }
  return name;
}

// MLflow allows alphanumerics, underscores, dashes, periods, spaces, colons and slashes.
const NAME_RE = /^[\p{L}\p{N}_\-. :/]+$/u;

export function checkKey(kind: string, key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw invalid(`${kind} key must be a non-empty string.`);
  if (key.length > LIMITS.keyLength) {
    throw invalid(`${kind} key '${key.slice(0, 40)}…' is ${key.length} characters; the limit is ${LIMITS.keyLength}.`);
  }
  if (!NAME_RE.test(key)) {
    throw invalid(
      `Invalid ${kind.toLowerCase()} name '${key}': names may only contain letters, digits, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/).`,
    );
  }
  if (key.split('/').some((part) => part === '..')) throw invalid(`Invalid ${kind.toLowerCase()} name '${key}': '..' is not allowed.`);
  return key;
}

/** Accepts what MLflow clients send: a JSON number, a numeric string, or "NaN" / "Infinity" / "-Infinity". */
export function parseMetricValue(key: string, raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string') {
    const t = raw.trim();
    if (t === 'NaN' || t === 'nan') return NaN;
    if (t === 'Infinity' || t === 'inf' || t === '+Infinity') return Infinity;
    if (t === '-Infinity' || t === '-inf') return -Infinity;
    if (t !== '' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  }
  throw invalid(`Metric '${key}' has a non-numeric value ${JSON.stringify(raw)?.slice(0, 60)}; metric values must be numbers (NaN and ±Infinity allowed).`);
}

/** int64 fields arrive as JSON numbers or, from protobuf-JSON clients, as decimal strings. */
export function parseInteger(field: string, raw: unknown, fallback?: number): number {
  if (raw === undefined || raw === null || raw === '') {
    if (fallback !== undefined) return fallback;
    throw invalid(`Missing value for parameter '${field}'.`);
  }
  const n = typeof raw === 'string' && /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw invalid(`Parameter '${field}' must be an integer, got ${JSON.stringify(raw)?.slice(0, 60)}.`);
  }
  return n;
}

/** Everything but the key name (checked once per key by the caller). */
export function checkMetricValues(p: MetricPoint): void {
  if (typeof p.key !== 'string') throw invalid('Metric key must be a string.');
  if (!Number.isSafeInteger(p.step)) throw invalid(`Metric '${p.key}' step must be an integer.`);
  if (!Number.isSafeInteger(p.timestamp)) throw invalid(`Metric '${p.key}' timestamp must be an integer (ms).`);
  if (typeof p.value !== 'number') throw invalid(`Metric '${p.key}' value must be a number.`);
}

export function checkParam(p: KeyValue): void {
  checkKey('Param', p.key);
  if (typeof p.value !== 'string') throw invalid(`Param '${p.key}' value must be a string.`);
  if (p.value.length > LIMITS.paramValueLength) {
    throw invalid(`Param '${p.key}' value is ${p.value.length} characters; the limit is ${LIMITS.paramValueLength}.`);
  }
}

export function checkTag(t: KeyValue): void {
  checkKey('Tag', t.key);
  if (typeof t.value !== 'string') throw invalid(`Tag '${t.key}' value must be a string.`);
  if (t.value.length > LIMITS.tagValueLength) {
    throw invalid(`Tag '${t.key}' value is ${t.value.length} characters; the limit is ${LIMITS.tagValueLength}.`);
  }
}

export function checkBatchSize(metrics: number, params: number, tags: number): void {
  if (metrics > LIMITS.batchMetrics) {
    throw invalid(`A batch may hold at most ${LIMITS.batchMetrics} metrics, got ${metrics}; split it into several log-batch calls.`);
  }
  if (params > LIMITS.batchParams) {
    throw invalid(`A batch may hold at most ${LIMITS.batchParams} params, got ${params}; split it into several log-batch calls.`);
  }
  if (metrics + params + tags > LIMITS.batchTotal) {
    throw invalid(`A batch may hold at most ${LIMITS.batchTotal} metrics, params and tags in all, got ${metrics + params + tags}; split it into several log-batch calls.`);
  }
  if (tags > LIMITS.batchTags) {
    throw invalid(`A batch may hold at most ${LIMITS.batchTags} tags, got ${tags}; split it into several log-batch calls.`);
  }
}
