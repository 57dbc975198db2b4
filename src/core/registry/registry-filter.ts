import { invalid } from '../errors.ts';
import { mlflowLike } from '../store/run-search.ts';

/**
 * MLflow's registry search filters: clauses joined by AND, each `field op value` with
 * =, !=, LIKE, ILIKE, or IN ('a', 'b'). Fields: name, run_id, source_path, version_number, tags.KEY.
 */
export type FieldGetter = (field: string) => string | undefined;

interface Clause {
  field: string;
  op: string;
  values: string[];
}

const CLAUSE = /^\s*((?:tags?\.)?(?:`[^`]+`|"[^"]+"|[\w.\-]+))\s*(=|!=|LIKE|ILIKE|IN)\s*(.+?)\s*$/i;

function unquote(s: string, clause: string): string {
  const m = /^'((?:[^']|'')*)'$|^"((?:[^"]|"")*)"$/.exec(s.trim());
  if (m) return m[1] !== undefined ? m[1].replace(/''/g, "'") : m[2]!.replace(/""/g, '"');
  if (/^-?\d+$/.test(s.trim())) return s.trim();
  throw invalid(`Invalid filter clause '${clause.trim()}': values must be quoted, e.g. name = 'iris'.`);
}

export function parseRegistryFilter(filter: string | undefined, fields: readonly string[]): Clause[] {
  if (!filter?.trim()) return [];
  // AND outside quotes.
  const parts = filter.split(/\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)/i);
  return parts.map((clause) => {
    const m = CLAUSE.exec(clause);
    if (!m) throw invalid(`Invalid filter clause '${clause.trim()}'; use e.g. name = 'iris', name LIKE 'iris%' or tags.team = 'vision'.`);
    const rawField = m[1]!;
    const op = m[2]!.toUpperCase();
    const isTag = /^tags?\./i.test(rawField);
    const field = isTag ? `tags.${rawField.replace(/^tags?\./i, '').replace(/^[`"]|[`"]$/g, '')}` : rawField.toLowerCase();
    if (!isTag && !fields.includes(field)) throw invalid(`Invalid filter field '${rawField}'; use one of ${fields.join(', ')} or tags.KEY.`);
    let values: string[];
    if (op === 'IN') {
      const list = /^\((.*)\)$/.exec(m[3]!.trim());
      if (!list) throw invalid(`Invalid filter clause '${clause.trim()}': IN needs a list such as ('a', 'b').`);
      values = list[1]!.split(',').map((v) => unquote(v, clause));
    } else values = [unquote(m[3]!, clause)];
    return { field, op, values };
  });
}

export function matchesFilter(clauses: Clause[], get: FieldGetter): boolean {
  return clauses.every((c) => {
    const actual = get(c.field);
    if (actual === undefined) return c.op === '!=';
    const v = c.values[0]!;
    switch (c.op) {
      case '=':
        return actual === v;
      case '!=':
        return actual !== v;
      case 'LIKE':
        return mlflowLike(actual, v, false) === 1;
      case 'ILIKE':
        return mlflowLike(actual, v, true) === 1;
      default:
        return c.values.includes(actual);
    }
  });
}
