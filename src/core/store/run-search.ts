import { invalid } from '../errors.ts';
import { parseFilter, parseOrderBy, type FilterClause, type OrderClause } from './run-filter.ts';
import type { SearchRunsQuery, ViewType } from './types.ts';

/**
 * Turns an MLflow search (filter, order_by, paging) into one SQL query over `runs r` that
 * returns run pks. Metrics compare against the summary's last value (as MLflow compares the
 * latest value), so no query scans a metric history.
 */
const ATTRIBUTE_COLUMNS: Record<string, string> = {
  status: 'r.status',
  run_name: 'r.name',
  run_id: 'r.uuid',
  start_time: 'r.start_time',
  end_time: 'r.end_time',
  user_id: 'r.user_id',
  backend: 'r.backend',
  exit_code: 'r.exit_code',
  source_file: 'r.source_file',
};

export const MAX_RESULTS_LIMIT = 50000;
export const DEFAULT_MAX_RESULTS = 1000;

export interface CompiledSearch {
  sql: string;
  args: unknown[];
  offset: number;
  limit: number;
  /** Params compared as numbers: the store checks that every value of each is numeric first. */
  numericParams: string[];
  experimentIds: number[];
}

/** A param value read as a number, or null (SQL function `loopline_number`). */
export function paramNumber(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const t = value.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/**
 * The first value of `key` in these experiments that is not a number, if any: a numeric
 * comparison on such a param would silently drop runs, so it is refused instead.
 */
export function nonNumericParamSql(experimentIds: number[]): string {
  return `SELECT x.value FROM params x JOIN runs r ON r.pk = x.run WHERE r.experiment_id IN (${experimentIds.map(() => '?').join(', ')}) AND x.key = ? AND loopline_number(x.value) IS NULL LIMIT 1`;
}

function likeArgs(op: string): string {
  // mlflow_like(value, pattern, case_insensitive) is registered by the store: SQLite's own LIKE
  // ignores case, MLflow's LIKE does not.
  return op === 'ILIKE' ? '1' : '0';
}

function stringCondition(column: string, cl: FilterClause, args: unknown[]): string {
  switch (cl.op) {
    case '=':
    case '!=':
      args.push(cl.value);
      return `${column} ${cl.op} ?`;
    case 'LIKE':
    case 'ILIKE':
      args.push(cl.value);
      return `mlflow_like(${column}, ?, ${likeArgs(cl.op)})`;
    case 'IN':
    case 'NOT IN': {
      const list = cl.value as Array<string | number>;
      args.push(...list);
      return `${column} ${cl.op} (${list.map(() => '?').join(', ')})`;
    }
    default:
      throw invalid(`Comparator ${cl.op} is not supported here.`);
  }
}

function clauseSql(cl: FilterClause, args: unknown[]): string {
  if (cl.kind === 'attribute') {
    const col = ATTRIBUTE_COLUMNS[cl.key];
    if (!col) throw invalid(`Unknown attribute '${cl.key}'.`);
    if (typeof cl.value === 'number' || cl.key.endsWith('_time') || cl.key === 'exit_code') {
      args.push(cl.value);
      return `${col} ${cl.op} ?`;
    }
    return stringCondition(col, cl, args);
  }
  if (cl.kind === 'metric') {
    args.push(cl.key, cl.value);
    return `EXISTS (SELECT 1 FROM series s WHERE s.run = r.pk AND s.key = ? AND s.last_value ${cl.op} ?)`;
  }
  const table = cl.kind === 'param' ? 'params' : 'tags';
  if (cl.op === 'IS NULL' || cl.op === 'IS NOT NULL') {
    args.push(cl.key);
    const exists = `EXISTS (SELECT 1 FROM ${table} x WHERE x.run = r.pk AND x.key = ?)`;
    return cl.op === 'IS NULL' ? `NOT ${exists}` : exists;
  }
  if (cl.numeric) {
    args.push(cl.key, cl.value);
    return `EXISTS (SELECT 1 FROM params x WHERE x.run = r.pk AND x.key = ? AND loopline_number(x.value) ${cl.op} ?)`;
  }
  args.push(cl.key);
  const cond = stringCondition('x.value', cl, args);
  return `EXISTS (SELECT 1 FROM ${table} x WHERE x.run = r.pk AND x.key = ? AND ${cond})`;
}

function orderSql(o: OrderClause, args: unknown[]): string {
  const dir = o.descending ? 'DESC' : 'ASC';
  let expr: string;
  if (o.kind === 'attribute') {
    const col = ATTRIBUTE_COLUMNS[o.key];
    if (!col) throw invalid(`Cannot order by unknown attribute '${o.key}'.`);
    expr = col;
  } else if (o.kind === 'metric') {
    args.push(o.key);
    expr = '(SELECT s.last_value FROM series s WHERE s.run = r.pk AND s.key = ?)';
  } else {
    args.push(o.key);
    expr = `(SELECT x.value FROM ${o.kind === 'param' ? 'params' : 'tags'} x WHERE x.run = r.pk AND x.key = ?)`;
  }
  // Runs without the value (or with NaN) go last whichever the direction, as in MLflow.
  return `${expr} ${dir} NULLS LAST`;
}

export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset }), 'utf8').toString('base64');
}

