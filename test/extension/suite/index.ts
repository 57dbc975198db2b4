// Entry of the extension-host test suite: runs inside code-server's real extension host with the
// real `vscode` API. Bundled by esbuild.mjs to dist/test/extension-tests.cjs.
import Mocha from 'mocha';
import { writeFileSync } from 'node:fs';
import { registerTreeTests } from './tree.suite.ts';
import { registerCodeLensTests } from './codelens.suite.ts';
import { registerCommandTests } from './commands.suite.ts';
import { registerCodeTests } from './code.suite.ts';
import { registerServerTests } from './server.suite.ts';
import { registerLiveTests } from './live.suite.ts';
import { registerSweepTests } from './sweeps.suite.ts';
import { registerModelsTests } from './models.suite.ts';
import { registerDeploymentsTests } from './deployments.suite.ts';
import { registerDataProfileTests } from './data-profile.suite.ts';
import { registerMonitoringTests } from './monitoring.suite.ts';
import { registerImportTests } from './import.suite.ts';
import { registerContainerTests } from './containers.suite.ts';
import { registerEvaluateTests } from './evaluate.suite.ts';
import { registerPredictTests } from './predict.suite.ts';
import { registerStoreCloseTests } from './store-close.suite.ts';

interface Result {
  title: string;
  state: 'passed' | 'failed' | 'skipped';
  durationMs?: number;
  error?: string;
}

export function run(): Promise<void> {
  const resultsFile = process.env.LOOPLINE_TEST_RESULTS;
  // LOOPLINE_TEST_GREP runs only the matching tests (while working on one suite).
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec', ...(process.env.LOOPLINE_TEST_GREP ? { grep: process.env.LOOPLINE_TEST_GREP } : {}) });
  const suite = mocha.suite;
  mocha.suite.emit('pre-require', globalThis, 'loopline', mocha);
  // Order matters a little: the tree and CodeLens suites read the seeded runs before the
  // command suites add runs and move the repository to another branch.
  registerTreeTests();
  registerCodeLensTests();
  registerCommandTests();
  registerCodeTests();
  registerServerTests();
  registerLiveTests();
  registerSweepTests();
  registerModelsTests();
  registerDeploymentsTests();
  registerEvaluateTests();
  registerDataProfileTests();
  registerMonitoringTests();
  registerImportTests();
  registerContainerTests();
  registerPredictTests();
  registerStoreCloseTests();
  void suite;
  const results: Result[] = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      if (resultsFile) writeFileSync(resultsFile, JSON.stringify({ node: process.version, results }, null, 2));
      if (failures) reject(new Error(`${failures} extension-host test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => results.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
    runner.on('pending', (t) => results.push({ title: t.fullTitle(), state: 'skipped' }));
    runner.on('fail', (t, err: Error) => results.push({ title: t.fullTitle(), state: 'failed', error: `${err.message}\n${err.stack ?? ''}`.slice(0, 4000) }));
  });
}
