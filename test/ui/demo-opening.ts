// The first screen of the demo (`npm start`): code-server with the packaged extension on a seeded
// Iris workspace, set up as scripts/start-demo.ts sets it up, in headless Chromium at 1600x1000.
// Asserts what a new user sees first and saves it to test-results/ui/demo-opening.png.
//
//   node test/ui/demo-opening.ts           the demo as npm start opens it
//   node test/ui/demo-opening.ts --before  without the settings npm start now writes (the old first screen)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { installVsix, provisionCodeServer, startCodeServer } from '../helpers/code-server.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { seedIrisWorkspace } from '../helpers/seed-workspace.ts';
import { writeDemoWorkspaceSettings, writeUserSettings } from '../helpers/workbench-settings.ts';

export const DEMO_SHOT = join(REPO_ROOT, 'test-results', 'ui', 'demo-opening.png');

export interface DemoScreen {
  screenshot: string;
  /** What the first screen shows, read from the DOM. */
  loopline: { visible: boolean; rows: string[] };
  editorTabs: string[];
  activeTab: string;
  codeLens: { line: number | null; texts: string[] };
  secondarySideBarVisible: boolean;
  /** Charts drawn in the comparison (canvases inside webview frames). */
  compareCharts: number;
}

async function read(page: Page): Promise<Omit<DemoScreen, 'screenshot' | 'compareCharts'>> {
  return page.evaluate(() => {
    const visible = (el: Element | null) => !!el && (el as HTMLElement).offsetWidth > 0 && (el as HTMLElement).offsetHeight > 0;
    const sidebar = document.querySelector('.part.sidebar');
    const title = sidebar?.querySelector('.composite.title')?.textContent ?? '';
    const rows = [...document.querySelectorAll('.part.sidebar .pane-body .monaco-list-row')].map((r) =>
      [r.querySelector('.label-name')?.textContent ?? '', r.querySelector('.label-description')?.textContent ?? ''].join(' ').trim(),
    );
    const tabs = [...document.querySelectorAll('.part.editor .tab')].map((t) => (t.getAttribute('aria-label') ?? t.textContent ?? '').trim());
    const active = (document.querySelector('.part.editor .tab.active.selected') ?? document.querySelector('.part.editor .tab.active'))?.getAttribute('aria-label') ?? '';
    const lenses = [...document.querySelectorAll('.part.editor .codelens-decoration')].filter(visible);
    const lensTop = lenses[0] ? (lenses[0] as HTMLElement).closest('.view-zone, .contentWidgets, .view-overlays') : null;
    void lensTop;
    // The CodeLens sits in a view zone above its line: the first visible line below it.
    let line: number | null = null;
    if (lenses[0]) {
      const y = lenses[0].getBoundingClientRect().bottom;
      const numbers = [...document.querySelectorAll('.part.editor .line-numbers')].filter(visible) as HTMLElement[];
      const below = numbers.filter((n) => n.getBoundingClientRect().top >= y - 2).sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)[0];
      line = below ? Number(below.textContent) : null;
    }
    return {
      loopline: { visible: visible(sidebar) && /loopline/i.test(title), rows },
      editorTabs: tabs,
      activeTab: active,
      codeLens: { line, texts: lenses.map((l) => l.textContent ?? '') },
      secondarySideBarVisible: visible(document.querySelector('.part.auxiliarybar')),
    };
  });
}

/** Canvases inside webview frames (the main frame's canvas is the editor's minimap). */
async function webviewCanvases(page: Page): Promise<number> {
  let n = 0;
  for (const f of page.frames()) if (f !== page.mainFrame()) n += await f.locator('canvas').count().catch(() => 0);
  return n;
}

export async function openDemo(opts: { before?: boolean } = {}): Promise<DemoScreen> {
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: 'pipe' });
  execFileSync(process.execPath, ['scripts/package-extension.mjs'], { cwd: REPO_ROOT, stdio: 'pipe' });
  const pkg = (await import(join(REPO_ROOT, 'package.json'), { with: { type: 'json' } })).default as { version: string };
  const bin = provisionCodeServer();
  const scratch = mkdtempSync(join(tmpdir(), 'loopline-demo-'));
  const home = join(scratch, 'code-server');
  let stop = async () => {};
  let stopConsole = () => {};
  try {
    const workspace = seedIrisWorkspace(join(scratch, 'iris'), ['0.02', '0.1', '0.4', '0.8'], 60);
    installVsix(bin, home, join(REPO_ROOT, 'dist', `loopline-${pkg.version}.vsix`));
    if (!opts.before) {
      writeUserSettings(home);
      writeDemoWorkspaceSettings(workspace);
    }
    const cs = await startCodeServer({ bin, home, workspace, logFile: join(scratch, 'code-server.log') });
    const ctx = await launchChromium({ width: 1600, height: 1000 });
    stop = async () => {
      await ctx.close().catch(() => undefined);
      await cs.stop();
    };
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(`${new Date().toISOString()} ${m.type()} ${m.text()}`));
    stopConsole = () => writeFileSync(join(scratch, 'browser-console.log'), consoleLines.join('\n'));
    await page.goto(`${cs.url}/?folder=${encodeURIComponent(workspace)}`, { timeout: 120_000 });
    await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: 60_000 });
    // The first screen has settled when the editor shows (or after a fixed wait for the old screen).
    // What did not show within the time is reported by the assertions on what is read below.
    if (!opts.before) {
      await page.locator('.part.editor .codelens-decoration').first().waitFor({ timeout: 120_000 }).catch(() => undefined);
      await page.locator('.part.editor .tab', { hasText: /Compare 2 runs/ }).waitFor({ timeout: 30_000 }).catch(() => undefined);
      await page.locator('.part.sidebar .monaco-list-row', { hasText: 'lr-0.1' }).waitFor({ timeout: 30_000 }).catch(() => undefined);
      // The comparison has drawn its charts.
      const deadline = Date.now() + 45_000;
      while (Date.now() < deadline && (await webviewCanvases(page)) === 0) await page.waitForTimeout(500);
    }
    await page.waitForTimeout(opts.before ? 12_000 : 3000);
    await page.mouse.move(1590, 990);
    const screenshot = opts.before ? DEMO_SHOT.replace('.png', '-before.png') : DEMO_SHOT;
    mkdirSync(join(REPO_ROOT, 'test-results', 'ui'), { recursive: true });
    await page.screenshot({ path: screenshot });
    return { screenshot, ...(await read(page)), compareCharts: await webviewCanvases(page) };
  } finally {
    await stop();
    stopConsole();
    // LOOPLINE_KEEP_SCRATCH=1 keeps the workspace and the code-server logs for a look afterwards.
    if (process.env.LOOPLINE_KEEP_SCRATCH) console.error(`kept ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const screen = await openDemo({ before: process.argv.includes('--before') });
  console.log(JSON.stringify(screen, null, 2));
}
