import { invalid } from '../errors.ts';
import { parseInteger, parseMetricValue } from '../store/validation.ts';
import type { KeyValue, MetricPoint } from '../store/types.ts';

/** Typed reads of request fields (query string merged with the JSON body), validated at the boundary. */
export type Fields = Record<string, unknown>;

export function optString(f: Fields, name: string): string | undefined {
  const v = f[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw invalid(`Field '${name}' must be a string.`);
}

export function reqString(f: Fields, name: string): string {
  const v = optString(f, name);
  if (v === undefined || v === '') throw invalid(`Missing value for required parameter '${name}'.`);
  return v;
}

/** MLflow clients send `run_id`, older ones `run_uuid`; accept either. */
export function runIdOf(f: Fields): string {
  const id = optString(f, 'run_id') || optString(f, 'run_uuid');
  if (!id) throw invalid("Missing value for required parameter 'run_id'.");
  return id;
}

export function optInteger(f: Fields, name: string): number | undefined {
  const v = f[name];
  return v === undefined || v === null || v === '' ? undefined : parseInteger(name, v);
}

export function stringList(f: Fields, name: string): string[] {
  const v = f[name];
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => {
    if (typeof x !== 'string' && typeof x !== 'number') throw invalid(`Field '${name}' must be a list of strings.`);
    return String(x);
  });
}

function objectList(f: Fields, name: string): Fields[] {
  const v = f[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(`Field '${name}' must be a list.`);
  return v.map((x, i) => {
    if (!x || typeof x !== 'object' || Array.isArray(x)) throw invalid(`Item ${i} of '${name}' must be an object.`);
    return x as Fields;
  });
}

export function keyValueOf(f: Fields, what: string): KeyValue {
  const key = f.key;
  if (typeof key !== 'string' || key === '') throw invalid(`Missing value for required parameter 'key' of a ${what}.`);
  const value = f.value;
  if (value === undefined || value === null) throw invalid(`Missing value for required parameter 'value' of ${what} '${key}'.`);
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw invalid(`The value of ${what} '${key}' must be a string.`);
  }
  return { key, value: String(value) };
}

export function keyValues(f: Fields, name: string, what: string): KeyValue[] {
  return objectList(f, name).map((x) => keyValueOf(x, what));
}

export function metricOf(f: Fields, now: number): MetricPoint {
  const key = f.key;
  if (typeof key !== 'string' || key === '') throw invalid("Missing value for required parameter 'key' of a metric.");
  if (f.value === undefined || f.value === null) throw invalid(`Missing value for required parameter 'value' of metric '${key}'.`);
  return {
    key,
    value: parseMetricValue(key, f.value),
    timestamp: parseInteger('timestamp', f.timestamp, now),
    step: parseInteger('step', f.step, 0),
  };
}

export function metrics(f: Fields, now: number): MetricPoint[] {
  return objectList(f, 'metrics').map((m) => metricOf(m, now));
}
