import { invalid } from '../errors.ts';
import { seededRandom } from './seeded-random.ts';
import { commandPlaceholders } from './command-template.ts';

/** One `--param`: a list of values (grid) or a distribution (random search). */
export type ParamSpec =
  | { name: string; kind: 'values'; values: string[] }
  | { name: string; kind: 'loguniform' | 'uniform'; low: number; high: number }
  | { name: string; kind: 'int'; low: number; high: number }
  | { name: string; kind: 'choice'; values: string[] };

export interface EarlyStopSpec {
  metric: string;
  mode: 'min' | 'max';
  /** No trial is stopped before it has logged this step. */
  minSteps: number;
  /** How many other trials must have reached a step before the median is trusted. */
  minTrials: number;
}

export interface ObjectiveSpec {
  metric: string;
  mode: 'min' | 'max';
}

/** Where trials run: chosen per sweep, launched through the same launcher as `loopline run`. */
export type TrialBackendSpec = { kind: 'local' } | { kind: 'container'; options: Record<string, unknown> };

/** What a sweep is; stored as JSON in the parent run's `loopline.sweep` tag. */
export interface SweepDefinition {
  version: 1;
  name?: string;
  experiment?: string;
  /** argv with `{param}` placeholders. */
  command: string[];
  cwd: string;
  params: ParamSpec[];
  strategy: 'grid' | 'random';
  /** Number of trials for random search. */
  samples?: number;
  seed: number;
  parallel: number;
  earlyStop?: EarlyStopSpec;
  objective?: ObjectiveSpec;
  backend: TrialBackendSpec;
  /** Set for `loopline cv`: the trials are the folds, and the parent run gets each metric's mean and spread. */
  crossValidation?: { folds: number; seed: number };
}

export const MAX_TRIALS = 10_000;
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Parses one `--param` argument: `lr=0.1,0.01`, `lr=loguniform:1e-4:1e-1`, `depth=int:2:8`, `opt=choice:adam,sgd`. */
export function parseParamSpec(text: string): ParamSpec {
  const eq = text.indexOf('=');
  if (eq <= 0) throw invalid(`--param needs name=values, got '${text}' (e.g. --param lr=0.1,0.01 or --param lr=loguniform:1e-4:1e-1).`);
  const name = text.slice(0, eq).trim();
  const body = text.slice(eq + 1);
  if (!NAME.test(name)) throw invalid(`Param name '${name}' must start with a letter or _ and use only letters, digits, _ . -.`);
  if (body === '') throw invalid(`--param ${name}= has no values; give a list (${name}=1,2,3) or a distribution (${name}=uniform:0:1).`);
  const dist = /^(loguniform|uniform|int|choice):(.*)$/.exec(body);
  if (!dist) return { name, kind: 'values', values: splitList(name, body) };
  const kind = dist[1] as 'loguniform' | 'uniform' | 'int' | 'choice';
  if (kind === 'choice') return { name, kind, values: splitList(name, dist[2]!) };
  const bounds = dist[2]!.split(':');
  const usage = `--param ${name}=${kind}:LOW:HIGH`;
  if (bounds.length !== 2) throw invalid(`${usage} needs exactly two bounds, got '${body}'.`);
  const [low, high] = bounds.map((b) => Number(b.trim())) as [number, number];
  if (!Number.isFinite(low) || !Number.isFinite(high) || bounds.some((b) => b.trim() === '')) throw invalid(`${usage}: bounds must be numbers, got '${dist[2]}'.`);
  if (!(low < high)) throw invalid(`${usage}: LOW must be less than HIGH, got ${low} and ${high}.`);
  if (kind === 'loguniform' && low <= 0) throw invalid(`${usage}: loguniform bounds must be greater than 0, got ${low}.`);
  if (kind === 'int' && (!Number.isInteger(low) || !Number.isInteger(high))) throw invalid(`${usage}: int bounds must be whole numbers, got ${low} and ${high}.`);
  return { name, kind, low, high };
}

function splitList(name: string, body: string): string[] {
  const values = body.split(',').map((v) => v.trim());
  if (values.some((v) => v === '')) throw invalid(`--param ${name}=${body} has an empty value; separate values with single commas.`);
  return values;
}

/** Parses `--early-stop metric=val_loss,mode=min[,min-steps=5][,min-trials=2]`. */
export function parseEarlyStop(text: string): EarlyStopSpec {
  const fields = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw invalid(`--early-stop takes key=value pairs separated by commas (metric=val_loss,mode=min,min-steps=5), got '${part}'.`);
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  for (const key of fields.keys()) {
    if (!['metric', 'mode', 'min-steps', 'min-trials'].includes(key)) throw invalid(`--early-stop: unknown key '${key}'; use metric, mode, min-steps, min-trials.`);
  }
  const metric = fields.get('metric');
  if (!metric) throw invalid('--early-stop needs metric=NAME (the metric the median stopping rule compares), e.g. metric=val_loss,mode=min.');
  const mode = parseMode(fields.get('mode') ?? 'min', '--early-stop mode');
  const minSteps = parseCount(fields.get('min-steps') ?? '5', '--early-stop min-steps', 0);
  const minTrials = parseCount(fields.get('min-trials') ?? '2', '--early-stop min-trials', 1);
  return { metric, mode, minSteps, minTrials };
}

