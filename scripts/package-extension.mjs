// Packages the extension as a .vsix from a staging folder that holds only what the extension
// needs at run time: the bundle, media, docs and dist/native (better-sqlite3's JS plus its prebuilt
// Node-API binaries, not its 9 MB of C sources), and not the Node 24 npm installs for the scripts.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stage = join(root, 'dist', 'vsix-stage');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = join(root, 'dist', `loopline-${pkg.version}.vsix`);

rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'dist'), { recursive: true });
// The extension, its tracking-server process, its worker threads and dockerode (loaded by the first
// container operation).
for (const f of readdirSync(join(root, 'dist')).filter((n) => ['extension.cjs', 'server.cjs', 'docker-engine.cjs'].includes(n) || n.endsWith('-worker.cjs'))) {
  cpSync(join(root, 'dist', f), join(stage, 'dist', f));
}
cpSync(join(root, 'media'), join(stage, 'media'), { recursive: true });
for (const f of ['README.md', 'CHANGELOG.md']) cpSync(join(root, f), join(stage, f));
if (existsSync(join(root, 'LICENSE'))) cpSync(join(root, 'LICENSE'), join(stage, 'LICENSE'));
cpSync(join(root, 'dist', 'native'), join(stage, 'dist', 'native'), { recursive: true });
// The command line, run by the `loopline` shim that Install 'loopline' Command in PATH writes.
cpSync(join(root, 'dist', 'cli.js'), join(stage, 'dist', 'cli.js'));
// The Python client, put on PYTHONPATH of every run (and installable with Install Python Client).
cpSync(join(root, 'dist', 'python'), join(stage, 'dist', 'python'), { recursive: true });
// The webview apps (scripts and styles; source maps stay out of the package).
cpSync(join(root, 'dist', 'webview'), join(stage, 'dist', 'webview'), { recursive: true, filter: (src) => !src.endsWith('.map') });

const manifest = { ...pkg };
delete manifest.devDependencies;
delete manifest.optionalDependencies;
delete manifest.scripts;
delete manifest.bin;
delete manifest.dependencies;
writeFileSync(join(stage, 'package.json'), JSON.stringify(manifest, null, 2));
writeFileSync(join(stage, '.vscodeignore'), '**/*.map\n');

const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
// Relative links in the README (docs/ARCHITECTURE.md) need a base URL; vsce only guesses GitHub's.
const base = String(pkg.repository?.url ?? 'https://example.invalid/loopline').replace(/\.git$/, '');
const links = ['--baseContentUrl', `${base}/blob/main`, '--baseImagesUrl', `${base}/raw/main`];
execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', ...links, '-o', out], { cwd: stage, stdio: 'inherit' });
console.log(out);
