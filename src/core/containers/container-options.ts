import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { invalid } from '../errors.ts';

/** How a containerised run is set up: `loopline run --container …`, a sweep, or `loopline.yaml`. */
export interface ContainerRunOptions {
  /** An image on the engine (exactly as given, recorded as `loopline.container.image`). */
  image?: string;
  /** Or build one from a folder with a Dockerfile. */
  build?: { context: string; dockerfile?: string; buildArgs: Record<string, string> };
  cpus?: number;
  /** Bytes, with the text the user gave (`4g`) for messages and tags. */
  memory?: { bytes: number; text: string };
  gpus?: 'all' | number;
  shmSize?: { bytes: number; text: string };
  /** `none`, `bridge`, `host` or the name of a Docker network. */
  network: string;
  env: Record<string, string>;
  mounts: Array<{ source: string; target: string; readOnly: boolean }>;
  /** Seconds between SIGTERM and SIGKILL when the run is stopped. */
  stopTimeoutSec: number;
}

/** Flags and options `parseArgs` must accept for the container part of a command line. */
export const CONTAINER_ARG_SPEC = {
  flags: ['container'],
  options: ['image', 'build', 'dockerfile', 'build-arg', 'cpus', 'memory', 'gpus', 'shm-size', 'network', 'env', 'mount', 'stop-timeout'],
} as const;

/**
 * Reads the container options out of parsed command-line options (name → values, repeated
 * options collected). Returns undefined when `--container` is not given; throws a sentence that
 * says what to fix on bad input. Relative paths resolve against `cwd`.
 */
export function parseContainerOptions(
  args: { flags: ReadonlySet<string>; options: ReadonlyMap<string, readonly string[]> },
  cwd: string,
): ContainerRunOptions | undefined {
  const one = (name: string) => args.options.get(name)?.at(-1);
  const many = (name: string) => [...(args.options.get(name) ?? [])];
  const used = CONTAINER_ARG_SPEC.options.filter((o) => args.options.has(o));
  if (!args.flags.has('container')) {
    if (used.length) throw invalid(`--${used[0]} only applies to container runs: add --container (with --image IMAGE or --build DIR).`);
    return undefined;
  }
  return containerOptionsFrom(
    {
      image: one('image'),
      build: one('build'),
      dockerfile: one('dockerfile'),
      buildArgs: many('build-arg'),
      cpus: one('cpus'),
      memory: one('memory'),
      gpus: one('gpus'),
      shmSize: one('shm-size'),
      network: one('network'),
      env: many('env'),
      mounts: many('mount'),
      stopTimeout: one('stop-timeout'),
    },
    cwd,
    '--',
  );
}

/** Raw option values, as text, from the command line or `loopline.yaml`. */
export interface RawContainerOptions {
  image?: string;
  build?: string;
  dockerfile?: string;
  buildArgs?: string[];
  cpus?: string;
  memory?: string;
  gpus?: string;
  shmSize?: string;
  network?: string;
  env?: string[];
  mounts?: string[];
  stopTimeout?: string;
}

/** Validates raw values; `prefix` is how options are named in messages (`--` or `container.`). */
export function containerOptionsFrom(raw: RawContainerOptions, cwd: string, prefix: string): ContainerRunOptions {
  const name = (n: string) => `${prefix}${n}`;
  if (raw.image && raw.build) throw invalid(`Give either ${name('image')} or ${name('build')}, not both.`);
  if (!raw.image && !raw.build) throw invalid(`A container run needs ${name('image')} IMAGE (an image on the Docker engine) or ${name('build')} DIR (a folder with a Dockerfile).`);
  if (!raw.build && (raw.dockerfile || raw.buildArgs?.length)) throw invalid(`${name('dockerfile')} and ${name('build-arg')} need ${name('build')} DIR.`);
  const opts: ContainerRunOptions = { network: raw.network ?? 'bridge', env: {}, mounts: [], stopTimeoutSec: 10 };
  if (raw.image) opts.image = raw.image;
  if (raw.build) {
    const context = resolve(cwd, raw.build);
    if (!existsSync(context) || !statSync(context).isDirectory()) throw invalid(`Build folder '${raw.build}' not found: ${name('build')} takes the folder that holds the Dockerfile.`);
    const dockerfile = raw.dockerfile ?? 'Dockerfile';
    if (!existsSync(resolve(context, dockerfile))) throw invalid(`No ${dockerfile} in '${raw.build}': add one, or name it with ${name('dockerfile')} FILE (relative to the build folder).`);
    opts.build = { context, buildArgs: keyValues(raw.buildArgs ?? [], name('build-arg')) };
    if (raw.dockerfile) opts.build.dockerfile = raw.dockerfile;
  }
  if (raw.cpus !== undefined) {
    const n = Number(raw.cpus);
    if (!Number.isFinite(n) || n <= 0) throw invalid(`${name('cpus')} takes a positive number of CPUs (e.g. 2 or 0.5), got '${raw.cpus}'.`);
    opts.cpus = n;
  }
  if (raw.memory !== undefined) opts.memory = { bytes: parseBytes(raw.memory, name('memory')), text: raw.memory };
  if (raw.memory !== undefined && opts.memory!.bytes < 6 * 1024 * 1024) throw invalid(`${name('memory')} must be at least 6m (Docker's minimum), got '${raw.memory}'.`);
  if (raw.shmSize !== undefined) opts.shmSize = { bytes: parseBytes(raw.shmSize, name('shm-size')), text: raw.shmSize };
  if (raw.gpus !== undefined) {
    if (raw.gpus === 'all') opts.gpus = 'all';
    else if (/^[1-9]\d*$/.test(raw.gpus)) opts.gpus = Number(raw.gpus);
    else throw invalid(`${name('gpus')} takes 'all' or a number of GPUs, got '${raw.gpus}'.`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(opts.network)) throw invalid(`${name('network')} takes none, bridge, host or a Docker network's name, got '${opts.network}'.`);
  opts.env = keyValues(raw.env ?? [], name('env'));
  for (const m of raw.mounts ?? []) {
    const parts = m.split(':');
    const [source, target, mode] = parts;
    if (parts.length < 2 || parts.length > 3 || !source || !target || (mode !== undefined && mode !== 'ro' && mode !== 'rw'))
      throw invalid(`${name('mount')} takes SRC:DST or SRC:DST:ro, got '${m}'.`);
    if (!isAbsolute(target)) throw invalid(`${name('mount')} target '${target}' must be an absolute path inside the container.`);
    const src = resolve(cwd, source);
    if (!existsSync(src)) throw invalid(`${name('mount')} source '${source}' does not exist on this machine.`);
    opts.mounts.push({ source: src, target, readOnly: mode === 'ro' });
  }
  if (raw.stopTimeout !== undefined) {
    const n = Number(raw.stopTimeout);
    if (!Number.isFinite(n) || n < 0) throw invalid(`${name('stop-timeout')} takes seconds (e.g. 10), got '${raw.stopTimeout}'.`);
    opts.stopTimeoutSec = n;
  }
  return opts;
}

function keyValues(items: string[], option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw invalid(`${option} takes KEY=VALUE, got '${item}'.`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** Docker's size syntax: 512m, 4g, 1.5g, 64MiB, or a number of bytes. */
export function parseBytes(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw invalid(`${option} takes a size such as 512m or 4g, got '${text}'.`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * unit);
}

/** 67108864 → "64 MiB", for reasons such as "out of memory (limit 64 MiB)". */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} B`;
}
