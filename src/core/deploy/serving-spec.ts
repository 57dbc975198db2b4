import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { invalid } from '../errors.ts';
import { isImageBuildError, type ContainerBackend, type ServiceSpec } from '../containers/container-backend.ts';
import { buildFolderImage } from '../containers/image-build.ts';
import { LooplineError } from '../errors.ts';
import type { ModelRegistry } from '../registry/model-registry.ts';
import type { ModelVersion } from '../registry/registry-types.ts';
import { MODEL_PORT } from './nginx-config.ts';

/** Where a version's server listens inside its container and how its health is checked. */
export interface ServingContainer {
  spec: ServiceSpec;
  /** Port inside the container. */
  port: number;
  /** Health path from the serve spec (default /ping). */
  health: string;
}

/**
 * The shell command that starts a serve spec's server. The proxy (or the scorer's published port)
 * reaches it from outside its container, so it must listen on 8080 on every address
 * (examples/iris/serve.py binds 127.0.0.1 unless told otherwise): `--port 8080` and `--host 0.0.0.0`
 * are added unless the command already says where to listen in a form servers use (`--port`, `-p`,
 * `--bind`/`-b` as gunicorn takes it, `host:port`, `$PORT`/`$HOST`, which the container also sets).
 */
export function servingCommand(command: string): string {
  const binds = /(^|\s)(--bind|-b)(\s|=)/.test(command) || /(^|[\s=])[\w.\-[\]:]*:\d{2,5}(\s|$)/.test(command);
  const port = binds || /(^|\s)(--port|-p)(\s|=)|\$\{?PORT\b/.test(command);
  const host = binds || /(^|\s)(--host|-h)(\s|=)|\$\{?HOST\b/.test(command);
  return `${command}${port ? '' : ` --port ${MODEL_PORT}`}${host ? '' : ' --host 0.0.0.0'}`;
}

/**
 * The container a model version is served in: its serve spec (the one recorded at registration, else
 * loopline.yaml's), the version's files read-only at /model, the project read-only at /app. Deployments
 * and the scorer (evaluate, predict) both start versions through this, so what is evaluated is what
 * would be deployed.
 */
export function servingContainer(registry: ModelRegistry, v: ModelVersion, place: { name: string; labels: Record<string, string>; network: string; ports?: ServiceSpec['ports']; image?: string }): ServingContainer {
  const serve = v.lineage.serve ?? registry.projectConfig().serve;
  if (!serve?.command) throw invalid(`No serve: section with a command for ${v.model}/${v.version}; add to loopline.yaml: serve: {image: IMAGE, command: python3 serve.py --model /model, port: 8080, health: /ping}.`);
  const image = place.image ?? serve.image;
  if (!image) throw invalid(`serve: needs image: (an image with the runtime, e.g. loopline/python:bookworm from npm run docker:setup) or build: (a folder with a Dockerfile, e.g. build: .).`);
  const port = serve.port ?? MODEL_PORT;
  if (port !== MODEL_PORT) throw invalid(`serve.port must be ${MODEL_PORT} for now (the proxy reaches every model container there).`);
  const command = ['sh', '-c', servingCommand(serve.command)];
  return {
    port,
    health: serve.health ?? '/ping',
    spec: {
      name: place.name,
      image,
      command,
      workingDir: '/app',
      env: { LOOPLINE_MODEL: v.model, LOOPLINE_MODEL_VERSION: String(v.version), PYTHONUNBUFFERED: '1', PORT: String(MODEL_PORT), HOST: '0.0.0.0' },
      labels: { 'loopline.model': v.model, 'loopline.version': String(v.version), ...place.labels },
      binds: [
        { source: v.dir, target: '/model', readOnly: true },
        { source: registry.projectDir, target: '/app', readOnly: true },
        // The workspace store, registry and capture logs are not the model's to read: an empty folder over them.
        ...privateDirs(registry).map((target) => ({ source: emptyDir(registry), target, readOnly: true })),
      ],
      copyIn: [],
      network: place.network,
      ...(place.ports ? { ports: place.ports } : {}),
    },
  };
}

/**
 * The image a version is served from: `serve.image` as it is, or `serve.build` (a folder of the project
 * with a Dockerfile) built on the engine the way container runs build theirs. Undefined when neither
 * is set (servingContainer then says what to add).
 */
export async function serveImage(registry: ModelRegistry, v: ModelVersion, backend: ContainerBackend, onLine: (line: string) => void = () => {}, retry = 'deploy again; the live version is untouched'): Promise<string | undefined> {
  const serve = v.lineage.serve ?? registry.projectConfig().serve;
  if (serve?.image || !serve?.build) return serve?.image;
  const context = resolve(registry.projectDir, serve.build);
  const inside = relative(registry.projectDir, context);
  if (inside.startsWith('..') || isAbsolute(inside)) throw invalid(`serve.build '${serve.build}' is outside the project; name a folder inside it (e.g. build: .).`);
  if (!existsSync(join(context, 'Dockerfile'))) throw invalid(`serve.build '${serve.build}' has no Dockerfile; add one there (FROM an image with your runtime), or use serve.image instead.`);
  try {
    return await buildFolderImage(backend, { context }, onLine);
  } catch (err) {
    if (!isImageBuildError(err)) throw err;
    throw new LooplineError('INVALID_STATE', `Building the serving image of ${v.model}/${v.version} from serve.build '${serve.build}' failed: ${err.message}. The failing step's output:\n${err.output.trim()}\nFix the Dockerfile and ${retry}.`);
  }
}

/** A port free on 127.0.0.1 right now (the engine binds it a moment later). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Folders inside the project (mounted at /app) that serving containers must not see, as /app paths. */
function privateDirs(registry: ModelRegistry): string[] {
  const dirs = new Set([join(registry.projectDir, '.loopline'), dirname(registry.store.path)]);
  return [...dirs]
    .filter((p) => existsSync(p))
    .map((p) => relative(registry.projectDir, p))
    .filter((r) => r && !r.startsWith('..') && !isAbsolute(r))
    .map((r) => `/app/${r.split(/[\\/]/).join('/')}`);
}

/** An empty folder to mount over the private ones (kept empty: mounted read-only). */
function emptyDir(registry: ModelRegistry): string {
  const dir = join(dirname(registry.store.path), 'mask');
  mkdirSync(dir, { recursive: true });
  return dir;
}
