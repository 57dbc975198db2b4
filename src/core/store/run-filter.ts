import { invalid } from '../errors.ts';

/**
 * Parser for MLflow's run search syntax, e.g.
 *   metrics.accuracy > 0.9 and params.lr = '0.01' and tags."mlflow.runName" LIKE 'sweep-%'
 *   attributes.status IN ('FINISHED', 'FAILED')
 * plus one extension: `params.lr < 0.5` (an unquoted number) compares a numeric param as numbers.
 * Clauses are joined by AND only, as in MLflow. Keys with special characters are quoted with
 * backticks or double quotes.
 */
export type EntityKind = 'metric' | 'param' | 'tag' | 'attribute';
export type Comparator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | 'IS NULL' | 'IS NOT NULL';
export type FilterValue = string | number | null | Array<string | number>;

export interface FilterClause {
  kind: EntityKind;
  key: string;
  op: Comparator;
  value: FilterValue;
  /**
   * A param compared with an unquoted number (`params.lr < 0.5`): compared as numbers, accepted
   * only when every value of that param in the searched experiments is numeric. An extension of
   * MLflow's syntax, which treats params as strings only.
   */
  numeric?: boolean;
}

export interface OrderClause {
  kind: EntityKind;
  key: string;
  descending: boolean;
}

const PREFIXES: Record<string, EntityKind> = {
  metric: 'metric', metrics: 'metric',
  param: 'param', params: 'param', parameter: 'param', parameters: 'param',
  tag: 'tag', tags: 'tag',
  attribute: 'attribute', attributes: 'attribute', attr: 'attribute', run: 'attribute',
};

export const ATTRIBUTE_KEYS = ['status', 'run_name', 'run_id', 'start_time', 'end_time', 'user_id', 'backend', 'exit_code', 'source_file', 'created'] as const;
const NUMERIC_ATTRIBUTES = new Set(['start_time', 'end_time', 'exit_code', 'created']);

type Token =
  | { t: 'ident'; v: string; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'num'; v: number; pos: number }
  | { t: 'op'; v: string; pos: number }
  | { t: 'punct'; v: '(' | ')' | ','; pos: number };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    const start = i;
    if (c === "'" || c === '"' || c === '`') {
      let v = '';
      i++;
      for (;;) {
        if (i >= src.length) break;
        // A doubled quote ('it''s', as in SQL) or a backslash escapes the quote character.
        if (src[i] === c && src[i + 1] === c) { v += c; i += 2; continue; }
        if (src[i] === c) break;
        if (src[i] === '\\' && i + 1 < src.length) { v += src[i + 1]; i += 2; continue; }
        v += src[i++];
      }
      if (i >= src.length) throw syntax(src, start, `unterminated quoted string starting with ${c}`);
      i++;
      // Backtick and double quotes quote identifiers/keys; single quotes quote values.
      out.push(c === "'" ? { t: 'str', v, pos: start } : { t: c === '`' ? 'ident' : 'str', v, pos: start });
      continue;
    }
    if ('(),'.includes(c)) { out.push({ t: 'punct', v: c as '(' | ')' | ',', pos: i++ }); continue; }
    if ('=!<>'.includes(c)) {
      const two = src.slice(i, i + 2);
      if (['!=', '>=', '<=', '=='].includes(two)) { out.push({ t: 'op', v: two === '==' ? '=' : two, pos: i }); i += 2; continue; }
      if (c === '!') throw syntax(src, i, "'!' must be followed by '='");
      out.push({ t: 'op', v: c, pos: i++ });
      continue;
    }
    const num = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num && (c !== '+' && c !== '-' || /[\d.]/.test(src[i + 1] ?? ''))) {
      out.push({ t: 'num', v: Number(num[0]), pos: i });
      i += num[0].length;
      continue;
    }
    const word = /^[\p{L}\p{N}_\-:/.]+/u.exec(src.slice(i));
    if (!word) throw syntax(src, i, `unexpected character '${c}'`);
    out.push({ t: 'ident', v: word[0], pos: i });
    i += word[0].length;
  }
  return out;
}

