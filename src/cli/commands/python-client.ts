import { join } from 'node:path';
import { bundledPythonClientDir } from '../../core/python-client/client-location.ts';
import { installPythonClient } from '../../core/python-client/client-install.ts';
import { buildPythonClientWheel } from '../../core/python-client/wheel-builder.ts';
import { option, parseArgs, UsageError } from '../args.ts';

/**
 * `loopline python-client`: where the bundled client is; `--install [--python PATH]` pip-installs
 * it into an interpreter; `--wheel DIR` writes the wheel there.
 */
export async function pythonClientCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['install'], options: ['python', 'wheel'] });
  if (args.positionals.length) throw new UsageError(`Unexpected argument '${args.positionals[0]}': use loopline python-client [--install [--python PATH]] [--wheel DIR].`);
  const dir = bundledPythonClientDir();
  if (!dir) throw new UsageError('The bundled Python client is missing from this Loopline installation: reinstall Loopline.');
  const wheelDir = option(args, 'wheel');
  if (wheelDir) console.log(buildPythonClientWheel(dir, join(process.cwd(), wheelDir)));
  if (args.flags.has('install')) {
    const python = option(args, 'python') ?? 'python3';
    const result = await installPythonClient(python);
    console.error(`loopline: installed the Loopline client into ${result.python}; 'import loopline' works there now.`);
  } else if (!wheelDir) {
    console.log(dir);
    console.error('loopline: runs started by loopline get this folder on PYTHONPATH; install it elsewhere with: loopline python-client --install --python PATH');
  }
  return 0;
}
