import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { invalid } from '../errors.ts';

export const PROJECT_FILE = 'loopline.yaml';

/** How a model version is served: recorded with each version, used by deployments. */
export interface ServeSpec {
  build?: string;
  image?: string;
  command?: string;
  port?: number;
  health?: string;
}

/** `loopline.yaml` at the project root, as far as the features reading it need. */
export interface ProjectConfig {
  /** Absolute path of the file, or null when the project has none. */
  file: string | null;
  /** The whole document, for features that read their own sections. */
  raw: Record<string, unknown>;
  serve: ServeSpec | null;
}

/** Reads `loopline.yaml` in `projectDir`; a project without one gets an empty config. */
export function loadProjectConfig(projectDir: string): ProjectConfig {
  const file = join(projectDir, PROJECT_FILE);
  if (!existsSync(file)) return { file: null, raw: {}, serve: null };
  const doc = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (doc.errors.length) {
    throw invalid(`${file} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}. Fix the file and try again.`);
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalid(`${file} must hold a mapping (keys such as serve:, gates:), not a ${Array.isArray(raw) ? 'list' : typeof raw}.`);
  const obj = raw as Record<string, unknown>;
  return { file, raw: obj, serve: parseServe(file, obj.serve) };
}

function parseServe(file: string, v: unknown): ServeSpec | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(`${file}: serve: must be a mapping such as {build: ., command: python3 serve.py, port: 8080, health: /ping}.`);
  const s = v as Record<string, unknown>;
  const out: ServeSpec = {};
  for (const key of ['build', 'image', 'command', 'health'] as const) {
    if (s[key] === undefined) continue;
    if (typeof s[key] !== 'string') throw invalid(`${file}: serve.${key} must be a string.`);
    out[key] = s[key] as string;
  }
  if (s.port !== undefined) {
    if (!Number.isInteger(s.port) || (s.port as number) < 1 || (s.port as number) > 65535) throw invalid(`${file}: serve.port must be a port number (1-65535).`);
    out.port = s.port as number;
  }
  return out;
}