export function decodePageToken(token: string | undefined | null): number {
  if (!token) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown };
    if (typeof parsed.offset === 'number' && Number.isSafeInteger(parsed.offset) && parsed.offset >= 0) return parsed.offset;
  } catch {
    // fall through to the error below
  }
  throw invalid(`Invalid page_token '${token.slice(0, 40)}'; pass the next_page_token of the previous response unchanged.`);
}

function stageCondition(view: ViewType | undefined): string {
  switch (view ?? 'ACTIVE_ONLY') {
    case 'ACTIVE_ONLY':
      return "r.lifecycle_stage = 'active'";
    case 'DELETED_ONLY':
      return "r.lifecycle_stage = 'deleted'";
    case 'ALL':
      return '1';
  }
}

export function compileSearch(q: SearchRunsQuery): CompiledSearch {
  const limit = q.maxResults ?? DEFAULT_MAX_RESULTS;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_RESULTS_LIMIT) {
    throw invalid(`max_results must be between 1 and ${MAX_RESULTS_LIMIT}, got ${String(q.maxResults)}.`);
  }
  const args: unknown[] = [];
  const where: string[] = [stageCondition(q.viewType)];
  if (q.experimentIds.length === 0) throw invalid('Give at least one experiment id to search in (experiment_ids).');
  const ids = q.experimentIds.map((id) => {
    if (!/^\d+$/.test(String(id))) throw invalid(`Experiment id '${id}' is not valid; experiment ids are numbers.`);
    return Number(id);
  });
  where.push(`r.experiment_id IN (${ids.map(() => '?').join(', ')})`);
  args.push(...ids);
  const numericParams = new Set<string>();
  for (const cl of parseFilter(q.filter)) {
    if (cl.numeric) numericParams.add(cl.key);
    where.push(clauseSql(cl, args));
  }
  const order = (q.orderBy ?? []).filter((s) => s.trim()).map((s) => orderSql(parseOrderBy(s), args));
  order.push('r.start_time DESC', 'r.uuid ASC');
  const offset = decodePageToken(q.pageToken);
  // Fetch one extra row to know whether a next page exists.
  const sql = `SELECT r.pk AS pk FROM runs r WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`;
  args.push(limit + 1, offset);
  return { sql, args, offset, limit, numericParams: [...numericParams], experimentIds: ids };
}

/** SQL LIKE semantics (% and _), case-sensitive unless asked otherwise. */
export function mlflowLike(value: unknown, pattern: unknown, caseInsensitive: unknown): number {
  if (typeof value !== 'string' || typeof pattern !== 'string') return 0;
  return likeRegExp(pattern, Boolean(caseInsensitive)).test(value) ? 1 : 0;
}

/** A LIKE pattern as a regular expression, built once for a filter that tests it on many values. */
export function likeRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let re = '^';
  for (const ch of pattern) {
    if (ch === '%') re += '[\\s\\S]*';
    else if (ch === '_') re += '[\\s\\S]';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  re += '$';
  return new RegExp(re, caseInsensitive ? 'iu' : 'u');
}
