import { snapshotGit } from '../git/git-snapshot.ts';
import { guessSourceFile } from '../runs/run-launcher.ts';
import type { RunStore } from '../store/run-store.ts';
import { validateDefinition, type SweepDefinition } from './sweep-definition.ts';
import { SweepQueue } from './sweep-queue.ts';

/**
 * Queues a sweep: checks the definition, snapshots the code once (every trial runs the same
 * commit and patch), and creates the parent run and its SCHEDULED trials.
 */
export async function createSweep(store: RunStore, def: SweepDefinition): Promise<{ sweepId: string; trialIds: string[] }> {
  validateDefinition(def);
  const git = await snapshotGit(def.cwd);
  const sourceFile = guessSourceFile(def.command, def.cwd);
  return new SweepQueue(store).createSweep(def, { git, sourceFile, backendName: def.backend.kind === 'container' ? 'container' : 'local' });
}
