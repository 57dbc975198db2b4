import { basename } from 'node:path';
import type { ContainerBackend } from './container-backend.ts';

/** The tag an image built from a folder gets (container runs' --build and serve.build alike). */
export function buildTag(context: string): string {
  return `loopline-build/${basename(context).toLowerCase().replace(/[^a-z0-9_.-]+/g, '-') || 'context'}:latest`;
}

/**
 * Builds the image of a build folder on the engine (the store is never part of the context: see
 * DockerEngineBackend.buildImage) and returns its tag. Rejects with `ImageBuildError` on a failing step.
 */
export async function buildFolderImage(backend: ContainerBackend, b: { context: string; dockerfile?: string; buildArgs?: Record<string, string> }, onLine: (line: string) => void): Promise<string> {
  const tag = buildTag(b.context);
  await backend.buildImage({ context: b.context, tag, buildArgs: b.buildArgs ?? {}, ...(b.dockerfile ? { dockerfile: b.dockerfile } : {}) }, onLine);
  return tag;
}
