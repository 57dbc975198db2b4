import type { DictColumn, ExperimentChunk } from '../series/experiment-columns.ts';
import { invalid } from '../errors.ts';
import { parseFilter, type FilterClause } from './run-filter.ts';
import { likeRegExp, paramNumber } from './run-search.ts';

/**
 * Evaluates a run search over the experiment table's columns (the read worker's cache) instead of
 * SQL: a filter over 100,000 runs then costs a pass over typed arrays, and a string clause is
 * decided once per distinct value (the dictionary), not once per run. Same results as the SQL
 * search for the clauses it knows (metrics, params, status, run name, start time); for any other
 * (tags, other attributes) it answers null and the caller asks SQL. One difference by design: a
 * param compared as a number must be numeric in the runs of the table (SQL checks deleted runs too).
 */

/**
 * One clause over one chunk: clears mask[row] for the rows that fail it. A loop per clause over
 * typed arrays (not a call per row and clause): fast on a first filter too, before the engine has
 * compiled anything.
 */
type Test = (chunk: ExperimentChunk, mask: Uint8Array) => void;

/** Clears the rows of `mask` whose value fails `keep`. */
function keepNumbers(mask: Uint8Array, values: ArrayLike<number>, op: string, x: number): void {
  for (let r = 0; r < mask.length; r++) if (mask[r] === 1 && !compareNumbers(values[r]!, op, x)) mask[r] = 0;
}

const NUMBER_OPS = new Set(['=', '!=', '>', '>=', '<', '<=']);

function compareNumbers(v: number, op: string, x: number): boolean {
  // NaN is SQL's NULL here: no comparison holds, `!=` included.
  if (Number.isNaN(v)) return false;
  switch (op) {
    case '=':
      return v === x;
    case '!=':
      return v !== x;
    case '>':
      return v > x;
    case '>=':
      return v >= x;
    case '<':
      return v < x;
    default:
      return v <= x;
  }
}

/** A string clause (=, !=, LIKE, ILIKE, IN, NOT IN) on a value, as SQL decides it; null: not such a clause. */
function stringTest(cl: FilterClause): ((s: string) => boolean) | null {
  const v = cl.value;
  switch (cl.op) {
    case '=':
      return typeof v === 'string' ? (s) => s === v : null;
    case '!=':
      return typeof v === 'string' ? (s) => s !== v : null;
    case 'LIKE':
    case 'ILIKE': {
      if (typeof v !== 'string') return null;
      // Built once per filter, not once per run.
      const re = likeRegExp(v, cl.op === 'ILIKE');
      return (s) => re.test(s);
    }
    case 'IN':
    case 'NOT IN': {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return null;
      const set = new Set(v as string[]);
      return cl.op === 'IN' ? (s) => set.has(s) : (s) => !set.has(s);
    }
    default:
      return null;
  }
}

/** A column by key: only the chunk's own (a key such as `constructor` is not an inherited property). */
function own<T>(columns: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(columns, key) ? columns[key] : undefined;
}

/** A test on a dictionary column, decided once per distinct value (per chunk: each has its own dictionary). */
function dictTest(column: (c: ExperimentChunk) => DictColumn | undefined, onValue: (s: string) => boolean, missing: boolean): Test {
  return (chunk, mask) => {
    const col = column(chunk);
    if (!col) {
      if (!missing) mask.fill(0);
      return;
    }
    const verdict = Uint8Array.from(col.dict, (s) => (onValue(s) ? 1 : 0));
    const keepMissing = missing ? 1 : 0;
    const codes = col.codes;
    for (let r = 0; r < mask.length; r++) {
      if (mask[r] !== 1) continue;
      const code = codes[r]!;
      if ((code < 0 ? keepMissing : verdict[code]) !== 1) mask[r] = 0;
    }
  };
}

