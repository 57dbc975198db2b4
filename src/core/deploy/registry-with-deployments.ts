import { ModelRegistry, type ModelRegistryOptions } from '../registry/model-registry.ts';
import type { RunStore } from '../store/run-store.ts';
import { DeploymentRecords } from './deployment-records.ts';

/** A registry that knows which versions are deployed, so it refuses to archive or delete them. */
export function registryWithDeployments(store: RunStore, opts: Omit<ModelRegistryOptions, 'deployedVersions'> = {}): ModelRegistry {
  const records = new DeploymentRecords(store.db);
  return new ModelRegistry(store, { ...opts, deployedVersions: (model) => records.deployedVersions(model) });
}
