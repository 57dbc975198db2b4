// Bundles the CLI, the VS Code extension (and later the webviews). Native better-sqlite3 stays
// external: it is loaded from node_modules at run time (shipped inside the .vsix for the extension).
import * as esbuild from 'esbuild';
import { cpSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const watch = process.argv.includes('--watch');
const define = { 'process.env.LOOPLINE_VERSION': JSON.stringify(pkg.version) };

// The CLI loads better-sqlite3 from dist/native/ too (the ESM entry file, not the folder), so the
// same dist/cli.js runs from the repository and from the .vsix ("Install 'loopline' Command in PATH").
const cliNativeSqlite = {
  name: 'cli-native-sqlite',
  setup(build) {
    build.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: './native/better-sqlite3/lib/index.js', external: true }));
  },
};

// dockerode (with ssh2, ~1 MB) is its own bundle, dist/docker-engine.cjs, loaded by the first
// container operation: the CLI and the extension bundles only point at it.
const dockerEngineExternal = {
  name: 'docker-engine-external',
  setup(build) {
    build.onResolve({ filter: /docker-engine-backend\.ts$/ }, () => ({ path: './docker-engine.cjs', external: true }));
  },
};
// Parquet reading (hyparquet) is its own bundle too, loaded by the first Parquet file read.
const parquetExternal = {
  name: 'parquet-external',
  setup(build) {
    build.onResolve({ filter: /parquet-source\.ts$/ }, () => ({ path: './parquet-source.cjs', external: true }));
  },
};
// Two parts of dockerode are only needed by rare paths but cost ~0.5 s to load on every container
// run: ssh2 (ssh:// engines) and grpc/protobuf (BuildKit sessions). They stay in the bundle but
// are initialised on first call, not at require time.
const lazyDockerParts = {
  name: 'lazy-docker-parts',
  setup(build) {
    const lazy = [
      { importer: /docker-modem[\\/]lib[\\/]modem\.js$/, request: './ssh' },
      { importer: /dockerode[\\/]lib[\\/]docker\.js$/, request: './session' },
    ];
    build.onResolve({ filter: /^\.\/(ssh|session)$/ }, (args) => {
      if (args.namespace === 'lazy-docker-part') return undefined;
      if (!lazy.some((l) => l.importer.test(args.importer) && l.request === args.path)) return undefined;
      return { path: `${args.resolveDir}/${args.path.slice(2)}.js`, namespace: 'lazy-docker-part' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-docker-part' }, (args) => ({
      contents: `module.exports = function () { return require(${JSON.stringify(args.path)}).apply(this, arguments); };`,
      resolveDir: '/',
      loader: 'js',
    }));
  },
};
const dockerEngine = {
  plugins: [lazyDockerParts],
  entryPoints: ['src/core/containers/docker-engine-backend.ts'],
  outfile: 'dist/docker-engine.cjs',
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  sourcemap: true,
  external: ['*.node', 'cpu-features'],
  define: { 'import.meta.url': '__loopline_import_meta_url' },
  banner: { js: "const __loopline_import_meta_url = require('url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};


const cli = {
  plugins: [cliNativeSqlite, dockerEngineExternal],
  entryPoints: ['src/cli/cli-entry.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  sourcemap: true,
  // dockerode's ssh2 tries optional native add-ons inside try/catch and falls back to plain JS.
  external: ['better-sqlite3', '*.node', 'cpu-features'],
  define,
  // Bundled CommonJS dependencies (simple-git) call require(); give the ESM output one.
  // (and __dirname: ssh2, under dockerode, locates its WebAssembly helper with it).
  banner: {
    js: "import { createRequire as __loopline_cr } from 'node:module'; import { dirname as __loopline_dn } from 'node:path'; import { fileURLToPath as __loopline_fp } from 'node:url'; const require = __loopline_cr(import.meta.url); const __filename = __loopline_fp(import.meta.url); const __dirname = __loopline_dn(__filename);",
  },
  logLevel: 'warning',
};

// The extension loads better-sqlite3 from dist/native/ (copied there below), so the .vsix needs no
// node_modules and the same dist/ works from the repo (tests) and when installed.
const nativeSqlite = {
  name: 'native-sqlite',
  setup(build) {
    build.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: './native/better-sqlite3', external: true }));
  },
};

// The Python client ships beside the bundles (dist/python), so `loopline run` puts it on PYTHONPATH
// from an installed CLI or .vsix too.
function copyPythonClient() {
  rmSync('dist/python', { recursive: true, force: true });
  cpSync('clients/python/loopline.py', 'dist/python/loopline.py');
}

// bin/loopline starts the CLI through this file: Node keeps the bundles' compiled code on disk
// (module.enableCompileCache), so each command skips ~0.3 s of compiling dist/cli.js and, for
// container runs, dist/docker-engine.cjs.
function writeCliStart() {
  writeFileSync('dist/cli-start.mjs', "import module from 'node:module';\nmodule.enableCompileCache?.();\nawait import('./cli.js');\n");
}

