// What the UI trials share: the packaged extension installed in a fresh code-server, a workspace
// opened in headless Chromium, the Loopline view shown.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { installVsix, provisionCodeServer, startCodeServer } from '../helpers/code-server.ts';
import { REPO_ROOT } from '../helpers/paths.ts';

/** Builds and packages the extension (before the workspace is prepared: the trial's CLI runs from the build). */
export async function packageExtension(): Promise<string> {
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: 'pipe' });
  execFileSync(process.execPath, ['scripts/package-extension.mjs'], { cwd: REPO_ROOT, stdio: 'pipe' });
  const pkg = (await import(join(REPO_ROOT, 'package.json'), { with: { type: 'json' } })).default as { version: string };
  return join(REPO_ROOT, 'dist', `loopline-${pkg.version}.vsix`);
}

/** `workspace` open in code-server (its state under `scratch`) with the Loopline view shown. */
export async function openLoopline(vsix: string, scratch: string, workspace: string): Promise<{ page: Page; close: () => Promise<void> }> {
  const bin = provisionCodeServer();
  const home = join(scratch, 'code-server');
  installVsix(bin, home, vsix);
  const cs = await startCodeServer({ bin, home, workspace, logFile: join(scratch, 'code-server.log') });
  const ctx = await launchChromium({ width: 1600, height: 1000 });
  const close = async () => {
    await ctx.close().catch(() => undefined);
    await cs.stop();
  };
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(`${cs.url}/?folder=${encodeURIComponent(workspace)}`, { timeout: 120_000 });
    await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: 60_000 });
    await page.locator('.part.activitybar .action-item a[aria-label^="Loopline"]').first().click({ timeout: 30_000 });
    return { page, close };
  } catch (err) {
    await close();
    throw err;
  }
}
