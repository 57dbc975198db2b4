import { chromium, type BrowserContext } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's Chromium's headless shell: a page and nothing else (what the webview tests and benches run in). */
const HEADLESS_SHELL = '/usr/bin/chromium-headless-shell';
let warnedNoShell = false;

/**
 * Debian's headless Chromium, with the flags this offline machine needs (no background networking).
 * `shell`: run the page in Chromium's headless shell when it is installed (scripts/setup.sh installs
 * it). The full browser also loads its own UI pages in the background (its omnibox popup), which on
 * two cores took a core from the page a bench measures; a webview page needs none of that. The
 * editor (code-server) runs in the full browser. CHROMIUM_PATH overrides both.
 */
export async function launchChromium(viewport = { width: 1400, height: 900 }, opts: { shell?: boolean } = {}): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'loopline-chromium-'));
  if (opts.shell && !process.env.CHROMIUM_PATH && !existsSync(HEADLESS_SHELL) && !warnedNoShell) {
    warnedNoShell = true;
    console.error(`[browser] ${HEADLESS_SHELL} is not installed (scripts/setup.sh installs it): webview pages run in the full Chromium, whose own background pages slow them (bench figures are not comparable)`);
  }
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? (opts.shell && existsSync(HEADLESS_SHELL) ? HEADLESS_SHELL : '/usr/bin/chromium'),
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  ctx.on('close', () => {
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch {
      // Chromium may still be writing its profile; a leftover temp folder is harmless.
    }
  });
  return ctx;
}
