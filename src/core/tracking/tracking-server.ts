import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Emitter, type Event } from '../events.ts';
import { LooplineError, explainStoreError, type ErrorCode } from '../errors.ts';
import type { RunStore } from '../store/run-store.ts';
import { MLFLOW_ROUTES, type RouteContext } from './mlflow-routes.ts';
import { handleArtifactRequest } from './artifact-routes.ts';
import type { Fields } from './request-fields.ts';
import { HttpStatusError, sendJson, sendText } from './http-responses.ts';
import type { ModelRegistry } from '../registry/model-registry.ts';
import { registryWithDeployments } from '../deploy/registry-with-deployments.ts';
import { REGISTRY_ROUTES } from '../registry/registry-routes.ts';

export interface TrackingServerOptions {
  store: RunStore;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The bearer token every request must carry; a random one when not given. */
  token?: string;
  /** Extra `Host` names to accept besides 127.0.0.1 / localhost / [::1] (e.g. for containers). */
  allowedHosts?: string[];
  /** JSON request bodies larger than this are refused (bytes). */
  maxJsonBytes?: number;
  /** One line per failed request; never given the token. */
  log?: (line: string) => void;
  now?: () => number;
  /** Serves MLflow's model-registry endpoints; default a registry over `store`. */
  registry?: ModelRegistry;
}

export interface StoreChange {
  /** The run whose data changed, or null for experiment-level changes. */
  runId: string | null;
}

const DEFAULT_MAX_JSON_BYTES = 16 * 1024 * 1024;
const DRAIN_MS = 30_000;

const MLFLOW_PREFIXES = ['/api/2.0/mlflow/', '/ajax-api/2.0/mlflow/'];
const ARTIFACTS_PREFIX = '/api/2.0/mlflow-artifacts/artifacts';

const STATUS_OF: Record<ErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  INVALID_STATE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  INTERNAL_ERROR: 500,
};

/**
 * MLflow-compatible tracking server on 127.0.0.1. Every request must carry the bearer token the
 * server was started with and a loopback `Host` header (a DNS-rebinding defence).
 */
export class TrackingServer {
  readonly token: string;
  private readonly server: Server;
  private readonly opts: TrackingServerOptions;
  private readonly changes = new Emitter<StoreChange>();
  readonly onDidChange: Event<StoreChange> = this.changes.event;
  private readonly tokenBuf: Buffer;
  private readonly ctx: RouteContext;
  private boundPort = 0;
  private registryInstance: ModelRegistry | undefined;

