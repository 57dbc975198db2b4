/**
 * A list of strings as one string and where each ends (UTF-16 offsets): what the experiment table
 * sends for its run ids and names. Ten thousand strings cost ten thousand values to clone between
 * threads and to stringify and parse in VS Code's webview transport; one string and one typed
 * array cost two.
 */
export interface PackedStrings {
  text: string;
  /** ends[i]: where string i ends in `text` (it starts where string i - 1 ends, or at 0). */
  ends: Uint32Array;
}

/** list[from, to) packed. */
export function packStrings(list: readonly string[], from = 0, to = list.length): PackedStrings {
  const n = Math.max(0, Math.min(to, list.length) - from);
  const ends = new Uint32Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    at += list[from + i]!.length;
    ends[i] = at;
  }
  return { text: from === 0 && n === list.length ? list.join('') : list.slice(from, from + n).join(''), ends };
}

/** Whether `v` looks like packed strings (the page checks what it is sent). */
export function isPackedStrings(v: unknown): v is PackedStrings {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as { text?: unknown; ends?: unknown };
  return typeof p.text === 'string' && p.ends instanceof Uint32Array;
}

/**
 * The strings of `p` written into `into` from index `at` (at most `limit` of them); a string whose
 * end lies outside the text or before its start comes out empty rather than wrong.
 */
export function unpackStringsInto(p: PackedStrings, into: string[], at = 0, limit = p.ends.length): void {
  const { text, ends } = p;
  const n = Math.min(limit, ends.length);
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = ends[i]!;
    into[at + i] = end >= start && end <= text.length ? text.slice(start, end) : '';
    if (end >= start && end <= text.length) start = end;
  }
}

/** The strings of `p` as an array. */
export function unpackStrings(p: PackedStrings): string[] {
  const out = new Array<string>(p.ends.length);
  unpackStringsInto(p, out);
  return out;
}
