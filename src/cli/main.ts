import { LooplineError, explainStoreError } from '../core/errors.ts';
import { UsageError } from './args.ts';
import { importSpoolCommand } from './commands/import-spool.ts';
import { importCommand } from './commands/import-history.ts';
import { exportCommand } from './commands/export-history.ts';
import { experimentsCommand, lsCommand } from './commands/list.ts';
import { driftCommand, profileCommand } from './commands/monitoring.ts';
import { pythonClientCommand } from './commands/python-client.ts';
import { runCommand } from './commands/run.ts';
import { runsCommand } from './commands/runs.ts';
import { serveCommand } from './commands/serve.ts';
import { showCommand } from './commands/show.ts';
import { queueCommand, sweepCommand } from './commands/sweep.ts';
import { cvCommand } from './commands/cv.ts';
import { evaluateCommand } from './commands/evaluate.ts';
import { predictCommand } from './commands/predict.ts';
import { captureCommand, feedbackCommand, monitorCommand } from './commands/capture.ts';
import { retrainCommand } from './commands/retrain.ts';
import { deployCommand, deploymentsCommand, promoteCommand, rollbackCommand, undeployCommand } from './commands/deploy.ts';
import { aliasCommand, archiveCommand, auditCommand, gateCommand, modelsCommand, registerCommand, versionsCommand } from './commands/registry.ts';

const USAGE = `loopline — track ML experiments next to your code (MLflow-compatible)

Usage:
  loopline run [--experiment NAME] [--name NAME] [--param k=v]... -- CMD...
  loopline run --container (--image IMAGE | --build DIR [--dockerfile F] [--build-arg K=V]...) [--cpus N]
      [--memory 4g] [--gpus all|N] [--shm-size 1g] [--network none|bridge|host|NAME] [--env K=V]...
      [--mount SRC:DST[:ro]]... [--stop-timeout S] [...] -- CMD...
  loopline ls [--experiment NAME] [--filter EXPR] [--order-by EXPR] [--limit N] [--deleted] [--json]
  loopline show RUN_ID [--json] [--patch]
  loopline experiments [--deleted] [--json]
  loopline serve [--port N] [--token T]
  loopline import-spool FILE...
  loopline import [mlflow|tensorboard|dvclive|wandb] PATH [--experiment NAME] [--artifacts-from DIR] [--dry-run] [--json]
  loopline export mlflow RUN_ID... --to DIR [--experiment NAME] [--json]
  loopline python-client [--install [--python PATH]] [--wheel DIR]
  loopline runs reattach      follow container runs whose launcher went away, record their end
  loopline profile FILE [--json] [--out PROFILE.json]
  loopline drift REFERENCE CURRENT [--json]
  loopline sweep [--name N] [--experiment E] --param lr=0.1,0.01 [--param epochs=20,50]... [--parallel K]
                 [--random N --param lr=loguniform:1e-4:1e-1 --param depth=int:2:8 --param opt=choice:adam,sgd]
                 [--seed S] [--early-stop metric=val_loss,mode=min[,min-steps=5]] [--metric M [--mode min|max]]
                 -- CMD... (with {param} placeholders)
  loopline queue [--json] | queue cancel RUN|SWEEP | queue resume [SWEEP]
  loopline cv --folds K [--seed S] [--parallel P] [--name N] [--experiment E] [--container …]
              -- CMD... (with {fold} 0-based, {folds}, {seed}; the parent run gets cv.<metric>.mean/.std/.folds)
  loopline register RUN_ID --name MODEL [--path PATH] [--json]    (prints the new version)
  loopline models [--json]
  loopline versions MODEL [--all] [--json]
  loopline alias set MODEL ALIAS VERSION [--force --reason TEXT] [--json]
  loopline alias delete MODEL ALIAS
  loopline gate RUN_ID|MODEL/VERSION|MODEL@ALIAS [--model NAME] [--json]   (exit 1 when a gate fails)
  loopline archive MODEL/VERSION [--undo]
  loopline evaluate MODEL/VERSION|MODEL@ALIAS --data FILE --label COLUMN [--slice-by COLUMN]... [--sensitive COLUMN]
                    [--importance [--repeats N] [--seed S]] [--json]   (runs the version as served; records eval.* metrics)
  loopline audit [--model NAME] [--limit N] [--json] [--export FILE.jsonl]
  loopline deploy MODEL@ALIAS|MODEL/VERSION --name NAME [--port P] [--strategy blue-green|canary] [--percent N] [--json]
  loopline promote NAME | rollback NAME | undeploy NAME
  loopline predict MODEL@ALIAS|MODEL/VERSION --input data.csv --output predictions.csv [--rejected FILE]
                   [--batch-size N] [--concurrency N] [--keep-going] [--json]   (batch scoring, model as served)
  loopline deployments [--history] [--json]
  loopline monitor NAME [--json] [--window 1h | --last N] [--reference FILE] [--history N]
  loopline retrain NAME [--data PATH] [--deploy] [--json]   (exit 3: the new version failed its gates)
  loopline capture NAME [--on | --off] [--sampling SHARE] [--ring N] [--json]
  loopline feedback NAME --csv FILE     (columns request_id,label)

Every command takes --store PATH (or LOOPLINE_STORE); the default is .loopline/loopline.db at the
git root, or in the current folder outside git.
Filters use MLflow's syntax: metrics.accuracy > 0.9 and params.lr = '0.01'`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  run: runCommand,
  ls: lsCommand,
  show: showCommand,
  experiments: experimentsCommand,
  profile: profileCommand,
  drift: driftCommand,
  serve: serveCommand,
  'import-spool': importSpoolCommand,
  import: importCommand,
  export: exportCommand,
  'python-client': pythonClientCommand,
  runs: runsCommand,
  sweep: sweepCommand,
  queue: queueCommand,
  cv: cvCommand,
  evaluate: evaluateCommand,
  predict: predictCommand,
  register: registerCommand,
  models: modelsCommand,
  versions: versionsCommand,
  alias: aliasCommand,
  gate: gateCommand,
  archive: archiveCommand,
  audit: auditCommand,
  deploy: deployCommand,
  promote: promoteCommand,
  rollback: rollbackCommand,
  undeploy: undeployCommand,
  deployments: deploymentsCommand,
  monitor: monitorCommand,
  capture: captureCommand,
  feedback: feedbackCommand,
  retrain: retrainCommand,
};

export async function main(argv: string[]): Promise<number> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    console.error(`loopline: needs Node.js 22 or newer (this is ${process.version}); run npm install in the Loopline folder to get Node 24, or install a newer Node.`);
    return 1;
  }
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  if (name === '--version') {
    console.log(process.env.LOOPLINE_VERSION ?? 'dev');
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`loopline: unknown command '${name}'. Commands: ${Object.keys(COMMANDS).join(', ')}. See loopline --help.`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (raw) {
    const err = explainStoreError(raw);
    if (err instanceof UsageError) {
      console.error(`loopline ${name}: ${err.message}`);
      return 2;
    }
    if (err instanceof LooplineError) {
      console.error(`loopline ${name}: ${err.message}`);
      return 1;
    }
    console.error(`loopline ${name}: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.LOOPLINE_DEBUG) console.error(err);
    return 1;
  }
}