  private constructor(opts: TrackingServerOptions) {
    this.opts = opts;
    this.token = opts.token ?? randomBytes(24).toString('base64url');
    this.tokenBuf = Buffer.from(`Bearer ${this.token}`);
    this.ctx = { store: opts.store, now: opts.now ?? Date.now, changed: (runId) => this.changes.fire({ runId }) };
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => this.sendError(res, req, err));
    });
    // Keep-alive connections from training clients are reused for every batch.
    this.server.keepAliveTimeout = 30_000;
  }

  static async start(opts: TrackingServerOptions): Promise<TrackingServer> {
    const s = new TrackingServer(opts);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new LooplineError('INVALID_STATE', `Port ${opts.port} on 127.0.0.1 is already in use; pick another with --port, or 0 for any free port.`)
            : err,
        );
      });
      s.server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    s.boundPort = (s.server.address() as AddressInfo).port;
    return s;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  async close(): Promise<void> {
    this.changes.dispose();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private allowedHost(host: string | undefined): boolean {
    if (!host) return false;
    const p = this.boundPort;
    const ok = [`127.0.0.1:${p}`, `localhost:${p}`, `[::1]:${p}`, ...(this.opts.allowedHosts ?? []).map((h) => (h.includes(':') ? h : `${h}:${p}`))];
    return ok.includes(host.toLowerCase());
  }

  private authorized(header: string | undefined): boolean {
    if (!header) return false;
    const got = Buffer.from(header);
    return got.length === this.tokenBuf.length && timingSafeEqual(got, this.tokenBuf);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.allowedHost(req.headers.host)) {
      throw new LooplineError('PERMISSION_DENIED', `Invalid Host header '${req.headers.host ?? ''}': this server only answers requests addressed to 127.0.0.1 or localhost.`);
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/health') return sendText(res, 200, 'OK');
    if (!this.authorized(req.headers.authorization)) {
      throw new LooplineError(
        'UNAUTHENTICATED',
        'Missing or wrong token: send "Authorization: Bearer <token>" with the token this server printed at start (MLFLOW_TRACKING_TOKEN).',
      );
    }
    if (url.pathname === ARTIFACTS_PREFIX || url.pathname.startsWith(`${ARTIFACTS_PREFIX}/`)) {
      const rel = decodePath(url.pathname.slice(ARTIFACTS_PREFIX.length).replace(/^\//, ''));
      const changedRun = await handleArtifactRequest(req, res, this.opts.store, rel, url.searchParams);
      if (changedRun) this.ctx.changed(changedRun);
      return;
    }
    const prefix = MLFLOW_PREFIXES.find((p) => url.pathname.startsWith(p));
    const name = prefix ? url.pathname.slice(prefix.length).replace(/\/$/, '') : undefined;
    const route = name ? MLFLOW_ROUTES[name] : undefined;
    const registryHandler = name ? REGISTRY_ROUTES[name] : undefined;
    if (!route && !registryHandler) {
      throw new LooplineError('ENDPOINT_NOT_FOUND', `No endpoint ${req.method} ${url.pathname} in Loopline's MLflow-compatible API.`);
    }
    const methods: readonly string[] = route ? route.methods : ['GET', 'POST', 'PATCH', 'DELETE'];
    if (!methods.includes(req.method ?? '')) {
      res.setHeader('Allow', methods.join(', '));
      throw new HttpStatusError(405, 'BAD_REQUEST', `${name} accepts ${methods.join(' or ')} only (as in MLflow's REST API), not ${req.method}.`);
    }
    const fields: Fields = queryFields(url.searchParams);
    Object.assign(fields, await readJsonBody(req, this.opts.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES));
    if (route) return sendJson(res, 200, route.handle(fields, this.ctx));
    fields.__method = req.method;
    sendJson(res, 200, registryHandler!(fields, this.registry));
  }

  get registry(): ModelRegistry {
    this.registryInstance ??= this.opts.registry ?? registryWithDeployments(this.opts.store, this.opts.now ? { now: this.opts.now } : {});
    return this.registryInstance;
  }

  private sendError(res: ServerResponse, req: IncomingMessage, raw: unknown): void {
    const err = explainStoreError(raw);
    const known = err instanceof LooplineError;
    const code: ErrorCode = known ? err.code : 'INTERNAL_ERROR';
    const message = known ? err.message : `Internal error: ${err instanceof Error ? err.message : String(err)}`;
    const status = err instanceof HttpStatusError ? err.status : STATUS_OF[code];
    if (status >= 500 || !known) this.opts.log?.(`${req.method} ${(req.url ?? '').split('?')[0]} -> ${status} ${message}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    drainRequest(req);
    sendJson(res, status, { error_code: code, message });
  }
}

function queryFields(params: URLSearchParams): Fields {
  const f: Fields = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    f[key] = all.length > 1 || key === 'experiment_ids' || key === 'order_by' ? all : all[0];
  }
  return f;
}

/**
 * Reads the JSON body without async iteration: leaving a `for await` early destroys the socket,
 * and the client would see a reset instead of our 413.
 */
function readJsonBody(req: IncomingMessage, limit: number): Promise<Fields> {
  const tooLarge = (size: number) =>
    new HttpStatusError(
      413,
      'BAD_REQUEST',
      `Request body of ${size} bytes is larger than the limit of ${limit} bytes; send smaller batches (log-batch takes at most 1000 metrics per call).`,
    );
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(declared));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData).off('end', onEnd);
      reject(tooLarge(size));
    };
    const onEnd = () => {
      try {
        resolve(parseJsonBody(Buffer.concat(chunks)));
      } catch (err) {
        reject(err);
      }
    };
    req.on('data', onData).on('end', onEnd).on('error', reject);
  });
}

function parseJsonBody(body: Buffer): Fields {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new LooplineError('INVALID_PARAMETER_VALUE', `Malformed JSON in request body: ${(err as Error).message}. Send a JSON object.`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new LooplineError('INVALID_PARAMETER_VALUE', 'The request body must be a JSON object.');
  }
  return parsed as Fields;
}

/**
 * Discards what the client still sends so it finishes writing and reads our answer instead of a
 * reset connection (clients like Python's http.client send the whole body before reading).
 * A client that never stops is cut off after a while.
 */
function drainRequest(req: IncomingMessage): void {
  if (req.complete) return;
  req.on('data', () => {});
  req.resume();
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_MS);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
}

function decodePath(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw new LooplineError('INVALID_PARAMETER_VALUE', `Artifact path '${p}' is not valid percent-encoding.`);
  }
}
