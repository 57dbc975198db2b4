import { invalid } from '../errors.ts';

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/** The `{name}` placeholders a command uses, in order of first use. */
export function commandPlaceholders(command: string[]): string[] {
  const names: string[] = [];
  for (const arg of command) for (const m of arg.matchAll(PLACEHOLDER)) if (!names.includes(m[1]!)) names.push(m[1]!);
  return names;
}

/**
 * Fills `{name}` in every argument with the trial's value. Each argument stays one argv entry
 * (no shell), so a value with spaces or quotes cannot split or inject anything.
 */
export function fillCommand(command: string[], params: Record<string, string>): string[] {
  return command.map((arg) =>
    arg.replace(PLACEHOLDER, (whole, name: string) => {
      const v = params[name];
      if (v === undefined) throw invalid(`The command uses {${name}} but the trial has no param '${name}'.`);
      return v;
    }),
  );
}