function copyNativeSqlite() {
  const dest = 'dist/native/better-sqlite3';
  rmSync(dest, { recursive: true, force: true });
  for (const part of ['package.json', 'lib', 'prebuilds', 'LICENSE']) cpSync(`node_modules/better-sqlite3/${part}`, `${dest}/${part}`, { recursive: true });
}

// The CommonJS bundles get a real import.meta.url (core modules locate files bundled beside them).
const cjsImportMeta = {
  define: { ...define, 'import.meta.url': '__loopline_import_meta_url' },
  banner: { js: "const __loopline_import_meta_url = require('url').pathToFileURL(__filename).href;" },
};

const extension = {
  entryPoints: ['src/extension/extension.ts'],
  outfile: 'dist/extension.cjs',
  bundle: true,
  platform: 'node',
  target: 'node22.15',
  format: 'cjs',
  sourcemap: true,
  minify: !watch,
  external: ['vscode', '*.node', 'cpu-features'],
  plugins: [nativeSqlite, dockerEngineExternal, parquetExternal],
  ...cjsImportMeta,
  logLevel: 'warning',
};

// Reads that grow with the data (table, series, filters, CSV export) run in a worker thread of the
// extension host (src/core/store/store-reader.ts), from its own bundle beside extension.cjs.
const readWorker = { ...extension, entryPoints: ['src/core/store/read-worker.ts'], outfile: 'dist/read-worker.cjs', external: [] };

// The extension's tracking server runs in its own process from this bundle (src/cli/server-entry.ts).
const serverProcess = {
  ...extension,
  entryPoints: ['src/cli/server-entry.ts'],
  outfile: 'dist/server.cjs',
  external: ['*.node'],
};

// Extension-host test suite (mocha inside the real VS Code), run by test/extension/run-extension-tests.ts.
const extensionTests = {
  entryPoints: ['test/extension/suite/index.ts'],
  outfile: 'dist/test/extension-tests.cjs',
  bundle: true,
  platform: 'node',
  target: 'node22.15',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['vscode', 'mocha', '*.node', 'cpu-features'],
  plugins: [nativeSqlite, dockerEngineExternal],
  ...cjsImportMeta,
  logLevel: 'warning',
};

// Webview apps (browser code): one bundle per app, CSS extracted beside it. Loaded under a strict
// CSP, so no eval and no inline code (esbuild emits neither).
const webviewApps = ['compare', 'table', 'run-detail', 'data-profile', 'evaluation', 'monitoring'].filter((app) => {
  try {
    return statSync(`webview-ui/${app}/main.ts`).isFile();
  } catch {
    return false;
  }
});
const webviews = webviewApps.length
  ? {
      entryPoints: {
        ...Object.fromEntries(webviewApps.map((app) => [app, `webview-ui/${app}/main.ts`])),
        // Loaded by the Compare and Run Details pages after their first chart (webview-ui/shared/page-library.ts).
        'chart-engine': 'webview-ui/shared/chart-engine.ts',
        elements: 'webview-ui/shared/vscode-elements-register.ts',
      },
      outdir: 'dist/webview',
      bundle: true,
      platform: 'browser',
      target: 'chrome120',
      format: 'iife',
      sourcemap: true,
      minify: !watch,
      logLevel: 'warning',
    }
  : undefined;

// Data profiling runs in a worker thread of the extension host (see src/extension/monitoring/).
const profileWorker = { ...extension, entryPoints: ['src/extension/monitoring/profile-worker.ts'], outfile: 'dist/profile-worker.cjs', external: [], plugins: [] };

// Imports and exports run in a worker thread too (see src/extension/importers/); it opens the store.
const importWorker = { ...extension, entryPoints: ['src/extension/importers/import-worker.ts'], outfile: 'dist/import-worker.cjs' };

// Batch scoring (Score File with Model…) runs in a worker thread too; it opens the store and starts the model's container.
const predictWorker = { ...extension, entryPoints: ['src/extension/predict/predict-worker.ts'], outfile: 'dist/predict-worker.cjs' };

const parquetSource = { ...extension, entryPoints: ['src/core/monitoring/parquet-source.ts'], outfile: 'dist/parquet-source.cjs', external: [], plugins: [] };

const targets = [cli, dockerEngine, extension, parquetSource, serverProcess, profileWorker, importWorker, predictWorker, readWorker, ...(webviews ? [webviews] : [])];
try {
  if (statSync('test/extension/suite/index.ts').isFile()) targets.push(extensionTests);
} catch {
  // no extension tests in this checkout
}

if (watch) {
  copyNativeSqlite();
  copyPythonClient();
  writeCliStart();
  for (const t of targets) await (await esbuild.context(t)).watch();
} else {
  copyNativeSqlite();
  copyPythonClient();
  await Promise.all(targets.map((t) => esbuild.build(t)));
  writeCliStart();
  const size = statSync('dist/extension.cjs').size;
  console.log(`dist/extension.cjs: ${(size / 1024).toFixed(0)} KB`);
}
