import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dockerBackend, type ContainerBackend } from '../containers/container-backend.ts';
import { freePort, serveImage, servingContainer } from '../deploy/serving-spec.ts';
import { LooplineError, invalid } from '../errors.ts';
import type { DataRow, ModelOutput, PredictFn } from '../evaluate/evaluation-types.ts';
import type { ModelRegistry } from '../registry/model-registry.ts';
import type { ModelVersion } from '../registry/registry-types.ts';
import { parseScoringAnswer, scoringRequestBody } from './scoring-protocol.ts';

export interface ScorerOptions {
  /** Default: the Docker engine at DOCKER_HOST (loaded on first use). */
  backend?: ContainerBackend;
  /** Aborting stops the container (Ctrl-C in the CLI, Cancel in VS Code). */
  signal?: AbortSignal;
  /** How long the server may take to answer its health check (default 120 s). */
  startTimeoutMs?: number;
  /** Per request (default 120 s). */
  requestTimeoutMs?: number;
  onStatus?: (message: string) => void;
}

export interface ScoreOptions {
  /** Rows per request (default 1000). */
  batchSize?: number;
  /** Requests in flight at once (default 2); batches still come out in input order. */
  concurrency?: number;
  /**
   * When the model answers a batch with an HTTP error, split it in halves until the rows it refuses
   * are found alone; the other rows are scored. Off: the whole batch is reported as failed.
   */
  isolateRefusedRows?: boolean;
  /**
   * With isolateRefusedRows: before splitting a refused batch, score four of its rows on their own
   * (first, ¼, ½, ¾). When each is refused too, the batch is reported whole with `wholeBatch` set: the
   * request as a whole is wrong (a missing column, wrong types), and splitting would cost two requests
   * per row only to learn that (batch scoring stops there unless told to go on).
   */
  probeBeforeSplitting?: boolean;
  signal?: AbortSignal;
}

export interface ScoringFailure {
  /** http: the server answered an error status; answer: a 200 that breaks the protocol (wrong length…); connection: no answer. */
  kind: 'http' | 'answer' | 'connection';
  status?: number;
  /** The model's own message (the `message` of an MLflow error body), or what was wrong with the answer. */
  message: string;
  /** The raw error body (at most 2,000 characters). */
  body?: string;
  /** Rows probed on their own were refused too: the whole batch is wrong, not single rows (see probeBeforeSplitting). */
  wholeBatch?: boolean;
}

/** Consecutive rows (`offset` counted from 0 over the whole input) with their output or failure. */
export interface ScoredBatch {
  index: number;
  offset: number;
  rows: unknown[][];
  output?: ModelOutput;
  failure?: ScoringFailure;
  ms: number;
}

export class ScoringError extends LooplineError {
  readonly failure: ScoringFailure;
  constructor(failure: ScoringFailure, message: string) {
    super(failure.kind === 'answer' ? 'INVALID_PARAMETER_VALUE' : 'INVALID_STATE', message);
    this.failure = failure;
  }
}

const ROLE_LABEL = 'loopline.role';
const PID_LABEL = 'loopline.scorer.pid';
const HOST_LABEL = 'loopline.scorer.host';
const SCORING_NETWORK = 'loopline-scoring';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rows of a failure, for messages: "rows 1-1000" (1-based). */
export function rowRange(offset: number, count: number): string {
  return count === 1 ? `row ${offset + 1}` : `rows ${offset + 1}-${offset + count}`;
}

export function describeFailure(f: ScoringFailure): string {
  if (f.kind === 'http') return `HTTP ${f.status}: ${f.message}`;
  return f.message;
}

/**
 * A registered model version started exactly as it is served (its serve spec, in its container, via the
 * deploy feature's `servingContainer`), published on 127.0.0.1 only, scored through MLflow's scoring
 * protocol in batches. `score()` streams: only `batchSize × concurrency` rows are held at a time.
 * Stop it with `stop()` (also on abort); a scorer left behind by a killed process is removed the next
 * time one starts on this machine.
 */
export class ModelScorer implements AsyncDisposable {
  readonly version: ModelVersion;
  readonly endpoint: string;
  readonly containerId: string;
  private readonly backend: ContainerBackend;
  private readonly requestTimeoutMs: number;
  private stopped: Promise<void> | undefined;
  private readonly onAbort: () => void;
  private readonly signal: AbortSignal | undefined;

