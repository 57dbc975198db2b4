/**
 * A small argv parser: `--flag`, `--key value`, `--key=value`, repeated keys collect into lists,
 * and everything after `--` is passed through untouched (the training command).
 */
export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string[]>;
  flags: Set<string>;
  rest: string[];
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: { flags?: string[]; options?: string[] }): ParsedArgs {
  const flags = new Set(spec.flags ?? []);
  const options = new Set(spec.options ?? []);
  const out: ParsedArgs = { positionals: [], options: new Map(), flags: new Set(), rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.rest = argv.slice(i + 1);
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq >= 0 ? eq : undefined);
      if (flags.has(name)) {
        if (eq >= 0) throw new UsageError(`--${name} takes no value.`);
        out.flags.add(name);
        continue;
      }
      if (!options.has(name)) throw new UsageError(`Unknown option --${name}.`);
      const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value.`);
      out.options.set(name, [...(out.options.get(name) ?? []), value]);
      continue;
    }
    out.positionals.push(a);
  }
  return out;
}

export function option(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  return v?.[v.length - 1];
}
