import { containerOptionsFrom, type ContainerRunOptions } from '../containers/container-options.ts';
import { invalid } from '../errors.ts';
import { loadProjectConfig } from './project-config.ts';

/**
 * The training part of `loopline.yaml` (`command`, `params`, `container`), used by the CodeLens'
 * ▶ Run, `loopline run` with no command, and sweeps:
 *
 *   command: python3 train.py --epochs 20
 *   params: {lr: 0.1}
 *   container: {image: python:3.12-slim, memory: 4g, cpus: 2, network: none, env: {SEED: "1"}}
 */
export interface TrainingConfig {
  file: string;
  command?: string[];
  params: Array<{ key: string; value: string }>;
  container?: ContainerRunOptions;
}

/** Undefined when the project has no `loopline.yaml`; a sentence naming the bad setting otherwise. */
export function readTrainingConfig(root: string): TrainingConfig | undefined {
  const project = loadProjectConfig(root);
  if (!project.file) return undefined;
  const file = project.file;
  const raw = project.raw;
  const config: TrainingConfig = { file, params: [] };
  if (raw.command !== undefined && raw.command !== null) config.command = commandOf(raw.command, file);
  if (raw.params !== undefined && raw.params !== null) {
    if (!isMapping(raw.params)) throw invalid(`${file}: params must be a mapping such as {lr: 0.1, epochs: 20}.`);
    config.params = Object.entries(raw.params).map(([key, value]) => ({ key, value: scalarText(value, `params.${key}`, file) }));
  }
  if (raw.container !== undefined && raw.container !== null) {
    if (!isMapping(raw.container)) throw invalid(`${file}: container must be a mapping such as {image: python:3.12-slim, memory: 4g}.`);
    const c = raw.container;
    const known = ['image', 'build', 'dockerfile', 'build_args', 'cpus', 'memory', 'gpus', 'shm_size', 'network', 'env', 'mounts', 'stop_timeout'];
    for (const key of Object.keys(c)) if (!known.includes(key)) throw invalid(`${file}: unknown container setting '${key}' (known: ${known.join(', ')}).`);
    const text = (key: string) => (c[key] === undefined || c[key] === null ? undefined : scalarText(c[key], `container.${key}`, file));
    const mapping = (key: string) => {
      const v = c[key];
      if (v === undefined || v === null) return [];
      if (!isMapping(v)) throw invalid(`${file}: container.${key} must be a mapping of NAME: value.`);
      return Object.entries(v).map(([k, val]) => `${k}=${scalarText(val, `container.${key}.${k}`, file)}`);
    };
    const mounts = c.mounts === undefined || c.mounts === null ? [] : Array.isArray(c.mounts) ? c.mounts.map((m, i) => scalarText(m, `container.mounts[${i}]`, file)) : null;
    if (!mounts) throw invalid(`${file}: container.mounts must be a list of SRC:DST[:ro].`);
    config.container = containerOptionsFrom(
      {
        image: text('image'),
        build: text('build'),
        dockerfile: text('dockerfile'),
        buildArgs: mapping('build_args'),
        cpus: text('cpus'),
        memory: text('memory'),
        gpus: text('gpus'),
        shmSize: text('shm_size'),
        network: text('network'),
        env: mapping('env'),
        mounts,
        stopTimeout: text('stop_timeout'),
      },
      root,
      'container.',
    );
  }
  return config;
}

function commandOf(value: unknown, file: string): string[] {
  if (typeof value === 'string') {
    const argv = value.trim().split(/\s+/).filter(Boolean);
    if (argv.length) return argv;
  }
  if (Array.isArray(value) && value.length && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.map(String);
  throw invalid(`${file}: command must be the training command, e.g. "python3 train.py" or [python3, train.py].`);
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalarText(v: unknown, what: string, file: string): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw invalid(`${file}: ${what} must be a single value, not ${Array.isArray(v) ? 'a list' : 'a mapping'}.`);
}