  private constructor(v: ModelVersion, backend: ContainerBackend, containerId: string, endpoint: string, opts: ScorerOptions) {
    this.version = v;
    this.backend = backend;
    this.containerId = containerId;
    this.endpoint = endpoint;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 120_000;
    this.signal = opts.signal;
    this.onAbort = () => void this.stop();
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** `MODEL/VERSION` or `MODEL@ALIAS`: starts its serving container and waits until it is healthy. */
  static async start(registry: ModelRegistry, ref: string, opts: ScorerOptions = {}): Promise<ModelScorer> {
    const v = registry.resolve(ref);
    const backend = opts.backend ?? (await dockerBackend());
    if (backend.remote) throw new LooplineError('INVALID_STATE', `Scoring mounts the model's files into its container, which a remote engine (${backend.endpoint}) cannot see; use a local engine.`);
    const safe = v.model.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').slice(0, 40);
    const built = await serveImage(registry, v, backend, undefined, 'run the command again');
    const { spec, health, port: inner } = servingContainer(registry, v, {
      ...(built ? { image: built } : {}),
      name: `loopline-score-${safe}-v${v.version}-${randomBytes(3).toString('hex')}`,
      labels: { [ROLE_LABEL]: 'scorer', [PID_LABEL]: String(process.pid), [HOST_LABEL]: hostname() },
      network: SCORING_NETWORK,
    });
    const image = spec.image;
    await backend.ping();
    if (!(await backend.inspectImage(image))) throw new LooplineError('INVALID_STATE', `The serving image '${image}' of ${v.model}/${v.version} is not on the engine (${backend.endpoint}); build or load it first (npm run docker:setup builds loopline/python:bookworm).`);
    await removeOrphans(backend);
    // A user-defined network of its own: the default bridge may be absent (dockerd --bridge=none) and
    // the model should not share a network with unrelated containers.
    await backend.ensureNetwork(SCORING_NETWORK, { [ROLE_LABEL]: 'scorer' });
    checkAborted(opts.signal);
    const port = await freePort();
    spec.ports = [{ containerPort: inner, hostPort: port, hostIp: '127.0.0.1' }];
    opts.onStatus?.(`Starting ${v.model}/${v.version} in ${image}…`);
    const id = await backend.startService(spec);
    const scorer = new ModelScorer(v, backend, id, `http://127.0.0.1:${port}`, opts);
    try {
      await scorer.waitHealthy(health, opts.startTimeoutMs ?? 120_000, opts.signal);
    } catch (err) {
      await scorer.stop();
      throw err;
    }
    opts.onStatus?.(`${v.model}/${v.version} is serving on ${scorer.endpoint}`);
    return scorer;
  }

  private async waitHealthy(path: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    for (let i = 0; Date.now() < deadline; i++) {
      checkAborted(signal);
      try {
        const res = await fetch(`${this.endpoint}${path}`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = String((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
      }
      if (i % 5 === 4) {
        const running = (await this.backend.find({ [ROLE_LABEL]: 'scorer', [PID_LABEL]: String(process.pid) }).catch(() => [])).find((c) => c.id === this.containerId)?.running;
        if (running === false) throw new LooplineError('INVALID_STATE', `${this.version.model}/${this.version.version}'s server exited before answering its health check (GET ${path}). Its last log lines:\n${await this.logs()}`);
      }
      await sleep(200);
    }
    throw new LooplineError('INVALID_STATE', `${this.version.model}/${this.version.version} did not answer GET ${path} with 200 within ${Math.round(timeoutMs / 1000)} s (last: ${last}). Its last log lines:\n${await this.logs()}`);
  }

  private async logs(): Promise<string> {
    return (await this.backend.containerLogs(this.containerId, 20).catch(() => '(no logs)')).trim() || '(no output)';
  }

  /** One request. Resolves with the output or the failure; never throws for what the model answered. */
  async scoreRows(columns: string[], rows: unknown[][], signal?: AbortSignal): Promise<{ output?: ModelOutput; failure?: ScoringFailure }> {
    if (this.stopped) throw new LooplineError('INVALID_STATE', 'The scorer was stopped.');
    const signals = [AbortSignal.timeout(this.requestTimeoutMs), ...(signal ? [signal] : []), ...(this.signal ? [this.signal] : [])];
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.endpoint}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: scoringRequestBody(columns, rows), signal: AbortSignal.any(signals) });
      text = await res.text();
    } catch (err) {
      checkAborted(signal);
      checkAborted(this.signal);
      const why = (err as { cause?: { code?: string; message?: string } }).cause;
      return { failure: { kind: 'connection', message: `no answer from the model server (${why?.code ?? why?.message ?? (err as Error).message}); its last log lines:\n${await this.logs()}` } };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.status !== 200) {
      const msg = body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string' ? (body as { message: string }).message : text.slice(0, 500) || res.statusText;
      return { failure: { kind: 'http', status: res.status, message: msg, body: text.slice(0, 2000) } };
    }
    if (body === undefined) return { failure: { kind: 'answer', message: `the answer is not JSON: ${text.slice(0, 120)}` } };
    const parsed = parseScoringAnswer(body, rows.length);
    return 'problem' in parsed ? { failure: { kind: 'answer', message: parsed.problem } } : { output: parsed.output };
  }

