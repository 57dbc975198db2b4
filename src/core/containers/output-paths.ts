import { lstatSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { invalid } from '../errors.ts';
import { safeRelative } from '../store/artifact-files.ts';

/**
 * Maps a path the container wrote into a spool record (`/outputs/model/w.bin`) to the file in the
 * run's staging folder on this machine. The container is not trusted: a source outside the output
 * folder, a `..` escape or a symlink is refused, so a script cannot make the launcher copy host
 * files into the run's artifacts.
 */
export function outputPathMapper(outputDir: string, staging: string): (containerPath: string) => string {
  return (p) => {
    if (!p.startsWith(`${outputDir}/`)) throw invalid(`Artifact source '${p}' is outside ${outputDir}; write artifacts under ${outputDir}.`);
    const full = join(staging, safeRelative(p.slice(outputDir.length + 1)));
    const real = realpathSync(full);
    const rel = relative(realpathSync(staging), real);
    if (rel.startsWith('..') || isAbsolute(rel) || !lstatSync(full).isFile()) {
      throw invalid(`Artifact source '${p}' is not a regular file inside ${outputDir}; symlinks are not followed.`);
    }
    return full;
  };
}