function syntax(src: string, pos: number, what: string): Error {
  return invalid(`Invalid search expression at position ${pos + 1} of "${src}": ${what}.`);
}

class Cursor {
  i = 0;
  readonly src: string;
  readonly toks: Token[];
  constructor(src: string, toks: Token[]) {
    this.src = src;
    this.toks = toks;
  }
  peek(): Token | undefined { return this.toks[this.i]; }
  next(): Token | undefined { return this.toks[this.i++]; }
  word(): string | undefined {
    const t = this.peek();
    return t && t.t === 'ident' ? t.v.toUpperCase() : undefined;
  }
  fail(what: string): Error {
    const t = this.peek();
    return syntax(this.src, t ? t.pos : this.src.length, what);
  }
}

/** `metrics.acc`, `params."learning rate"`, `tags.mlflow.runName`, `status` (bare attribute). */
function parseEntity(c: Cursor): { kind: EntityKind; key: string } {
  const first = c.next();
  if (!first || first.t !== 'ident') throw c.fail('expected a name such as metrics.accuracy, params.lr, tags.x or attributes.status');
  // Unquoted identifiers are read as one word including dots: split at the first dot.
  const dot = first.v.indexOf('.');
  let prefix = first.v;
  let key: string | undefined;
  if (dot >= 0) {
    prefix = first.v.slice(0, dot);
    key = first.v.slice(dot + 1);
  }
  let kind = PREFIXES[prefix.toLowerCase()];
  if (!kind) {
    if (dot < 0 && (ATTRIBUTE_KEYS as readonly string[]).includes(first.v)) return { kind: 'attribute', key: normaliseAttribute(first.v) };
    throw syntax(c.src, first.pos, `unknown entity '${prefix}'; use metrics., params., tags. or attributes.`);
  }
  if (key === undefined || key === '') {
    const k = c.next();
    if (!k || (k.t !== 'ident' && k.t !== 'str')) throw c.fail(`expected a key after '${prefix}.'`);
    key = k.v;
  }
  if (kind === 'attribute') {
    if (!(ATTRIBUTE_KEYS as readonly string[]).includes(key)) {
      throw syntax(c.src, first.pos, `unknown attribute '${key}'; valid attributes: ${ATTRIBUTE_KEYS.join(', ')}`);
    }
    key = normaliseAttribute(key);
  }
  return { kind, key };
}

function normaliseAttribute(key: string): string {
  return key === 'created' ? 'start_time' : key;
}

function parseValue(c: Cursor): string | number {
  const t = c.next();
  if (!t) throw c.fail('expected a value');
  if (t.t === 'str' || t.t === 'num') return t.v;
  throw syntax(c.src, t.pos, `expected a quoted string or a number, got '${String(t.v)}'`);
}

function parseClause(c: Cursor): FilterClause {
  const { kind, key } = parseEntity(c);
  const opTok = c.peek();
  if (!opTok) throw c.fail(`expected a comparison after '${key}'`);
  let op: Comparator;
  if (opTok.t === 'op') {
    c.next();
    op = opTok.v as Comparator;
  } else {
    const w = c.word();
    c.next();
    if (w === 'LIKE' || w === 'ILIKE' || w === 'IN') op = w;
    else if (w === 'NOT' && c.word() === 'IN') { c.next(); op = 'NOT IN'; }
    else if (w === 'IS') {
      if (c.word() === 'NOT') { c.next(); op = 'IS NOT NULL'; } else op = 'IS NULL';
      if (c.word() !== 'NULL') throw c.fail("expected NULL after IS / IS NOT");
      c.next();
    } else throw syntax(c.src, opTok.pos, `expected a comparison (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL) after '${key}'`);
  }
  let value: FilterValue = null;
  if (op === 'IN' || op === 'NOT IN') {
    const open = c.next();
    if (!open || open.t !== 'punct' || open.v !== '(') throw c.fail(`expected '(' after ${op}`);
    const list: Array<string | number> = [];
    for (;;) {
      list.push(parseValue(c));
      const sep = c.next();
      if (sep?.t === 'punct' && sep.v === ')') break;
      if (!(sep?.t === 'punct' && sep.v === ',')) throw c.fail("expected ',' or ')' in the value list");
    }
    value = list;
  } else if (op !== 'IS NULL' && op !== 'IS NOT NULL') {
    value = parseValue(c);
  }
  const clause: FilterClause = { kind, key, op, value };
  checkClause(c.src, clause);
  return clause;
}

