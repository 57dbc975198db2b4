import { CONTAINER_ARG_SPEC, parseContainerOptions } from '../../core/containers/container-options.ts';
import { createCrossValidation, type CrossValidationSpec } from '../../core/sweeps/cross-validation.ts';
import { newSeed } from '../../core/sweeps/seeded-random.ts';
import { commandPlaceholders } from '../../core/sweeps/command-template.ts';
import { parseCount } from '../../core/sweeps/sweep-definition.ts';
import { option, parseArgs, UsageError } from '../args.ts';
import { openStore } from './open-store.ts';
import { workSweeps } from './sweep.ts';

const CV_OPTIONS = ['folds', 'seed', 'name', 'experiment', 'parallel', 'store'];

/** `loopline cv --folds K [--seed S] [--parallel P] [--container …] -- CMD {fold} {folds} {seed}` */
export async function cvCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: [...CONTAINER_ARG_SPEC.flags], options: [...CV_OPTIONS, ...CONTAINER_ARG_SPEC.options] });
  if (args.positionals.length) args.rest = [...args.positionals, ...args.rest];
  const container = parseContainerOptions(args, process.cwd());
  if (args.rest.length === 0) throw new UsageError('Give the training command after --, e.g. loopline cv --folds 5 -- python3 train.py --fold {fold} --folds {folds}');
  const folds = option(args, 'folds');
  if (folds === undefined) throw new UsageError('Give the number of folds: --folds 5');
  const seed = option(args, 'seed');
  const spec: CrossValidationSpec = {
    command: args.rest,
    cwd: process.cwd(),
    folds: parseCount(folds, '--folds', 2),
    seed: seed === undefined ? newSeed() : parseCount(seed, '--seed', 0),
    parallel: parseCount(option(args, 'parallel') ?? '1', '--parallel', 1),
    backend: container ? { kind: 'container', options: { ...container } } : { kind: 'local' },
  };
  const name = option(args, 'name');
  if (name) spec.name = name;
  const experiment = option(args, 'experiment');
  if (experiment) spec.experiment = experiment;
  if (!commandPlaceholders(spec.command).includes('fold')) {
    console.error("loopline: the command has no {fold}; each fold's script must read its fold from the run's params (loopline.params()['fold']).");
  }
  const store = openStore(args);
  try {
    const { sweepId } = await createCrossValidation(store, spec);
    console.error(`loopline: cross-validation ${sweepId} (${store.getRun(sweepId).info.name}): ${spec.folds} folds (seed ${spec.seed}), ${spec.parallel} at a time`);
    return await workSweeps(store, [sweepId]);
  } finally {
    store.close();
  }
}
