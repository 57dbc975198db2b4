// The demo's later stages (scripts/demo-stages.ts): the registered model before the first screen,
// and what it says when no Docker engine answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerDemoModel, startDockerStages } from '../scripts/demo-stages.ts';
import { runCli } from './helpers/cli.ts';
import { seedIrisWorkspace } from './helpers/seed-workspace.ts';
import { tempDir } from './helpers/temp-store.ts';

test('npm start registers the best seeded run as iris@champion; without a Docker engine it says how to get one', { timeout: 120_000 }, async () => {
  const t = tempDir();
  try {
    const ws = seedIrisWorkspace(join(t.dir, 'iris'), ['0.05', '0.8'], 30);
    await registerDemoModel(ws);
    const models = JSON.parse((await runCli(['models', '--json'], { cwd: ws })).stdout) as Array<{ name: string; aliases: Record<string, number> }>;
    assert.equal(models[0]?.name, 'iris');
    assert.equal(models[0]?.aliases.champion, 1);
    // The extension's server advert is what starts the Docker stages.
    mkdirSync(join(ws, '.loopline'), { recursive: true });
    writeFileSync(join(ws, '.loopline', 'server.json'), '{}');
    const lines: string[] = [];
    const env = { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock', LOOPLINE_CACHE: join(t.dir, 'cache') };
    const stages = startDockerStages(ws, { log: (l) => lines.push(l), env, settleMs: 0 });
    await stages.done;
    await stages.stop();
    const said = lines.join('\n');
    assert.match(said, /No Docker engine answers/);
    assert.match(said, /npm run docker:setup/);
    assert.doesNotMatch(said, /loopline (run|sweep|deploy) /, 'no Docker stage was attempted');
  } finally {
    t.cleanup();
  }
});
