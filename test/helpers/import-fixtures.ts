import { cpSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './paths.ts';

/**
 * The real files of other tools in `shared/fixtures`: beside the clone in CI (`../shared`), and
 * found by walking up from the repo for worktrees nested deeper. LOOPLINE_FIXTURES overrides.
 */
export const FIXTURES: string = (() => {
  if (process.env.LOOPLINE_FIXTURES) return process.env.LOOPLINE_FIXTURES;
  for (let dir = REPO_ROOT; ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'fixtures');
    if (existsSync(join(candidate, 'SOURCES.md'))) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(
    `The import fixtures were not found: expected shared/fixtures/SOURCES.md beside the repository (${join(REPO_ROOT, '..', 'shared', 'fixtures')}). Copy the shared folder there or set LOOPLINE_FIXTURES.`,
  );
})();

export function fixture(...parts: string[]): string {
  const p = join(FIXTURES, ...parts);
  if (!existsSync(p)) throw new Error(`Fixture ${p} is missing; the shared fixtures folder looks incomplete.`);
  return p;
}

/** A writable copy of a fixture folder (for tests that damage or grow the source). */
export function copyFixture(dest: string, ...parts: string[]): string {
  cpSync(fixture(...parts), dest, { recursive: true });
  return dest;
}