function checkClause(src: string, cl: FilterClause): void {
  const numericOps = ['>', '>=', '<', '<='];
  const fail = (what: string) => invalid(`Invalid search expression "${src}": ${what}.`);
  if (cl.kind === 'metric') {
    if (!['=', '!=', ...numericOps].includes(cl.op)) throw fail(`metrics support =, !=, <, <=, >, >= only, not ${cl.op}`);
    if (typeof cl.value !== 'number') throw fail(`metrics.${cl.key} must be compared with a number, not ${JSON.stringify(cl.value)}`);
    return;
  }
  if (cl.kind === 'attribute' && NUMERIC_ATTRIBUTES.has(cl.key)) {
    if (!['=', '!=', ...numericOps].includes(cl.op)) throw fail(`attributes.${cl.key} supports =, !=, <, <=, >, >= only`);
    if (typeof cl.value !== 'number') throw fail(`attributes.${cl.key} must be compared with a number`);
    return;
  }
  if (cl.kind === 'param' && ['=', '!=', ...numericOps].includes(cl.op) && typeof cl.value === 'number') {
    cl.numeric = true;
    return;
  }
  if (numericOps.includes(cl.op)) {
    if (cl.kind === 'param') throw fail(`params.${cl.key} ${cl.op} needs an unquoted number (params.${cl.key} ${cl.op} 0.5 compares as numbers when every value of ${cl.key} is numeric)`);
    throw fail(`${cl.kind}s are strings and support =, !=, LIKE, ILIKE, IN and NOT IN, not ${cl.op}`);
  }
  if ((cl.op === 'IS NULL' || cl.op === 'IS NOT NULL') && cl.kind === 'attribute') throw fail(`attributes cannot be compared with ${cl.op}`);
  const values = Array.isArray(cl.value) ? cl.value : [cl.value];
  if (cl.value !== null && values.some((v) => typeof v !== 'string')) {
    const hint = cl.kind === 'param' ? ` (or, to compare as numbers, with =, !=, <, <=, >, >= and an unquoted number)` : '';
    throw fail(`${cl.kind}s.${cl.key} must be compared with a quoted string, e.g. ${cl.kind}s.${cl.key} IN ('${String(values[0])}')${hint}`);
  }
}

export function parseFilter(src: string | undefined): FilterClause[] {
  if (!src || !src.trim()) return [];
  const c = new Cursor(src, tokenize(src));
  const clauses: FilterClause[] = [parseClause(c)];
  while (c.peek()) {
    const w = c.word();
    if (w === 'OR') throw c.fail("OR is not supported (as in MLflow); combine clauses with AND");
    if (w !== 'AND') throw c.fail("expected AND between clauses");
    c.next();
    clauses.push(parseClause(c));
  }
  return clauses;
}

/** `metrics.acc DESC`, `attributes.start_time`, `params.lr ASC`. */
export function parseOrderBy(src: string): OrderClause {
  const c = new Cursor(src, tokenize(src));
  const { kind, key } = parseEntity(c);
  let descending = false;
  const w = c.word();
  if (w === 'DESC') { descending = true; c.next(); } else if (w === 'ASC') c.next();
  if (c.peek()) throw c.fail("expected ASC or DESC at the end of the order_by clause");
  return { kind, key, descending };
}
