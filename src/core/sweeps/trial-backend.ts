import type { ContainerRunOptions } from '../containers/container-options.ts';
import { LocalProcessBackend } from '../runs/local-process-backend.ts';
import type { RunBackend } from '../runs/run-backend.ts';
import type { SweepDefinition } from './sweep-definition.ts';

/**
 * The backend a sweep's trials run on, chosen per sweep: a local process, or a container like
 * `loopline run --container` (dockerode is loaded only then).
 */
export async function trialBackend(def: SweepDefinition): Promise<RunBackend> {
  if (def.backend.kind === 'container') {
    const { ContainerRunBackend } = await import('../containers/container-run-backend.ts');
    return new ContainerRunBackend(def.backend.options as unknown as ContainerRunOptions);
  }
  return new LocalProcessBackend();
}
