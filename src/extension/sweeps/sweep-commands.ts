import * as vscode from 'vscode';
import { LooplineError } from '../../core/errors.ts';
import { splitCommandLine } from '../../core/runs/command-line.ts';
import { newSeed } from '../../core/sweeps/seeded-random.ts';
import { commandPlaceholders } from '../../core/sweeps/command-template.ts';
import { parseCount, parseEarlyStop, parseParamSpec, validateDefinition, type SweepDefinition } from '../../core/sweeps/sweep-definition.ts';
import { SweepQueue } from '../../core/sweeps/sweep-queue.ts';
import type { ActiveRunItem } from '../runs/active-runs-tree.ts';
import type { Node } from '../experiments/experiments-model.ts';
import type { Services } from '../services.ts';
import { ComparePanel } from '../webviews/compare-panel.ts';
import { RunDetailPanel } from '../webviews/run-detail-panel.ts';
import type { WorkspaceStore } from '../workspace-stores.ts';
import type { StartedSweep } from './sweep-controller.ts';
import type { ContainerRunOptions } from '../../core/containers/container-options.ts';
import { pickWhere } from '../commands/run-commands.ts';

/** Everything *Start Sweep…* asks for; pass it to skip the prompts (tests, other extensions). */
export interface StartSweepOptions {
  /** The command with `{param}` placeholders, as argv or one line. */
  command?: string[] | string;
  /** `--param` texts: `lr=0.1,0.01`, `lr=loguniform:1e-4:1e-1`, … */
  params?: string[];
  /** Number of random trials; omitted: a grid. */
  random?: number;
  seed?: number;
  parallel?: number;
  /** `metric=val_loss,mode=min,min-steps=5`, or '' for none. */
  earlyStop?: string;
  name?: string;
  experiment?: string;
  cwd?: string;
  /** Run the trials in containers with these options (skips the "Where?" question). */
  container?: ContainerRunOptions;
  /** Run the trials on this machine (skips the "Where?" question). */
  local?: boolean;
}

const DIST_HINT = 'a list (0.1,0.01,0.001) or a distribution: loguniform:1e-4:1e-1, uniform:0:1, int:2:8, choice:adam,sgd';