  /**
   * Scores a stream of rows (arrays in `columns` order, as a RecordSource gives them), re-batched to
   * `batchSize`, with `concurrency` requests in flight; yields each batch with its output or failure, in
   * input order.
   */
  async *score(columns: string[], source: AsyncIterable<unknown[][]> | Iterable<unknown[][]>, opts: ScoreOptions = {}): AsyncGenerator<ScoredBatch> {
    const batchSize = opts.batchSize ?? 1000;
    const concurrency = opts.concurrency ?? 2;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid(`The batch size must be a whole number of at least 1, got ${batchSize}.`);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw invalid(`Concurrency must be a whole number of at least 1, got ${concurrency}.`);
    const pending: Array<Promise<ScoredBatch[]>> = [];
    // Isolating rows costs ~2 requests per row of a batch; a model that refuses everything is broken,
    // not picky: stop after three whole batches refused in a row.
    let wholeRefused = 0;
    const check = (pieces: ScoredBatch[]): ScoredBatch[] => {
      const all = pieces.every((b) => b.failure);
      wholeRefused = all && opts.isolateRefusedRows && pieces.length > 1 ? wholeRefused + 1 : 0;
      if (wholeRefused >= 3) throw new ScoringError(pieces[0]!.failure!, `${this.version.model}/${this.version.version} refused every row of ${wholeRefused} batches in a row (${describeFailure(pieces[0]!.failure!)}); the model or the data's columns are wrong, not single rows.`);
      return pieces;
    };
    let index = 0;
    let offset = 0;
    for await (const rows of rebatch(source, batchSize)) {
      checkAborted(opts.signal);
      const p = this.scoreBatch(columns, rows, index++, offset, opts);
      p.catch(() => {});
      pending.push(p);
      offset += rows.length;
      if (pending.length >= concurrency) yield* check(await pending.shift()!);
    }
    while (pending.length) yield* check(await pending.shift()!);
  }

  private async scoreBatch(columns: string[], rows: unknown[][], index: number, offset: number, opts: ScoreOptions, top = true): Promise<ScoredBatch[]> {
    const t0 = performance.now();
    const r = await this.scoreRows(columns, rows, opts.signal);
    const ms = performance.now() - t0;
    if (r.output || !opts.isolateRefusedRows || r.failure?.kind !== 'http' || rows.length === 1) return [{ index, offset, rows, ms, ...r }];
    const half = Math.ceil(rows.length / 2);
    if (top && opts.probeBeforeSplitting && rows.length >= 4) {
      const probes = await Promise.all([0, 1, 2, 3].map((q) => this.scoreRows(columns, [rows[Math.floor((q * rows.length) / 4)]!], opts.signal)));
      if (probes.every((p) => p.failure?.kind === 'http')) return [{ index, offset, rows, ms, failure: { ...r.failure, wholeBatch: true } }];
    }
    const [a, b] = await Promise.all([this.scoreBatch(columns, rows.slice(0, half), index, offset, opts, false), this.scoreBatch(columns, rows.slice(half), index, offset + half, opts, false)]);
    return [...a, ...b];
  }

