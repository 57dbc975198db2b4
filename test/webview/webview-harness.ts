import { createServer, type Server } from 'node:http';
import { readFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { buildWebviewHtml } from '../../src/extension/webviews/webview-html.ts';
import { launchChromium } from '../helpers/browser.ts';
import { REPO_ROOT } from '../helpers/paths.ts';

export type ThemeKind = 'light' | 'dark' | 'high-contrast';
export type WebviewApp = 'compare' | 'table' | 'run-detail' | 'data-profile' | 'evaluation' | 'monitoring';

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.ttf': 'font/ttf', '.woff2': 'font/woff2' };

/**
 * Serves a built webview app (dist/webview/<app>.js/.css) on 127.0.0.1 inside the same HTML shell
 * and CSP the extension uses, with a stand-in for `acquireVsCodeApi` and a stylesheet defining the
 * --vscode-* variables. The test talks to the app like VS Code would: `send(msg)` delivers a host
 * message, `posted()` returns what the app posted.
 */
export interface WebviewHarness {
  page: Page;
  url: string;
  /** Deliver a message from the "extension". */
  send(msg: unknown): Promise<void>;
  /** Messages the app posted, in order. */
  posted(): Promise<any[]>;
  /** Wait until the app posted a message of this type; returns it. */
  waitForPosted(type: string, timeoutMs?: number): Promise<any>;
  setTheme(kind: ThemeKind): Promise<void>;
  /** CSP violations reported by the page. */
  cspViolations(): Promise<string[]>;
  pageErrors: string[];
  close(): Promise<void>;
}

/**
 * `onPost`: called with each message the app posts, as it posts it (a CDP binding, so it arrives
 * while the page keeps running, as VS Code's postMessage does); set before the page loads, so it
 * also sees `ready`; `postedAt` is the page's clock when it was posted. The messages are still
 * recorded for `posted()`. `onLoad`: called when the browser is up, right before the page starts
 * loading (where the extension creates its panel). `onDocumentStart`: called as the page's document
 * is created; from then on messages can be delivered into it, and, as VS Code does with what is
 * posted to a webview that has not loaded yet, the page holds them until its `load` event or 200 ms
 * after its document started, whichever comes first (see `window.__looplineHeld`). `notFound`: paths
 * the server answers 404 (e.g. '/webview/chart-engine.js'); `slow`: paths served that many ms late.
 */
export async function openWebview(
  app: WebviewApp,
  opts: { theme?: ThemeKind; width?: number; height?: number; onPost?: (msg: any, page: Page, postedAt: number) => void; onLoad?: () => void; onDocumentStart?: (page: Page) => void; notFound?: string[]; slow?: Record<string, number> } = {},
): Promise<WebviewHarness> {
  const nonce = 'testnonce' + Math.random().toString(36).slice(2);
  let origin = '';
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const delay = opts.slow?.[url.pathname];
    if (delay) await new Promise((r) => setTimeout(r, delay));
    if (url.pathname === '/') {
      const html = buildWebviewHtml({
        cspSource: origin,
        nonce,
        title: `test ${app}`,
        scriptUri: `${origin}/webview/${app}.js`,
        styleUris: [`${origin}/theme.css`, ...(existsSync(join(REPO_ROOT, 'dist', 'webview', `${app}.css`)) ? [`${origin}/webview/${app}.css`] : [])],
      })
        // The stand-in must run before the app: same nonce, loaded first.
        .replace('<div id="app"', `<script nonce="${nonce}" src="${origin}/stand-in.js"></script>\n<div id="app"`);
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(html.replace('<body>', `<body class="vscode-${opts.theme ?? 'light'}" data-vscode-theme-kind="vscode-${opts.theme ?? 'light'}">`));
      return;
    }
    const file =
      url.pathname === '/theme.css'
        ? join(REPO_ROOT, 'test', 'webview', 'theme.css')
        : url.pathname === '/stand-in.js'
          ? join(REPO_ROOT, 'test', 'webview', 'vscode-api-stand-in.js')
          : normalize(join(REPO_ROOT, 'dist', url.pathname));
    // `notFound`: paths served as missing (a script that fails to load).
    if (!file.startsWith(REPO_ROOT) || !existsSync(file) || opts.notFound?.includes(url.pathname)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const ctx: BrowserContext = await launchChromium({ width: opts.width ?? 1200, height: opts.height ?? 900 }, { shell: true });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const onPost = opts.onPost;
  if (onPost) await page.exposeBinding('__looplineOnPost', (src, msg, postedAt) => onPost(msg, src.page, postedAt as number));
  const onDocumentStart = opts.onDocumentStart;
  if (onDocumentStart) {
    await page.exposeBinding('__looplineOnDocumentStart', (src) => onDocumentStart(src.page));
    await page.addInitScript(() => {
      const w = window as any;
      // [message, called once it is posted]; posted in order at the load event, as VS Code does.
      w.__looplineHeld = [] as Array<[unknown, (at: number) => void]>;
      w.__looplineLoaded = false;
      const flush = () => {
        if (w.__looplineLoaded) return;
        w.__looplineLoaded = true;
        for (const [m, posted] of w.__looplineHeld.splice(0)) {
          window.postMessage(m, '*');
          posted(performance.now());
        }
      };
      window.addEventListener('load', flush);
      setTimeout(flush, 200);
      w.__looplineOnDocumentStart();
    });
  }
  await page.addInitScript(() => {
    (window as any).__csp = [];
    document.addEventListener('securitypolicyviolation', (e: any) => (window as any).__csp.push(`${e.violatedDirective}: ${e.blockedURI}`));
  });
  // LOOPLINE_PAGE_PROFILE=<dir>: a CPU profile of the page from before its load to its close, for
  // finding where a bench's page time goes (open it in Chrome's DevTools).
  const profileDir = process.env.LOOPLINE_PAGE_PROFILE;
  const traceDir = process.env.LOOPLINE_PAGE_TRACE;
  const cdp = profileDir || traceDir ? await ctx.newCDPSession(page) : undefined;
  const traceEvents: unknown[] = [];
  if (cdp && traceDir) {
    cdp.on('Tracing.dataCollected', (e: { value: unknown[] }) => traceEvents.push(...e.value));
    await cdp.send('Tracing.start', { categories: 'devtools.timeline,v8,v8.execute,blink,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });
  }
  if (cdp && profileDir) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
  }
  // As the extension creates a panel and sets its HTML: the page starts loading now.
  opts.onLoad?.();
  await page.goto(`${origin}/`);
  const h: WebviewHarness = {
    page,
    url: origin,
    pageErrors,
    send: async (msg) => {
      await page.evaluate((m) => window.postMessage(m, '*'), msg as any);
    },
    posted: () => page.evaluate(() => (window as any).__posted as any[]),
    waitForPosted: async (type, timeoutMs = 10_000) => {
      const handle = await page.waitForFunction((t) => ((window as any).__posted as any[]).find((m) => m.type === t), type, { timeout: timeoutMs });
      return handle.jsonValue();
    },
    setTheme: async (kind) => {
      await page.evaluate((k) => {
        document.body.className = `vscode-${k}`;
        document.body.dataset.vscodeThemeKind = `vscode-${k}`;
      }, kind);
    },
    cspViolations: () => page.evaluate(() => (window as any).__csp as string[]),
    close: async () => {
      if (cdp && traceDir) {
        const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
        await cdp.send('Tracing.end');
        await done;
        mkdirSync(traceDir, { recursive: true });
        writeFileSync(join(traceDir, `${app}-${Date.now()}.json`), JSON.stringify({ traceEvents }));
      }
      if (cdp && profileDir) {
        const { profile } = await cdp.send('Profiler.stop');
        mkdirSync(profileDir, { recursive: true });
        writeFileSync(join(profileDir, `${app}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
      }
      await ctx.close().catch(() => undefined);
      await new Promise((r) => server.close(() => r(undefined)));
    },
  };
  return h;
}
