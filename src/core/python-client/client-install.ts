import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LooplineError } from '../errors.ts';
import { bundledPythonClientDir } from './client-location.ts';
import { buildPythonClientWheel } from './wheel-builder.ts';

export interface InstallResult {
  python: string;
  wheel: string;
  output: string;
}

/**
 * Installs the bundled client into `python` with `pip install` of a freshly built wheel, so the
 * interpreter can `import loopline` outside `loopline run` (notebooks, other launchers).
 */
export async function installPythonClient(python: string, onOutput?: (text: string) => void): Promise<InstallResult> {
  const clientDir = bundledPythonClientDir();
  if (!clientDir) throw new LooplineError('INVALID_STATE', 'The bundled Python client (loopline.py) is missing from this Loopline installation: reinstall Loopline.');
  const tmp = mkdtempSync(join(tmpdir(), 'loopline-wheel-'));
  try {
    const wheel = buildPythonClientWheel(clientDir, tmp);
    const { code, output } = await runPip(python, ['-m', 'pip', 'install', '--no-index', '--force-reinstall', '--no-deps', '--disable-pip-version-check', wheel], onOutput);
    if (code === null || code < 0) throw new LooplineError('INVALID_PARAMETER_VALUE', `Python interpreter '${python}' was not found: pass --python PATH (or pick an interpreter in VS Code).`);
    if (code !== 0) {
      if (/No module named pip/.test(output))
        throw new LooplineError('INVALID_STATE', `'${python}' has no pip: install it (Debian: apt install python3-pip) or use a virtual environment (python3 -m venv .venv) and pass --python .venv/bin/python.`);
      if (/externally-managed-environment/.test(output))
        throw new LooplineError('INVALID_STATE', `'${python}' is a system Python managed by the OS, which refuses pip installs: create a virtual environment (python3 -m venv .venv) and pass --python .venv/bin/python. Runs started by Loopline import the client without installing it.`);
      throw new LooplineError('INVALID_STATE', `pip install failed (exit ${code}):\n${output.trim().split('\n').slice(-8).join('\n')}`);
    }
    return { python, wheel, output };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function runPip(python: string, args: string[], onOutput?: (text: string) => void): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const take = (c: Buffer) => {
      output += c.toString();
      onOutput?.(c.toString());
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', () => resolve({ code: -1, output }));
    child.once('close', (code) => resolve({ code, output }));
  });
}
