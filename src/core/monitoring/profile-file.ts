import { readFileSync } from 'node:fs';
import { invalid, notFound } from '../errors.ts';
import { profileFile, type ProfileOptions } from './data-profiler.ts';
import { PROFILE_SCHEMA, type DataProfile } from './profile-types.ts';

/** A saved profile (`loopline profile FILE --out X.json`), checked enough to be used as a reference. */
export function readSavedProfile(path: string): DataProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw notFound(`No such file: '${path}'.`);
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(`'${path}' is not JSON. A saved profile comes from: loopline profile DATA_FILE --out ${path}`);
  }
  const p = parsed as Partial<DataProfile>;
  if (p?.schema !== PROFILE_SCHEMA || !Array.isArray(p.columns)) {
    throw invalid(`'${path}' is not a Loopline data profile (no "schema": "${PROFILE_SCHEMA}"). Make one with: loopline profile DATA_FILE --out ${path}`);
  }
  return p as DataProfile;
}

/** A data file is profiled; a .json file is read as a saved profile. */
export async function profileOrSaved(path: string, opts: ProfileOptions = {}): Promise<DataProfile> {
  return path.toLowerCase().endsWith('.json') ? readSavedProfile(path) : profileFile(path, opts);
}
