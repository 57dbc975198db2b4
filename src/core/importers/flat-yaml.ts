/** Plain scalars the YAML core schema reads as something other than a string. */
const NOT_A_STRING = /^(?:[-+]?(?:\d+|\.\d+|\d+\.\d*)(?:[eE][-+]?\d+)?|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|null|Null|NULL|~|true|True|TRUE|false|False|FALSE)$/;
const PLAIN = /^[A-Za-z0-9_/][A-Za-z0-9_./:%@+=-]*(?: [A-Za-z0-9_./:%@+=-]+)*$/;
const LINE = /^([A-Za-z_][A-Za-z0-9_]*): (.*)$/;

/**
 * MLflow's meta.yaml as PyYAML's safe_dump writes it: one `key: value` line per field, each value
 * an integer, `''`, `[]`, `null`, a single-quoted string or a plain word. Read directly, because a
 * full YAML parse per run dominated importing a large store. Anything outside that shape
 * returns undefined, and the caller parses the text as YAML; where both apply they agree (a test
 * checks this on every meta.yaml of the fixtures).
 */
export function parseFlatYaml(text: string): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) return undefined;
    const key = m[1]!;
    const raw = m[2]!;
    if (Object.hasOwn(out, key)) return undefined;
    let value: unknown;
    if (/^-?\d{1,15}$/.test(raw)) value = Number(raw);
    else if (raw === "''") value = '';
    else if (raw === '[]') value = [];
    else if (raw === 'null') value = null;
    else if (/^'[^']+'$/.test(raw)) value = raw.slice(1, -1);
    else if (PLAIN.test(raw) && !NOT_A_STRING.test(raw) && !raw.includes(': ') && !raw.endsWith(':')) value = raw;
    else return undefined;
    out[key] = value;
  }
  return out;
}
