import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO_ROOT, 'bin', 'loopline');
export const PYTHON_CLIENT_DIR = join(REPO_ROOT, 'clients', 'python');
export const IRIS_EXAMPLE = join(REPO_ROOT, 'examples', 'iris', 'train.py');
