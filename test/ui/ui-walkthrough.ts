// A UI walkthrough of the installed extension in a real VS Code (code-server 4.139 on Node 24),
// driven by headless Chromium: the packaged .vsix is installed into a fresh extensions folder, a
// seeded Iris workspace is opened, and each step clicks through the Loopline views, asserting what
// the tree shows and saving a screenshot to test-results/ui/NN-name.png.
//
//   node test/ui/ui-walkthrough.ts        (prints the steps; exit 1 if any failed)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { installVsix, provisionCodeServer, startCodeServer, type CodeServer } from '../helpers/code-server.ts';
import { CLI, PYTHON_CLIENT_DIR, REPO_ROOT } from '../helpers/paths.ts';
import { seedIrisWorkspace } from '../helpers/seed-workspace.ts';

export interface StepResult {
  name: string;
  ok: boolean;
  detail: string;
  /** The step's (last) screenshot. */
  screenshot: string;
  /** Every screenshot the step saved, in order (some steps take two). */
  screenshots?: string[];
  ms?: number;
}

export const SHOTS_DIR = join(REPO_ROOT, 'test-results', 'ui');
const NODE24 = join(REPO_ROOT, 'node_modules', '.bin', 'node');
const VSIX = join(REPO_ROOT, 'dist', 'loopline-0.1.0.vsix');

interface Row {
  label: string;
  description: string;
  level: number;
  expanded: string | null;
}

/** Thrown by `check` so a failed assertion reads as the step's detail. */
class StepFailure extends Error {}

function check(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new StepFailure(msg);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when src/ is newer, and packages the .vsix when it is missing or older than the bundle. */
function ensureVsix(): string[] {
  const did: string[] = [];
  const bundle = join(REPO_ROOT, 'dist', 'extension.cjs');
  if (!existsSync(bundle) || !existsSync(join(REPO_ROOT, 'dist', 'cli.js')) || statSync(bundle).mtimeMs < newestMtime(join(REPO_ROOT, 'src'))) {
    execFileSync(NODE24, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: 'pipe' });
    did.push('built dist/');
  }
  if (!existsSync(VSIX) || statSync(VSIX).mtimeMs < statSync(bundle).mtimeMs) {
    execFileSync(NODE24, ['scripts/package-extension.mjs'], { cwd: REPO_ROOT, stdio: 'pipe' });
    did.push('packaged the .vsix');
  }
  return did;
}

/** The view pane (Experiments, Runs, …) in the Loopline container whose header title is `title`. */
function pane(page: Page, title: string): Locator {
  return page.locator('.pane').filter({ has: page.locator('.pane-header h3.title', { hasText: new RegExp(`^${title}$`, 'i') }) });
}

async function readRows(p: Locator): Promise<Row[]> {
  return p.locator('.pane-body .monaco-list-row').evaluateAll((els) =>
    els
      .map((e: any) => ({
        label: (e.querySelector('.label-name')?.textContent ?? '').trim(),
        description: (e.querySelector('.label-description')?.textContent ?? '').trim(),
        level: Number(e.getAttribute('aria-level') ?? 0),
        expanded: e.getAttribute('aria-expanded') as string | null,
        top: parseFloat(e.style?.top ?? '0') || 0,
      }))
      // The list is virtualised and rows are positioned absolutely: DOM order is not display order.
      .sort((a: { top: number }, b: { top: number }) => a.top - b.top)
      .map(({ top: _top, ...r }: any) => r as Row),
  );
}

function row(p: Locator, label: string | RegExp): Locator {
  const re = typeof label === 'string' ? new RegExp(`^${escapeRe(label)}$`) : label;
  return p.locator('.pane-body .monaco-list-row').filter({ has: p.page().locator('.label-name', { hasText: re }) });
}

async function expand(r: Locator): Promise<void> {
  if ((await r.getAttribute('aria-expanded')) === 'true') return;
  await r.locator('.label-name').click();
  await r.and(r.page().locator('[aria-expanded="true"]')).waitFor({ timeout: 10_000 });
}

async function collapse(r: Locator): Promise<void> {
  if ((await r.getAttribute('aria-expanded')) !== 'true') return;
  await r.locator('.label-name').click();
  await r.and(r.page().locator('[aria-expanded="false"]')).waitFor({ timeout: 10_000 });
}

