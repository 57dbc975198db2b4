import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliInvocation } from '../../src/cli/cli-invocation.ts';
import { RunStore } from '../../src/core/store/run-store.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { tempDir } from '../helpers/temp-store.ts';

const CLI_JS = join(REPO_ROOT, 'dist', 'cli.js');

test('a new .loopline folder ignores itself, so git status stays clean; an existing folder is left alone', () => {
  const t = tempDir();
  try {
    execFileSync('git', ['init', '-q'], { cwd: t.dir });
    RunStore.open(join(t.dir, '.loopline', 'loopline.db')).close();
    assert.match(readFileSync(join(t.dir, '.loopline', '.gitignore'), 'utf8'), /^\*$/m);
    assert.equal(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: t.dir }).toString(), '');
    // A folder the user made (and maybe ignores their own way) gets nothing written into it.
    mkdirSync(join(t.dir, 'mine'));
    RunStore.open(join(t.dir, 'mine', 'store.db')).close();
    assert.throws(() => readFileSync(join(t.dir, 'mine', '.gitignore')));
    // The Python client's offline spool does the same when it is the first to create .loopline/.
    const py = join(t.dir, 'py');
    mkdirSync(py);
    execFileSync('python3', ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(join(REPO_ROOT, 'clients', 'python'))}); import loopline; loopline._make_dirs_ignored('.loopline/spool')`], { cwd: py });
    assert.match(readFileSync(join(py, '.loopline', '.gitignore'), 'utf8'), /^\*$/m);
  } finally {
    t.cleanup();
  }
});

test('hints name the CLI as the user can call it from where they are', () => {
  const t = tempDir();
  try {
    const elsewhere = join(t.dir, 'project');
    mkdirSync(elsewhere);
    // Not on PATH, outside the checkout: the launcher's full path.
    assert.equal(cliInvocation({ cliJs: CLI_JS, pathEnv: '/usr/bin', cwd: elsewhere }), join(REPO_ROOT, 'bin', 'loopline'));
    // Inside the checkout, npx finds the project's own bin.
    assert.equal(cliInvocation({ cliJs: CLI_JS, pathEnv: '/usr/bin', cwd: join(REPO_ROOT, 'examples', 'iris') }), 'npx loopline');
    // On PATH as npm install -g links it, or as the editor's shim: plain `loopline`.
    const bin = join(t.dir, 'bin');
    mkdirSync(bin);
    symlinkSync(join(REPO_ROOT, 'bin', 'loopline'), join(bin, 'loopline'));
    assert.equal(cliInvocation({ cliJs: CLI_JS, pathEnv: `${bin}:/usr/bin`, cwd: elsewhere }), 'loopline');
    const shimBin = join(t.dir, 'shim');
    mkdirSync(shimBin);
    writeFileSync(join(shimBin, 'loopline'), `#!/bin/sh\nexec node '${CLI_JS}' "$@"\n`);
    assert.equal(cliInvocation({ cliJs: CLI_JS, pathEnv: `${shimBin}:/usr/bin`, cwd: elsewhere }), 'loopline');
    // Another program called loopline first on PATH: not ours, so not named.
    const other = join(t.dir, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'loopline'), '#!/bin/sh\necho something else\n');
    assert.equal(cliInvocation({ cliJs: CLI_JS, pathEnv: `${other}:${bin}`, cwd: elsewhere }), join(REPO_ROOT, 'bin', 'loopline'));
  } finally {
    t.cleanup();
  }
});
