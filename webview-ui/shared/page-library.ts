/**
 * Libraries a page loads after its first paint, from scripts beside its own (dist/webview/): the
 * first chart is drawn before chart.js (~160 KB) and the web components (~90 KB) are compiled and
 * run, which on a busy machine took a third of the time to the first chart. Inserted with the
 * page's nonce, which its Content-Security-Policy requires of every script.
 */
export type PageLibrary = 'chart-engine' | 'elements';

/** Where this bundle was loaded from and its nonce (read while it runs: later there is no current script). */
const self = document.currentScript as HTMLScriptElement | null;
const baseUrl = self?.src ?? document.baseURI;
const nonce = self?.nonce ?? '';

const loads = new Map<PageLibrary, Promise<void>>();

/** Loads `dist/webview/<name>.js` once; rejects with what to do when it cannot. */
export function loadPageLibrary(name: PageLibrary): Promise<void> {
  let p = loads.get(name);
  if (!p) {
    p = new Promise<void>((resolve, reject) => {
      const s = document.createElement('script');
      s.src = new URL(`${name}.js`, baseUrl).href;
      s.nonce = nonce;
      s.addEventListener('load', () => resolve());
      s.addEventListener('error', () => {
        loads.delete(name);
        reject(new Error(`Loopline could not load ${name}.js for this view: close the view and open it again (or reinstall the extension if it keeps failing).`));
      });
      document.head.appendChild(s);
    });
    loads.set(name, p);
  }
  return p;
}
