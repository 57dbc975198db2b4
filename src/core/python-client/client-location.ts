import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding the bundled Python client (`loopline.py`): `clients/python` in a checkout,
 * `dist/python` next to the bundled CLI or extension. Searched upwards from this module's file,
 * which is `src/core/python-client/` from source and `dist/` when bundled.
 */
export function bundledPythonClientDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, 'clients', 'python'), join(dir, 'python'), join(dir, 'dist', 'python')]) {
      if (existsSync(join(candidate, 'loopline.py'))) return candidate;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/**
 * PYTHONPATH with `dir` appended: a client the user installed (or put first) still wins, and a
 * script in any repository can `import loopline` with no install.
 */
export function appendPythonPath(current: string | undefined, dir: string): string {
  const parts = (current ?? '').split(':').filter(Boolean);
  if (parts.includes(dir)) return parts.join(':');
  return [...parts, dir].join(':');
}
