// Bundles the CLI (and later the extension and the webviews). Native better-sqlite3 stays external:
// it is loaded from node_modules at run time.
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const watch = process.argv.includes('--watch');

const cli = {
  entryPoints: ['src/cli/cli-entry.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  sourcemap: true,
  external: ['better-sqlite3'],
  define: { 'process.env.LOOPLINE_VERSION': JSON.stringify(pkg.version) },
  // Bundled CommonJS dependencies (simple-git) call require(); give ESM output one.
  banner: { js: "import { createRequire as __loopline_cr } from 'node:module'; const require = __loopline_cr(import.meta.url);" },
  logLevel: 'warning',
};

if (watch) {
  const ctx = await esbuild.context(cli);
  await ctx.watch();
} else {
  await esbuild.build(cli);
}