export function parseMode(text: string, what: string): 'min' | 'max' {
  if (text !== 'min' && text !== 'max') throw invalid(`${what} must be min or max, got '${text}'.`);
  return text;
}

export function parseCount(text: string, what: string, least: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < least) throw invalid(`${what} must be a whole number of at least ${least}, got '${text}'.`);
  return n;
}

/** Checks a definition as a whole: strategy against param kinds, placeholders against params. */
export function validateDefinition(def: SweepDefinition): void {
  if (def.command.length === 0) throw invalid('No command given: put the training command after --, e.g. loopline sweep --param lr=0.1,0.01 -- python3 train.py --lr {lr}');
  if (def.params.length === 0) throw invalid('A sweep needs at least one --param, e.g. --param lr=0.1,0.01.');
  const seen = new Set<string>();
  for (const p of def.params) {
    if (seen.has(p.name)) throw invalid(`--param ${p.name} is given twice; give all its values in one --param (${p.name}=a,b,c).`);
    seen.add(p.name);
  }
  if (def.strategy === 'grid') {
    const dist = def.params.find((p) => p.kind !== 'values');
    if (dist) throw invalid(`--param ${dist.name} is a distribution (${dist.kind}); add --random N to sample N trials, or give a list of values for a grid.`);
  } else if (!def.samples || def.samples < 1) {
    throw invalid('--random needs the number of trials, e.g. --random 20.');
  }
  for (const name of commandPlaceholders(def.command)) {
    if (!seen.has(name)) throw invalid(`The command uses {${name}} but no --param ${name} is given; add --param ${name}=… or remove the placeholder.`);
  }
  if (!Number.isInteger(def.parallel) || def.parallel < 1) throw invalid(`--parallel must be a whole number of at least 1, got '${def.parallel}'.`);
  const n = trialCount(def);
  if (n > MAX_TRIALS) throw invalid(`This sweep has ${n} trials; the limit is ${MAX_TRIALS}. Use fewer values, or --random N to sample.`);
}

export function trialCount(def: SweepDefinition): number {
  if (def.strategy === 'random') return def.samples ?? 0;
  return def.params.reduce((n, p) => n * (p.kind === 'values' ? p.values.length : 1), 1);
}

/** Every trial's params, in order: the grid's cross product, or `samples` draws from the seeded PRNG. */
export function expandTrials(def: SweepDefinition): Array<Record<string, string>> {
  if (def.strategy === 'grid') {
    let combos: Array<Record<string, string>> = [{}];
    for (const p of def.params) {
      const values = p.kind === 'values' ? p.values : [];
      combos = combos.flatMap((c) => values.map((v) => ({ ...c, [p.name]: v })));
    }
    return combos;
  }
  const random = seededRandom(def.seed);
  const trials: Array<Record<string, string>> = [];
  for (let i = 0; i < (def.samples ?? 0); i++) {
    const trial: Record<string, string> = {};
    for (const p of def.params) trial[p.name] = sample(p, random);
    trials.push(trial);
  }
  return trials;
}

function sample(p: ParamSpec, random: () => number): string {
  switch (p.kind) {
    case 'values':
    case 'choice':
      return p.values[Math.floor(random() * p.values.length)]!;
    case 'uniform':
      return formatSample(p.low + random() * (p.high - p.low));
    case 'loguniform':
      return formatSample(Math.exp(Math.log(p.low) + random() * (Math.log(p.high) - Math.log(p.low))));
    case 'int':
      return String(p.low + Math.floor(random() * (p.high - p.low + 1)));
  }
}

/** Six significant digits: readable in tables and command lines, plenty for a hyperparameter. */
function formatSample(x: number): string {
  return String(Number(x.toPrecision(6)));
}

/** The metric the sweep's best trial is chosen by: the objective, else the early-stop metric. */
export function objectiveOf(def: SweepDefinition): ObjectiveSpec | undefined {
  if (def.objective) return def.objective;
  if (def.earlyStop) return { metric: def.earlyStop.metric, mode: def.earlyStop.mode };
  return undefined;
}

/** A guess for metrics named like losses and errors (lower is better); everything else is higher-is-better. */
export function guessMode(metric: string): 'min' | 'max' {
  return /loss|err|mse|mae|rmse|perplexity|time|latency/i.test(metric) ? 'min' : 'max';
}

export function parseDefinition(json: string): SweepDefinition {
  const def = JSON.parse(json) as SweepDefinition;
  if (def?.version !== 1 || !Array.isArray(def.command) || !Array.isArray(def.params)) throw invalid('This sweep definition was written by a different Loopline version; upgrade Loopline to read it.');
  return def;
}