/** *Loopline: Start Sweep…*: command, each placeholder's values or distribution, parallelism, early stop. */
export async function startSweep(s: Services, arg?: Node | StartSweepOptions): Promise<StartedSweep | undefined> {
  const folders = s.stores.folders();
  if (folders.length === 0) throw new LooplineError('INVALID_STATE', 'Open a folder first: sweeps are stored per workspace folder.');
  const opts: StartSweepOptions = arg && !('kind' in arg) ? arg : {};
  const experiment = opts.experiment ?? (arg && 'kind' in arg && arg.kind === 'experiment' ? arg.experiment.name : undefined);
  const folder = folders[0]!;
  const state = s.context.workspaceState;

  let command = typeof opts.command === 'string' ? splitCommandLine(opts.command) : opts.command;
  if (!command) {
    const line = await vscode.window.showInputBox({
      title: 'Start Sweep (1/5): command',
      prompt: 'The training command, with {name} where each swept param goes',
      value: state.get<string>('loopline.sweep.command', 'python3 train.py --lr {lr}'),
      ignoreFocusOut: true,
      validateInput: (v) => {
        try {
          const argv = splitCommandLine(v);
          if (argv.length === 0) return 'Give a command';
          return commandPlaceholders(argv).length ? undefined : 'Put at least one {param} placeholder in the command, e.g. --lr {lr}';
        } catch (err) {
          return err instanceof Error ? err.message : String(err);
        }
      },
    });
    if (!line) return undefined;
    await state.update('loopline.sweep.command', line);
    command = splitCommandLine(line);
  }

  let params = opts.params;
  if (!params) {
    params = [];
    for (const name of commandPlaceholders(command)) {
      const key = `loopline.sweep.param.${name}`;
      const text = await vscode.window.showInputBox({
        title: `Start Sweep (2/5): values of {${name}}`,
        prompt: `Values for ${name}: ${DIST_HINT}`,
        value: state.get<string>(key, ''),
        ignoreFocusOut: true,
        validateInput: (v) => check(() => parseParamSpec(`${name}=${v}`)),
      });
      if (text === undefined) return undefined;
      await state.update(key, text);
      params.push(`${name}=${text}`);
    }
  }
  const specs = params.map(parseParamSpec);
  let random = opts.random;
  if (random === undefined && !opts.params && specs.some((p) => p.kind !== 'values')) {
    const n = await vscode.window.showInputBox({
      title: 'Start Sweep: random search',
      prompt: 'Some params are distributions: how many trials to sample?',
      value: '10',
      validateInput: (v) => check(() => parseCount(v, 'The number of trials', 1)),
    });
    if (n === undefined) return undefined;
    random = Number(n);
  }

  let parallel = opts.parallel;
  if (parallel === undefined) {
    const p = await vscode.window.showInputBox({
      title: 'Start Sweep (3/5): parallelism',
      prompt: 'How many trials run at once',
      value: String(state.get<number>('loopline.sweep.parallel', 2)),
      validateInput: (v) => check(() => parseCount(v, 'Parallelism', 1)),
    });
    if (p === undefined) return undefined;
    parallel = Number(p);
    await state.update('loopline.sweep.parallel', parallel);
  }

  let container = opts.container;
  if (!container && !opts.local && !opts.params) {
    const where = await pickWhere(undefined);
    if (!where) return undefined;
    if (where !== 'local') container = where;
  }

  let earlyStop = opts.earlyStop;
  if (earlyStop === undefined) {
    const choice = await vscode.window.showQuickPick(
      [
        { label: 'No early stopping', value: '' },
        { label: 'Stop bad trials early…', description: 'median stopping rule', value: 'ask' },
      ],
      { title: 'Start Sweep (5/5): early stopping' },
    );
    if (!choice) return undefined;
    earlyStop = '';
    if (choice.value === 'ask') {
      const text = await vscode.window.showInputBox({
        title: 'Start Sweep: early stopping',
        prompt: 'Metric and direction: a trial whose best value is worse than the median of the others at the same step is stopped',
        value: state.get<string>('loopline.sweep.earlyStop', 'metric=val_loss,mode=min,min-steps=5'),
        validateInput: (v) => check(() => parseEarlyStop(v)),
      });
      if (text === undefined) return undefined;
      await state.update('loopline.sweep.earlyStop', text);
      earlyStop = text;
    }
  }

  const def: SweepDefinition = {
    version: 1,
    command,
    cwd: opts.cwd ?? folder.uri.fsPath,
    params: specs,
    strategy: random === undefined ? 'grid' : 'random',
    seed: opts.seed ?? newSeed(),
    parallel,
    backend: container ? { kind: 'container', options: { ...container } } : { kind: 'local' },
  };
  if (random !== undefined) def.samples = random;
  if (earlyStop) def.earlyStop = parseEarlyStop(earlyStop);
  if (opts.name) def.name = opts.name;
  if (experiment) def.experiment = experiment;
  validateDefinition(def);
  return s.sweeps.start(s.stores.get(folder), def);
}

function check(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** The sweep or trial a command was invoked on: a tree row, a Runs-view item, or a run id. */
function target(s: Services, arg: unknown): { ws: WorkspaceStore; runId: string } {
  let runId: string | undefined;
  if (typeof arg === 'string') runId = arg;
  else if (arg && typeof arg === 'object' && 'run' in arg) runId = (arg as Node & { run: { info: { id: string } } } | ActiveRunItem).run.info.id;
  if (!runId) throw new LooplineError('INVALID_PARAMETER_VALUE', 'Use this on a sweep or a trial in the Experiments or Runs view.');
  const ws = s.stores.findRun(runId);
  if (!ws) throw new LooplineError('RESOURCE_DOES_NOT_EXIST', `Run ${runId} is not in any store of this workspace.`);
  return { ws, runId };
}

/** *Cancel* on a sweep (drops its queued trials, stops the running ones) or on one trial. */
export async function cancelQueued(s: Services, arg: unknown): Promise<void> {
  const { ws, runId } = target(s, arg);
  const r = s.sweeps.cancel(ws, runId);
  void vscode.window.setStatusBarMessage(`Loopline: cancelled ${r.cancelled.length} queued, stopping ${r.stopping.length} running`, 4000);
  s.activeRuns.refresh();
  s.experiments.refresh();
}

/** *Compare* on a sweep: the Compare panel on its trials, whose varying params drive the sweep view. */
export async function compareSweep(s: Services, arg: unknown): Promise<ComparePanel | undefined> {
  const { ws, runId } = target(s, arg);
  const queue = new SweepQueue(ws.store);
  if (!queue.isSweep(runId)) throw new LooplineError('INVALID_PARAMETER_VALUE', `Run ${runId} is not a sweep; use Compare Selected Runs for plain runs.`);
  const ids = queue.trials(runId).map((t) => t.runId);
  return ComparePanel.show(s.context, ws, ids, (w, id) => RunDetailPanel.show(s.context, w, id));
}