/** Drags the sash between the side bar and the editor so the side bar is `width` px wide. */
async function widenSidebar(page: Page, width: number): Promise<void> {
  const bar = await page.locator('.part.sidebar').boundingBox();
  if (!bar) return;
  const x = bar.x + bar.width;
  const y = bar.y + bar.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + 50, y, { steps: 2 });
  await page.mouse.move(bar.x + width, y, { steps: 5 });
  await page.mouse.up();
  await sleep(300);
}

/** Polls `fn` until it returns a truthy value or `ms` pass; returns the last value. */
async function until<T>(fn: () => Promise<T>, ms: number, every = 250): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined as T);
    if (v || Date.now() > deadline) return v;
    await sleep(every);
  }
}

async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  // Escape first: a leftover quick input would swallow F1.
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(`>${title}`);
  // Click the command itself: Enter would take whatever the palette ranks first (e.g. a recently used one).
  const item = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(title)}…?$`) }) }).first();
  await item.waitFor({ timeout: 10_000 });
  await item.click();
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const fmtRows = (rows: Row[]) => rows.map((r) => `${'  '.repeat(Math.max(0, r.level - 1))}${r.label}${r.description ? ` [${r.description}]` : ''}`).join('\n');

function metricOf(description: string, key: string): number | undefined {
  const m = new RegExp(`${key} (-?\\d+(?:\\.\\d+)?(?:e[-+]?\\d+)?)`).exec(description);
  return m ? Number(m[1]) : undefined;
}

/** User settings written before code-server starts: no welcome page, chat or tips over the views. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.ignoreRecommendations': true,
  'git.openRepositoryInParentFolders': 'never',
};

const LIVE_STEPS = 40;
const LIVE_SLEEP_S = 0.4;

function liveScript(): string {
  return [
    'import sys, time',
    `sys.path.insert(0, ${JSON.stringify(PYTHON_CLIENT_DIR)})`,
    'import loopline',
    `for i in range(${LIVE_STEPS + 1}):`,
    "    loopline.log_metric('progress', i, step=i)",
    `    time.sleep(${LIVE_SLEEP_S})`,
  ].join('\n');
}

/**
 * Error lines in the Loopline output channel's log file (copied to test-results/ui/loopline.log)
 * and lines about loopline at error level in the extension host log.
 */
function extensionLogErrors(logsDir: string): string[] {
  const errors: string[] = [];
  if (!existsSync(logsDir)) return ['no extension host logs found under ' + logsDir];
  for (const e of readdirSync(logsDir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.log')) continue;
    const file = join(e.parentPath, e.name);
    const lines = readFileSync(file, 'utf8').split('\n');
    // Match below logsDir only: the scratch folder's own name has "loopline" in it.
    if (/loopline/i.test(relative(logsDir, file))) {
      copyFileSync(file, join(SHOTS_DIR, 'loopline.log'));
      errors.push(...lines.filter((l) => /\[error\]/i.test(l)).map((l) => `${e.name}: ${l}`));
    } else if (e.name === 'exthost.log') {
      errors.push(...lines.filter((l) => /\[error\]/i.test(l) && /loopline/i.test(l)).map((l) => `${e.name}: ${l}`));
    }
  }
  return errors;
}

export async function runUiWalkthrough(): Promise<StepResult[]> {
  const t0 = Date.now();
  const results: StepResult[] = [];
  mkdirSync(SHOTS_DIR, { recursive: true });
  for (const f of readdirSync(SHOTS_DIR)) if (/^\d\d-.*\.png$/.test(f) || f === 'code-server.log' || f === 'live-run.log' || f === 'loopline.log') rmSync(join(SHOTS_DIR, f), { force: true });
  let shotNo = 0;
  const scratch = mkdtempSync(join(tmpdir(), 'loopline-ui-'));
  const home = join(scratch, 'home');
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  let cs: CodeServer | undefined;
  let ctx: BrowserContext | undefined;
  let page: Page | undefined;
  let live: ChildProcess | undefined;

  const shot = async (name: string): Promise<string> => {
    const path = join(SHOTS_DIR, `${String(++shotNo).padStart(2, '0')}-${name}.png`);
    if (page) {
      // Park the pointer on the empty editor so no hover tooltip covers the views.
      await page.mouse.move(1150, 760).catch(() => undefined);
      await sleep(400);
      await page.screenshot({ path }).catch(() => undefined);
    }
    return path;
  };

  /** Runs one step; a throw fails it (with a screenshot of the moment) and the walkthrough goes on. */
  const step = async (name: string, body: (shots: string[]) => Promise<string>): Promise<boolean> => {
    const start = Date.now();
    const shots: string[] = [];
    let ok = true;
    let detail: string;
    try {
      detail = await body(shots);
    } catch (err) {
      ok = false;
      detail = err instanceof StepFailure ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
      shots.push(await shot(`${name}-FAILED`));
    }
    results.push({ name, ok, detail, screenshot: shots.at(-1) ?? '', screenshots: shots, ms: Date.now() - start });
    return ok;
  };

  try {
    let workspace = '';
    const ready = await step('open-workbench', async (shots) => {
      const did = ensureVsix();
      const bin = provisionCodeServer();
      // Seeded out of val_accuracy order (newest first is lr-0.05, lr-0.8, lr-0.2), so sorting by it
      // visibly reorders the runs.
      workspace = seedIrisWorkspace(join(scratch, 'iris'), ['0.2', '0.8', '0.05']);
      installVsix(bin, home, VSIX);
      const installed = readdirSync(join(home, 'ext')).filter((d) => d.includes('loopline'));
      check(installed.length === 1, `the .vsix did not install: ${join(home, 'ext')} holds ${readdirSync(join(home, 'ext')).join(', ')}`);
      mkdirSync(join(home, 'data', 'User'), { recursive: true });
      writeFileSync(join(home, 'data', 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
      cs = await startCodeServer({ bin, home, workspace, logFile: join(scratch, 'code-server.log') });
      ctx = await launchChromium({ width: 1400, height: 900 });
      page = ctx.pages()[0] ?? (await ctx.newPage());
      page.on('pageerror', (e) => pageErrors.push(String(e.stack ?? e)));
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      const tNav = Date.now();
      await page.goto(`${cs.url}/?folder=${encodeURIComponent(workspace)}`, { timeout: 120_000 });
      await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: 60_000 });
      await page.getByRole('tab', { name: /Loopline/ }).waitFor({ timeout: 60_000 });
      shots.push(await shot('workbench'));
      return `${[...did, `installed ${installed[0]}`].join('; ')}; workbench with the Loopline tab ${((Date.now() - tNav) / 1000).toFixed(1)} s after navigation (${((Date.now() - t0) / 1000).toFixed(1)} s in all)`;
    });
    if (!ready || !page) return results;
    const p = page;
    const experiments = pane(p, 'Experiments');
    const runs = pane(p, 'Runs');

    // 1. The activity-bar icon opens the container; the Experiments view lists the seeded experiment.
    await step('open-loopline', async (shots) => {
      await p.getByRole('tab', { name: /Loopline/ }).click();
      const exp = row(experiments, 'iris-sweep');
      await exp.waitFor({ timeout: 30_000 });
      await until(async () => /3 runs/.test(await exp.locator('.label-description').innerText()), 10_000);
      const rows = await readRows(experiments);
      shots.push(await shot('experiments-view'));
      const r = rows.find((x) => x.label === 'iris-sweep');
      check(r, `no iris-sweep row; rows:\n${fmtRows(rows)}`);
      check(r.description === '3 runs', `iris-sweep description is "${r.description}", expected "3 runs"`);
      const titles = await p.locator('.sidebar .pane-header h3.title').allInnerTexts();
      for (const t of ['Experiments', 'Runs', 'Models', 'Deployments']) check(titles.some((x) => x.toLowerCase() === t.toLowerCase()), `view ${t} missing from the container; headers: ${titles.join(', ')}`);
      return `views: ${titles.join(', ')}; rows:\n${fmtRows(rows)}`;
    });

    // 2. Expanding the experiment lists its three runs with their val_accuracy.
    const runNames = ['lr-0.05', 'lr-0.2', 'lr-0.8'];
    await step('expand-experiment', async (shots) => {
      // The default sidebar (~300 px) cuts run and metric descriptions off; widen it so the
      // screenshots show what the rows say (step 1's screenshot keeps the default width).
      await widenSidebar(p, 720);
      await expand(row(experiments, 'iris-sweep'));
      for (const n of runNames) await row(experiments, n).waitFor({ timeout: 10_000 });
      const rows = await readRows(experiments);
      shots.push(await shot('experiment-runs'));
      for (const n of runNames) {
        const r = rows.find((x) => x.label === n);
        check(r, `run ${n} missing; rows:\n${fmtRows(rows)}`);
        check(r.level === 2, `run ${n} is at tree level ${r.level}, expected 2`);
        const acc = metricOf(r.description, 'val_accuracy');
        check(acc !== undefined && acc >= 0 && acc <= 1, `run ${n} description "${r.description}" has no val_accuracy in [0, 1]`);
        check(/lr=/.test(r.description), `run ${n} description "${r.description}" shows no lr param`);
      }
      const order = rows.filter((r) => runNames.includes(r.label)).map((r) => r.label);
      check(order.join() === 'lr-0.05,lr-0.8,lr-0.2', `default order (newest first) is ${order.join(', ')}`);
      return fmtRows(rows);
    });

    // 3. A run's Metrics section lists each metric with last, min and max and their steps.
    await step('expand-run-metrics', async (shots) => {
      const run = row(experiments, 'lr-0.2');
      await expand(run);
      const sections = ['Params', 'Metrics', 'Tags', 'Artifacts', 'Code'];
      for (const s of sections) await row(experiments, s).first().waitFor({ timeout: 10_000 });
      await expand(row(experiments, 'Metrics'));
      await row(experiments, 'val_accuracy').waitFor({ timeout: 10_000 });
      const rows = await readRows(experiments);
      shots.push(await shot('run-metrics'));
      const metricRows = rows.filter((r) => r.level === 4);
      check(metricRows.length >= 2, `expected metric rows under Metrics; rows:\n${fmtRows(rows)}`);
      const metricsHeader = rows.find((r) => r.label === 'Metrics');
      check(metricsHeader?.description === String(metricRows.length), `Metrics section says "${metricsHeader?.description}" but ${metricRows.length} metric rows are shown`);
      for (const m of metricRows) {
        check(/^-?[\d.e+-]+\s+↓-?[\d.e+-]+@\d+\s+↑-?[\d.e+-]+@\d+$/.test(m.description), `metric ${m.label} description "${m.description}" lacks "last ↓min@step ↑max@step"`);
      }
      for (const k of ['val_accuracy', 'train_loss']) check(metricRows.some((r) => r.label === k), `metric ${k} missing; metric rows: ${metricRows.map((r) => r.label).join(', ')}`);
      return fmtRows(rows);
    });

    // 4. Loopline: Sort Runs… from the palette, val_accuracy highest first, reorders the runs.
    await step('sort-runs-by-val-accuracy', async (shots) => {
      // Fold the run back so all three runs are in view.
      await collapse(row(experiments, 'lr-0.2')).catch(() => undefined);
      const before = (await readRows(experiments)).filter((r) => runNames.includes(r.label));
      await runCommand(p, 'Loopline: Sort Runs');
      const input = p.locator('.quick-input-widget input');
      await p.locator('.quick-input-widget', { hasText: 'Sort runs by' }).or(p.locator('.quick-input-widget input[placeholder="Sort runs by"]')).first().waitFor({ timeout: 10_000 });
      await input.fill('val_accuracy');
      const choice = p.locator('.quick-input-list .monaco-list-row', { hasText: 'highest first' }).filter({ hasText: 'val_accuracy' }).first();
      await choice.waitFor({ timeout: 10_000 });
      shots.push(await shot('sort-quick-pick'));
      await choice.click();
      await p.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
      const sorted = (rs: Row[]) => {
        const vals = rs.map((r) => metricOf(r.description, 'val_accuracy') ?? NaN);
        return vals.every((v, i) => i === 0 || v <= vals[i - 1]!);
      };
      let after: Row[] = [];
      await until(async () => {
        after = (await readRows(experiments)).filter((r) => runNames.includes(r.label));
        return after.length === 3 && sorted(after);
      }, 10_000);
      shots.push(await shot('runs-sorted'));
      const desc = (rs: Row[]) => rs.map((r) => `${r.label} (${metricOf(r.description, 'val_accuracy')})`).join(', ');
      check(after.length === 3, `expected the 3 runs after sorting, got ${desc(after)}`);
      check(sorted(after), `runs not in descending val_accuracy order: ${desc(after)}`);
      const expected = [...before].sort((a, b) => (metricOf(b.description, 'val_accuracy') ?? 0) - (metricOf(a.description, 'val_accuracy') ?? 0));
      const changed = before.map((r) => r.label).join() !== after.map((r) => r.label).join();
      check(changed, `sorting did not reorder the runs: ${desc(before)} → ${desc(after)}`);
      return `before: ${desc(before)}\nafter:  ${desc(after)}${changed ? '' : ' (same order as before: the newest-first order was already sorted by val_accuracy)'}; expected ${desc(expected)}`;
    });

    // 5. A run started from a terminal outside the editor shows up and updates by itself.
    await step('live-run-updates', async (shots) => {
      const outFd = openSync(join(scratch, 'live-run.log'), 'a');
      live = spawn(CLI, ['run', '--experiment', 'live-ui', '--name', 'live-progress', '--', 'python3', '-c', liveScript()], {
        cwd: workspace,
        env: { ...process.env, LOOPLINE_STORE: '' },
        stdio: ['ignore', outFd, outFd],
        detached: true,
      });
      const tSpawn = Date.now();
      const exp = row(experiments, 'live-ui');
      await exp.waitFor({ timeout: 20_000 }).catch(() => {
        throw new StepFailure(`experiment live-ui did not appear within 20 s of starting the run (no refresh clicked); rows:\n(see screenshot)`);
      });
      const appearedAfter = Date.now() - tSpawn;
      await expand(exp);
      const liveRow = row(experiments, 'live-progress');
      await liveRow.waitFor({ timeout: 30_000 });
      const readProgress = async () => metricOf(await liveRow.locator('.label-description').innerText(), 'progress');
      const first = await until(readProgress, 10_000);
      check(first !== undefined, `the running run's row shows no progress metric: "${await liveRow.locator('.label-description').innerText()}"`);
      const desc1 = await liveRow.locator('.label-description').innerText();
      const icon1 = await liveRow.locator('.custom-view-tree-node-item-icon').getAttribute('class');
      shots.push(await shot('live-run-first'));
      // The Runs view lists it while it runs.
      const activeRow = row(runs, 'live-progress');
      const inRuns = await activeRow.waitFor({ timeout: 10_000 }).then(
        () => true,
        () => false,
      );
      const runsDesc = inRuns ? await activeRow.locator('.label-description').innerText() : '';
      await sleep(2000);
      const second = await until(async () => {
        const v = await readProgress();
        return v !== undefined && v > first ? v : undefined;
      }, 8_000);
      const desc2 = await liveRow.locator('.label-description').innerText();
      shots.push(await shot('live-run-second'));
      check(second !== undefined && second > first, `progress did not grow: first "${desc1}", then "${desc2}"`);
      check(inRuns, `the Runs view does not list live-progress while it runs; its rows:\n${fmtRows(await readRows(runs))}`);
      check(/spin/.test(icon1 ?? ''), `the running run's icon is not the spinning sync icon: ${icon1}`);
      // Let it finish: the Runs view empties and the row turns FINISHED.
      const exited = await new Promise<number | null>((resolve) => {
        if (live!.exitCode !== null) return resolve(live!.exitCode);
        const t = setTimeout(() => resolve(null), 25_000);
        live!.once('exit', (code) => {
          clearTimeout(t);
          resolve(code);
        });
      });
      check(exited === 0, `loopline run exited with ${exited}`);
      const gone = await until(async () => (await readRows(runs)).every((r) => r.label !== 'live-progress'), 10_000);
      // The Experiments view refreshes on its own schedule (debounced); give it a moment.
      const finalIcon =
        (await until(async () => {
          const c = await liveRow.locator('.custom-view-tree-node-item-icon').getAttribute('class');
          return /pass/.test(c ?? '') ? c : undefined;
        }, 10_000)) ?? (await liveRow.locator('.custom-view-tree-node-item-icon').getAttribute('class'));
      const finalDesc = await liveRow.locator('.label-description').innerText();
      shots.push(await shot('live-run-finished'));
      check(gone, 'the Runs view still lists live-progress after it finished');
      check(metricOf(finalDesc, 'progress') === LIVE_STEPS, `final row "${finalDesc}" does not show progress ${LIVE_STEPS}`);
      check(/pass/.test(finalIcon ?? ''), `the finished run's icon is not the pass icon: ${finalIcon}`);
      return `live-ui appeared ${(appearedAfter / 1000).toFixed(1)} s after spawn; row "${desc1}" → "${desc2}"; Runs view: "${runsDesc}"; finished: "${finalDesc}"`;
    });

    // 6. The tree in a dark and a light theme, switched through Preferences: Color Theme.
    await step('themes', async (shots) => {
      const themeKind = async () => {
        const cls = (await p.locator('.monaco-workbench').first().getAttribute('class')) ?? '';
        return cls.split(/\s+/).find((c) => ['vs', 'vs-dark', 'hc-black', 'hc-light'].includes(c)) ?? '?';
      };
      await p.keyboard.press('Escape');
      const pick = async (label: string, kind: string) => {
        await runCommand(p, 'Preferences: Color Theme');
        const input = p.locator('.quick-input-widget input');
        await input.fill(label);
        const item = p.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
        await item.waitFor({ timeout: 10_000 });
        await p.keyboard.press('Enter');
        await p.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
        // The workbench applies the theme a moment later (seconds on a loaded machine); the check
        // below reports what it shows if it never does.
        await p
          .waitForFunction((k) => document.querySelector('.monaco-workbench')?.classList.contains(k) ?? false, kind, { timeout: 15_000 })
          .catch(() => undefined);
        await sleep(300);
      };
      // code-server 4.139 starts in Light 2026; take the light shot first, whatever the start.
      const startKind = await themeKind();
      if (startKind !== 'vs') await pick('Light 2026', 'vs');
      const light = await themeKind();
      shots.push(await shot('theme-light'));
      await pick('Dark 2026', 'vs-dark');
      const dark = await themeKind();
      shots.push(await shot('theme-dark'));
      check(light === 'vs', `light theme: workbench class is ${light}`);
      check(dark === 'vs-dark', `dark theme: workbench class is ${dark}`);
      const rows = await readRows(experiments);
      check(rows.some((r) => r.label === 'iris-sweep') && rows.some((r) => r.label === 'live-ui'), `tree lost its rows after the theme change:\n${fmtRows(rows)}`);
      return `started in ${startKind}; dark → ${dark}, light → ${light}`;
    });

    // 7. Compare Selected Runs opens the Compare panel: charts render in the webview iframe, in
    //    the dark theme and again in the light one (the charts follow the theme).
    await step('compare-panel', async (shots) => {
      await p.keyboard.press('Escape');
      // From the palette with nothing selected, the command offers a run picker: tick three runs.
      const names = ['lr-0.2', 'lr-0.8', 'lr-0.05'];
      await runCommand(p, 'Loopline: Compare Selected Runs');
      const picker = p.locator('.quick-input-widget');
      await picker.locator('input[placeholder*="Runs to compare"]').waitFor({ timeout: 10_000 });
      for (const n of names) {
        // Clicking a row of a multi-select quick pick toggles its checkbox.
        await picker.locator('.quick-input-list .monaco-list-row', { hasText: `--lr ${n.slice(3)} --epochs` }).first().click();
      }
      shots.push(await shot('compare-pick-runs'));
      await p.keyboard.press('Enter');
      // Webview content lives in nested iframes; find the one running the compare app.
      const frame = await until(async () => {
        for (const f of p.frames()) {
          try {
            if (await f.evaluate(() => Boolean((window as any).__looplineCharts && Object.keys((window as any).__looplineCharts).length))) return f;
          } catch {
            // a frame that is navigating or cross-origin
          }
        }
        return undefined;
      }, 30_000);
      check(frame, 'no webview frame with Loopline charts appeared');
      const chartData = async () =>
        frame.evaluate(() => {
          const charts = (window as any).__looplineCharts as Record<string, any>;
          return Object.fromEntries(
            // Charts are built when their data first arrives (off-screen ones later): skip unbuilt ones.
            Object.entries(charts).filter(([, c]) => c).map(([k, c]) => [k, (c.data.datasets as any[]).filter((d) => !d.hidden && (d.data?.length ?? 0) > 0).map((d) => ({ label: String(d.label), points: d.data.length, color: String(d.borderColor) }))]),
          );
        });
      const loaded = await until(async () => {
        const d = await chartData();
        const acc = d['val_accuracy'];
        return acc && acc.length >= 3 && acc.every((x: { points: number }) => x.points > 10) ? d : undefined;
      }, 30_000);
      check(loaded, `charts did not load 3 runs: ${JSON.stringify(await chartData()).slice(0, 400)}`);
      const keys = await frame.evaluate(() => Object.keys((window as any).__looplineCharts));
      check(['train_loss', 'val_accuracy'].every((k) => keys.includes(k)), `chart keys: ${keys.join(', ')}`);
      const text = await frame.evaluate(() => document.body.innerText);
      check(names.every((n) => text.includes(n)), 'the params diff / summary do not name all three runs');
      shots.push(await shot('compare-dark'));
      const darkColor = loaded['val_accuracy']![0]!.color;
      await runCommand(p, 'Preferences: Color Theme');
      await p.locator('.quick-input-widget input').fill('Light 2026');
      await p.locator('.quick-input-list .monaco-list-row', { hasText: 'Light 2026' }).first().waitFor({ timeout: 10_000 });
      await p.keyboard.press('Enter');
      const lightColor = await until(async () => {
        const c = (await chartData())['val_accuracy']?.[0]?.color;
        return c && c !== darkColor ? c : undefined;
      }, 15_000);
      shots.push(await shot('compare-light'));
      check(lightColor, `chart colours did not change with the theme (still ${darkColor})`);
      return `charts for ${keys.length} metrics (${keys.join(', ')}), 3 runs each; series colour ${darkColor} (dark) → ${lightColor} (light)`;
    });

    // 8. Nothing from the extension failed in the page or logged an error.
    await step('no-extension-errors', async (shots) => {
      const ext = (s: string) => /loopline/i.test(s);
      const extPageErrors = pageErrors.filter(ext);
      const extConsole = consoleErrors.filter(ext);
      const logErrors = extensionLogErrors(join(home, 'data', 'logs'));
      shots.push(await shot('end'));
      check(
        extPageErrors.length === 0 && extConsole.length === 0 && logErrors.length === 0,
        `page errors from the extension:\n${extPageErrors.join('\n')}\nconsole errors mentioning loopline:\n${extConsole.join('\n')}\nerrors in the extension host logs:\n${logErrors.join('\n')}`,
      );
      return `${pageErrors.length} page errors, ${consoleErrors.length} console errors in all, none mention loopline; no errors in the Loopline output channel or about loopline in the extension host log${pageErrors.length ? `\nother page errors: ${pageErrors.map((e) => e.split('\n')[0]).join(' | ')}` : ''}${consoleErrors.length ? `\nother console errors: ${consoleErrors.map((e) => e.slice(0, 160)).join(' | ')}` : ''}`;
    });
    return results;
  } finally {
    if (live && live.exitCode === null && live.pid) {
      try {
        process.kill(-live.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await ctx?.close().catch(() => undefined);
    await cs?.stop().catch(() => undefined);
    for (const f of ['code-server.log', 'live-run.log']) {
      if (existsSync(join(scratch, f))) copyFileSync(join(scratch, f), join(SHOTS_DIR, f));
    }
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = Date.now();
  runUiWalkthrough().then(
    (steps) => {
      for (const s of steps) console.log(`${s.ok ? 'PASS' : 'FAIL'} ${s.name} (${((s.ms ?? 0) / 1000).toFixed(1)} s) ${s.screenshot}\n  ${s.detail.replace(/\n/g, '\n  ')}`);
      console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
      process.exit(steps.every((s) => s.ok) ? 0 : 1);
    },
    (err) => {
      console.error(err);
      process.exit(2);
    },
  );
}
