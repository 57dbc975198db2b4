import { importSpool } from '../../core/tracking/spool-import.ts';
import { parseArgs, UsageError } from '../args.ts';
import { openStore } from './open-store.ts';

export async function importSpoolCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { options: ['store'] });
  if (args.positionals.length === 0) throw new UsageError('Give the spool file(s) to import: loopline import-spool FILE...');
  const store = openStore(args);
  let failed = false;
  try {
    for (const file of args.positionals) {
      const r = await importSpool(store, file);
      console.log(`${file}: ${r.lines} records, ${r.points} metric points, ${r.artifacts} artifacts into run(s) ${r.runs.join(', ') || '-'}`);
      for (const p of r.problems) {
        console.error(`loopline: ${file}:${p.line}: ${p.message}`);
        if (!p.message.startsWith('incomplete last line')) failed = true;
      }
    }
    return failed ? 1 : 0;
  } finally {
    store.close();
  }
}