  /**
   * The scorer as the evaluation core's `predict`: rows as objects (the `exclude`d columns, such as
   * the label, are not sent). Rows the model refuses are isolated and listed (row numbers from 1, in
   * the order given) in one ScoringError; any other failure throws at once.
   */
  predictFn(opts: { exclude?: string[]; batchSize?: number; concurrency?: number; signal?: AbortSignal; onProgress?: (rowsDone: number, rowsTotal: number) => void } = {}): PredictFn {
    return async (rows: DataRow[]) => {
      const skip = new Set(opts.exclude ?? []);
      const columns: string[] = [];
      const seen = new Set<string>();
      for (const r of rows) {
        for (const k of Object.keys(r)) {
          if (seen.has(k)) continue;
          seen.add(k);
          if (!skip.has(k)) columns.push(k);
        }
      }
      const out: ModelOutput = { predictions: [] };
      const probs: number[][] = [];
      let done = 0;
      const arrays = function* () {
        const size = opts.batchSize ?? 1000;
        for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size).map((r) => columns.map((c) => r[c]));
      };
      const refused: ScoredBatch[] = [];
      for await (const b of this.score(columns, arrays(), { ...opts, isolateRefusedRows: true })) {
        if (b.failure?.kind === 'http') {
          refused.push(b);
          continue;
        }
        if (b.failure) throw new ScoringError(b.failure, `${this.version.model}/${this.version.version} failed on ${rowRange(b.offset, b.rows.length)}: ${describeFailure(b.failure)}`);
        const o = b.output!;
        for (const p of o.predictions) out.predictions.push(p);
        if (o.probabilities) for (const p of o.probabilities) probs.push(p);
        else if (probs.length) throw new ScoringError({ kind: 'answer', message: 'probabilities missing' }, `${this.version.model}/${this.version.version} returned probabilities for some batches but not for ${rowRange(b.offset, b.rows.length)}.`);
        if (o.classes) out.classes = o.classes;
        done += b.rows.length;
        opts.onProgress?.(done, rows.length);
      }
      if (refused.length) {
        const count = refused.reduce((n, b) => n + b.rows.length, 0);
        const list = refused.slice(0, 5).map((b) => `${rowRange(b.offset, b.rows.length)}: ${describeFailure(b.failure!)}`).join('; ');
        throw new ScoringError(refused[0]!.failure!, `${this.version.model}/${this.version.version} refused ${count} of ${rows.length} rows (${list}${refused.length > 5 ? '; …' : ''}). Fix or drop those rows; every row must be scored to evaluate.`);
      }
      if (probs.length) {
        if (probs.length !== rows.length) throw new ScoringError({ kind: 'answer', message: 'probabilities missing' }, `${this.version.model}/${this.version.version} returned probabilities for only ${probs.length} of ${rows.length} rows.`);
        out.probabilities = probs;
      }
      return out;
    };
  }

  /** Removes the container (idempotent). */
  stop(): Promise<void> {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.stopped ??= this.backend.removeContainer(this.containerId).catch(() => {});
    return this.stopped;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** Splits or joins incoming row arrays into batches of exactly `size` rows (the last may be shorter). */
export async function* rebatch(source: AsyncIterable<unknown[][]> | Iterable<unknown[][]>, size: number): AsyncGenerator<unknown[][]> {
  let buf: unknown[][] = [];
  for await (const rows of source) {
    for (const r of rows) {
      buf.push(r);
      if (buf.length === size) {
        yield buf;
        buf = [];
      }
    }
  }
  if (buf.length) yield buf;
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LooplineError('INVALID_STATE', 'Scoring was cancelled; the model container was stopped.');
}

/** Scorer containers of processes on this machine that no longer exist (killed before they could clean up). */
async function removeOrphans(backend: ContainerBackend): Promise<void> {
  const found = await backend.find({ [ROLE_LABEL]: 'scorer', [HOST_LABEL]: hostname() }).catch(() => []);
  for (const c of found) {
    const pid = Number(c.labels[PID_LABEL]);
    if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) continue;
    await backend.removeContainer(c.id).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
