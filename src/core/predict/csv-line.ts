/**
 * One CSV record (RFC 4180): a field is quoted when it holds the delimiter, a quote or a line break,
 * with quotes doubled. Values are written as they came: text unchanged, numbers with JavaScript's
 * shortest round-trip form, null/undefined as an empty field, anything else as JSON.
 */
export function csvLine(values: readonly unknown[], delimiter = ','): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i) line += delimiter;
    line += csvField(values[i], delimiter);
  }
  return line + '\n';
}

function csvField(v: unknown, delimiter: string): string {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : JSON.stringify(v);
  if (s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r')) return `"${s.replaceAll('"', '""')}"`;
  return s;
}
