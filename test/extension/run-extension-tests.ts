// Runs the extension-host suite inside a real VS Code (code-server 4.139 on Node 24), driven by
// headless Chromium, on a seeded Iris workspace. Usage: node test/extension/run-extension-tests.ts
// Exit code 0 when every test passed; results JSON in test-results/extension-host.json.
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../helpers/browser.ts';
import { provisionCodeServer, startCodeServer } from '../helpers/code-server.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { seedIrisWorkspace } from '../helpers/seed-workspace.ts';

export async function runExtensionHostTests(): Promise<number> {
  const bin = provisionCodeServer();
  const scratch = join(tmpdir(), `loopline-ext-tests-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  const workspace = seedIrisWorkspace(join(scratch, 'iris'));
  const resultsDir = join(REPO_ROOT, 'test-results');
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = join(resultsDir, 'extension-host.json');
  rmSync(resultsFile, { force: true });
  process.env.LOOPLINE_TEST_RESULTS = resultsFile;
  process.env.LOOPLINE_TEST_WORKSPACE = workspace;
  // The suite spawns the CLI and loads the native SQLite module from this checkout.
  process.env.LOOPLINE_REPO_ROOT = REPO_ROOT;
  const cs = await startCodeServer({ bin, home: join(scratch, 'home'), workspace, logFile: join(resultsDir, 'extension-host-code-server.log') });
  const ctx = await launchChromium();
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    // A built workbench honours the extensionDevelopmentPath/extensionTestsPath payload only with
    // the smoke-test driver enabled; code-server's CLI refuses that flag, so patch the config the
    // page reads (see shared/recipes).
    await ctx.addInitScript(() => {
      // Runs in the page; this file is typed for Node, hence the casts.
      const proto = (globalThis as any).Element.prototype;
      const orig = proto.getAttribute;
      proto.getAttribute = function (this: any, name: string) {
        const v = orig.call(this, name);
        if (name === 'data-settings' && this.id === 'vscode-workbench-web-configuration' && v) {
          const cfg = JSON.parse(v);
          cfg.developmentOptions = { ...cfg.developmentOptions, enableSmokeTestDriver: true };
          return JSON.stringify(cfg);
        }
        return v;
      };
    });
    const authority = `127.0.0.1:${cs.port}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', `vscode-remote://${authority}${REPO_ROOT}`],
      ['extensionTestsPath', `vscode-remote://${authority}${join(REPO_ROOT, 'dist', 'test', 'extension-tests.cjs')}`],
    ]);
    const exit = new Promise<number>((resolve) => void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code)));
    await page.goto(`${cs.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`, { timeout: 120_000 });
    // The suite takes 1-2 minutes; far longer means the page or the host is stuck (exit 124).
    const timeout = new Promise<number>((resolve) => setTimeout(() => resolve(124), 360_000));
    const code = await Promise.race([exit, timeout]);
    await page.screenshot({ path: join(resultsDir, 'extension-host-end.png') }).catch(() => undefined);
    return code;
  } finally {
    await ctx.close().catch(() => undefined);
    await cs.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runExtensionHostTests().then(
    (code) => {
      console.log(`extension host tests exited with ${code}`);
      process.exit(code);
    },
    (err) => {
      console.error(err);
      process.exit(2);
    },
  );
}
