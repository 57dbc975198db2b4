// Builds dist/loopline-VERSION-py3-none-any.whl from clients/python with no network and no
// Python build backend (a wheel is a zip with METADATA, WHEEL and RECORD).
import { join } from 'node:path';
import { buildPythonClientWheel } from '../src/core/python-client/wheel-builder.ts';

const root = join(import.meta.dirname, '..');
console.log(buildPythonClientWheel(join(root, 'clients', 'python'), join(root, 'dist')));
