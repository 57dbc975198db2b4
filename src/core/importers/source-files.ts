import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { isScalar, parseDocument, visit } from 'yaml';

/** Entries of a folder, or none when it is missing or unreadable (sources are often partial). */
export function listDir(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    return [];
  }
}

export function isDir(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

export function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** Files under `dir` (not following links), as '/'-joined paths relative to it. */
export function filesUnder(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of listDir(dir)) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesUnder(join(dir, e.name), rel));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

export type YamlResult = { ok: true; value: unknown } | { ok: false; position: string; message: string };

/**
 * YAML that may carry tags a safe loader rejects (PyTorch Lightning writes `!!python/name:` tags
 * into hparams.yaml): unknown tags become their plain scalar text instead of an error.
 */
export function parseYaml(text: string, opts: { scalarText?: boolean } = {}): YamlResult {
  const doc = parseDocument(text, { strict: false, uniqueKeys: false, prettyErrors: true });
  const fatal = doc.errors.find((e) => e.code !== 'TAG_RESOLVE_FAILED');
  if (fatal) {
    const pos = fatal.linePos?.[0];
    return { ok: false, position: pos ? `line ${pos.line}, column ${pos.col}` : `offset ${fatal.pos[0]}`, message: fatal.message.split('\n')[0]! };
  }
  visit(doc, {
    Scalar(_key, node) {
      const tag = node.tag ?? '';
      // Keep a foreign tag visible (`!!python/name:__main__.f`) rather than an empty string.
      if (tag.startsWith('tag:yaml.org,2002:python/')) node.value = `!!${tag.slice('tag:yaml.org,2002:'.length)}${node.value ? ' ' + String(node.value) : ''}`;
      // Params keep the text the tool wrote (`64.0`, not `64`).
      else if (opts.scalarText && isScalar(node) && typeof node.source === 'string' && typeof node.value !== 'string') node.value = node.source;
    },
  });
  return { ok: true, value: doc.toJS({ maxAliasCount: 1000 }) };
}

/** `{a: {b: 1}}` -> `[['a.b', '1']]`: params keep nested config as dotted keys. */
export function flattenParams(value: unknown, sep = '.', prefix = ''): Array<[string, string]> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
    const out: Array<[string, string]> = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out.push(...flattenParams(v, sep, prefix ? `${prefix}${sep}${k}` : k));
    return out;
  }
  return prefix ? [[prefix, paramText(value)]] : [];
}

export function paramText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