function clauseTest(cl: FilterClause, chunks: readonly ExperimentChunk[]): Test | null {
  if (cl.kind === 'metric') {
    if (!NUMBER_OPS.has(cl.op) || typeof cl.value !== 'number') return null;
    const x = cl.value;
    return (chunk, mask) => {
      const m = own(chunk.metrics, cl.key);
      if (m) keepNumbers(mask, m.last, cl.op, x);
      else mask.fill(0);
    };
  }
  if (cl.kind === 'param') {
    if (cl.op === 'IS NULL' || cl.op === 'IS NOT NULL') {
      const isNull = cl.op === 'IS NULL';
      return dictTest((c) => own(c.params, cl.key), () => !isNull, isNull);
    }
    if (cl.numeric) {
      if (!NUMBER_OPS.has(cl.op) || typeof cl.value !== 'number') return null;
      for (const c of chunks) {
        const bad = own(c.params, cl.key)?.dict.find((s) => paramNumber(s) === null);
        if (bad !== undefined) {
          const shown = (bad.length > 40 ? `${bad.slice(0, 40)}…` : bad).replace(/'/g, "''");
          throw invalid(`params.${cl.key} is compared as a number, but some runs have a value that is not a number ('${shown}'); compare it as a string instead, e.g. params.${cl.key} = '${shown}'.`);
        }
      }
      const x = cl.value;
      return dictTest((c) => own(c.params, cl.key), (s) => compareNumbers(paramNumber(s) ?? NaN, cl.op, x), false);
    }
    const t = stringTest(cl);
    return t ? dictTest((c) => own(c.params, cl.key), t, false) : null;
  }
  if (cl.kind === 'attribute') {
    if (cl.key === 'status') {
      const t = stringTest(cl);
      return t ? dictTest((c) => c.statuses, t, false) : null;
    }
    if (cl.key === 'run_name') {
      const t = stringTest(cl);
      return t
        ? (chunk, mask) => {
            for (let r = 0; r < mask.length; r++) if (mask[r] === 1 && !t(chunk.names[r]!)) mask[r] = 0;
          }
        : null;
    }
    if (cl.key === 'start_time' && NUMBER_OPS.has(cl.op) && typeof cl.value === 'number') {
      const x = cl.value;
      return (chunk, mask) => keepNumbers(mask, chunk.startTimes, cl.op, x);
    }
  }
  return null;
}

/**
 * Rows (table row numbers, ascending) of the runs in `chunks` matching `expression`, or null when
 * the expression uses something the columns do not hold. Throws INVALID_PARAMETER_VALUE as the SQL
 * search does for a bad expression.
 */
export function filterTableColumns(chunks: readonly ExperimentChunk[], expression: string): Uint32Array | null {
  const clauses = parseFilter(expression);
  const tests: Test[] = [];
  for (const cl of clauses) {
    const t = clauseTest(cl, chunks);
    if (!t) return null;
    tests.push(t);
  }
  let total = 0;
  for (const c of chunks) total += c.runIds.length;
  const out = new Uint32Array(total);
  let n = 0;
  for (const c of chunks) {
    const mask = new Uint8Array(c.runIds.length).fill(1);
    for (const t of tests) t(c, mask);
    for (let r = 0; r < mask.length; r++) if (mask[r] === 1) out[n++] = c.offset + r;
  }
  return out.slice(0, n);
}

/** Rounds of `warmTableFilter` that get the filter's loops compiled (measured in Node). */
export const FILTER_WARM_ROUNDS = 6;
const WARM_EXPRESSIONS = [
  "metrics.m > 0.1 and params.p < 40 and attributes.status = 'FINISHED'",
  "params.q = 'adam' and metrics.m <= 0.5 and attributes.start_time >= 3",
  "attributes.run_name LIKE 'trial-1%' and params.q IN ('sgd', 'adam') and params.p IS NOT NULL",
];
let warmChunk: ExperimentChunk | null = null;

/**
 * One round of filtering made-up rows (never a store's), so that the user's first filter of a
 * large table runs compiled loops rather than V8's interpreter (a first filter of 100,000 rows:
 * 10-25 ms cold, 1-2 ms warm). Every clause kind the columns answer is covered. A round is a few
 * ms on 2,048 rows, so a request that comes meanwhile waits for one at most.
 */
export function warmTableFilter(round: number): void {
  const n = 2048;
  if (!warmChunk) {
    const codes = (k: number) => Int32Array.from({ length: n }, (_, i) => (i % 11 === 0 ? -1 : i % k));
    warmChunk = {
      offset: 0,
      runIds: Array.from({ length: n }, (_, i) => String(i)),
      names: Array.from({ length: n }, (_, i) => `trial-${i}`),
      statuses: { dict: ['FINISHED', 'FAILED', 'RUNNING'], codes: codes(3) },
      startTimes: Float64Array.from({ length: n }, (_, i) => i),
      durations: new Float64Array(n),
      params: { p: { dict: Array.from({ length: 97 }, (_, i) => String(i)), codes: codes(97) }, q: { dict: ['adam', 'sgd'], codes: codes(2) } },
      metrics: { m: { last: Float64Array.from({ length: n }, (_, i) => (i % 13 === 0 ? NaN : Math.sin(i))), min: new Float64Array(n), max: new Float64Array(n), lastNaN: new Uint8Array(n) } },
    };
  }
  for (const e of WARM_EXPRESSIONS) filterTableColumns([warmChunk], e);
  if (round >= FILTER_WARM_ROUNDS - 1) warmChunk = null;
}
