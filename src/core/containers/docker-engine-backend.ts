import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import Docker from 'dockerode';
import {
  ImageBuildError,
  type BuildSpec,
  type ContainerBackend,
  type ContainerExit,
  type ContainerHandle,
  type ContainerSpec,
  type ContainerSummary,
  type ImageSummary,
  type OutputSink,
  type ServiceSpec,
} from './container-backend.ts';
import { resolveEngineEndpoint, sshLogin } from './docker-endpoint.ts';
import { explainEngineError } from './engine-errors.ts';

/** The socket `npm run docker:setup` starts an engine on when the machine has none. */
export function looplineEngineSocket(): string {
  return join(process.env.LOOPLINE_CACHE ?? join(homedir(), '.cache', 'loopline'), 'docker', 'engine', 'docker.sock');
}

/** `ContainerBackend` over the Docker Engine API with dockerode. */
export class DockerEngineBackend implements ContainerBackend {
  readonly endpoint: string;
  readonly remote: boolean;
  readonly onThisMachine: boolean;
  private readonly docker: Docker;

  private constructor(docker: Docker, endpoint: string, remote: boolean) {
    this.docker = docker;
    this.endpoint = endpoint;
    this.remote = remote;
    this.onThisMachine = !remote || /^tcp:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:|\/|$)/.test(endpoint);
  }

  /**
   * The engine the docker CLI would use: DOCKER_HOST, else the current docker context (see
   * docker-endpoint.ts), else the default socket, or Loopline's own engine when only that exists.
   */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): DockerEngineBackend {
    const found = resolveEngineEndpoint(env);
    const host = found?.host;
    if (host && !host.startsWith('unix://')) {
      const label = found.source === 'DOCKER_HOST' ? `DOCKER_HOST='${host}'` : `${found.source} (${host})`;
      let url: URL;
      try {
        url = new URL(host.includes('//') ? host : `tcp://${host}`);
      } catch {
        throw new Error(`${label} is not an engine address: use unix:///path/docker.sock, tcp://host:port or ssh://user@host.`);
      }
      let docker: Docker;
      if (url.protocol === 'ssh:') {
        const login = sshLogin(env);
        // docker-modem lets DOCKER_HOST's own ssh options (only the agent) override these.
        docker = new Docker({
          protocol: 'ssh',
          host: url.hostname,
          port: Number(url.port) || 22,
          ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
          sshOptions: { ...(login.agent ? { agent: login.agent } : {}), ...(login.privateKey ? { privateKey: login.privateKey } : {}) },
        } as Docker.DockerOptions);
      } else if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
        if (found.source === 'DOCKER_HOST') docker = new Docker(); // docker-modem reads DOCKER_TLS_VERIFY / DOCKER_CERT_PATH itself
        else {
          const tls = found.tls;
          const https = !!tls?.cert || url.protocol === 'https:' || url.port === '2376';
          docker = new Docker({
            protocol: https ? 'https' : 'http',
            host: url.hostname,
            port: Number(url.port) || (https ? 2376 : 2375),
            ...(tls?.ca ? { ca: tls.ca } : {}),
            ...(tls?.cert ? { cert: tls.cert } : {}),
            ...(tls?.key ? { key: tls.key } : {}),
          });
        }
      } else throw new Error(`${label} uses '${url.protocol}//', which Loopline cannot reach: use unix://, tcp:// or ssh://.`);
      return new DockerEngineBackend(docker, host, true);
    }
    let socketPath = host ? host.slice('unix://'.length) : '/var/run/docker.sock';
    if (!host && !existsSync(socketPath) && existsSync(looplineEngineSocket())) socketPath = looplineEngineSocket();
    return new DockerEngineBackend(new Docker({ socketPath }), `unix://${socketPath}`, false);
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw explainEngineError(err, this.endpoint);
    }
  }

  async ping(): Promise<void> {
    await this.call(() => this.docker.ping());
  }

  async hasGpuRuntime(): Promise<boolean> {
    const info = (await this.call(() => this.docker.info())) as { Runtimes?: Record<string, unknown> };
    return Object.keys(info.Runtimes ?? {}).some((r) => /nvidia/i.test(r));
  }

  async inspectImage(ref: string): Promise<{ id: string } | null> {
    try {
      const info = await this.docker.getImage(ref).inspect();
      return { id: info.Id };
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return null;
      throw explainEngineError(err, this.endpoint);
    }
  }

  async listImages(): Promise<ImageSummary[]> {
    const images = await this.call(() => this.docker.listImages());
    return images.flatMap((i) => (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>').map((ref) => ({ ref, id: i.Id, size: i.Size })));
  }

  async buildImage(spec: BuildSpec, onLine: (line: string) => void): Promise<{ imageId: string }> {
    // Never send the store (and the server token in .loopline/server.json) to the engine or into an image.
    const context = tarOf(spec.context, '', ['./.loopline']);
    const opts: Record<string, unknown> = { t: spec.tag, rm: true, forcerm: true, buildargs: JSON.stringify(spec.buildArgs) };
    if (spec.dockerfile) opts.dockerfile = spec.dockerfile;
    const stream = await this.call(() => this.docker.buildImage(context, opts));
    const lines: string[] = [];
    let partial = '';
    const take = (text: string) => {
      const parts = (partial + text).split('\n');
      partial = parts.pop() ?? '';
      for (const l of parts) {
        lines.push(l);
        onLine(l);
      }
    };
    let failure: string | undefined;
    await new Promise<void>((resolve, reject) =>
      this.docker.modem.followProgress(
        stream,
        (err) => (err ? reject(explainEngineError(err, this.endpoint)) : resolve()),
        (event: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
          if (event.stream) take(event.stream);
          if (event.error || event.errorDetail) failure = event.errorDetail?.message ?? event.error;
        },
      ),
    );
    if (partial) take('\n');
    if (failure) {
      // The failing step's output is what came after the last "Step N/M" line.
      const lastStep = lines.map((l, i) => (/^Step \d+\/\d+ :/.test(l) ? i : -1)).filter((i) => i >= 0).at(-1) ?? Math.max(0, lines.length - 20);
      const output = lines.slice(lastStep).join('\n');
      throw new ImageBuildError(`The image build failed: ${failure}`, output);
    }
    const info = await this.inspectImage(spec.tag);
    if (!info) throw new ImageBuildError(`The build finished but image ${spec.tag} is not on the engine.`, lines.slice(-20).join('\n'));
    return { imageId: info.id };
  }

  async networkGateway(network: string): Promise<string | null> {
    if (network === 'none' || network === 'host') return null;
    const info = (await this.call(() => this.docker.getNetwork(network).inspect())) as {
      IPAM?: { Config?: Array<{ Gateway?: string; Subnet?: string }> };
      Options?: Record<string, string>;
    };
    const gw = info.IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
    if (gw) return gw;
    // The default bridge often lists no gateway: it is the address of its host interface (docker0),
    // the subnet's first address unless configured otherwise.
    const ifname = info.Options?.['com.docker.network.bridge.name'];
    const addr = ifname ? networkInterfaces()[ifname]?.find((a) => a.family === 'IPv4') : undefined;
    if (addr) return addr.address;
    const subnet = info.IPAM?.Config?.find((c) => c.Subnet && /^\d+\.\d+\.\d+\.0\//.test(c.Subnet))?.Subnet;
    return subnet ? subnet.replace(/\.0\/\d+$/, '.1') : null;
  }

  async networkAddresses(network: string): Promise<Record<string, string>> {
    const info = (await this.call(() => this.docker.getNetwork(network).inspect())) as { Containers?: Record<string, { Name?: string; IPv4Address?: string }> };
    const out: Record<string, string> = {};
    for (const c of Object.values(info.Containers ?? {})) if (c.Name && c.IPv4Address) out[c.Name] = c.IPv4Address.replace(/\/\d+$/, '');
    return out;
  }

  async start(spec: ContainerSpec, onOutput: OutputSink): Promise<ContainerHandle> {
    const hostConfig: Docker.HostConfig = { NetworkMode: spec.network, AutoRemove: false };
    if (!this.remote) hostConfig.Binds = spec.binds.map((b) => `${b.source}:${b.target}:${b.readOnly ? 'ro' : 'rw'}`);
    if (spec.cpus) hostConfig.NanoCpus = Math.round(spec.cpus * 1e9);
    if (spec.memoryBytes) {
      hostConfig.Memory = spec.memoryBytes;
      hostConfig.MemorySwap = spec.memoryBytes; // no swap: the limit is what the script gets
    }
    if (spec.shmSizeBytes) hostConfig.ShmSize = spec.shmSizeBytes;
    if (spec.gpus !== undefined) hostConfig.DeviceRequests = [{ Driver: '', Count: spec.gpus === 'all' ? -1 : spec.gpus, Capabilities: [['gpu']] }];
    const container = await this.call(() =>
      this.docker.createContainer({
        Image: spec.image,
        Cmd: spec.command,
        WorkingDir: spec.workingDir,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: spec.labels,
        Tty: false,
        AttachStdout: true,
        AttachStderr: true,
        HostConfig: hostConfig,
      }),
    );
    try {
      if (this.remote) for (const c of spec.copyIn) await container.putArchive(tarOf(c.source, c.target.replace(/^\/+/, ''), c.exclude ?? []), { path: '/' });
      // Attach before start so no output is lost; wait for the *next* exit (a created container
      // counts as not running, so the default condition would return at once). The wait is the
      // engine's wait API (answered the moment the container exits), not polling; both requests
      // go out together.
      const exited = this.waitForNextExit(container.id);
      exited.catch(() => {});
      const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as unknown as Readable;
      const delivered = this.demux(stream, onOutput);
      await exited.registered;
      await container.start();
      const imageId = spec.imageId ?? (await container.inspect()).Image;
      return this.handle(container, imageId, exited, delivered);
    } catch (err) {
      await container.remove({ force: true }).catch(() => {});
      throw explainEngineError(err, this.endpoint);
    }
  }

  async find(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const filters = { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
    const list = await this.call(() => this.docker.listContainers({ all: true, filters: JSON.stringify(filters) }));
    return list.map((c) => ({ id: c.Id, labels: c.Labels ?? {}, running: c.State === 'running' }));
  }

  async reattach(id: string, onOutput: OutputSink): Promise<ContainerHandle> {
    const container = this.docker.getContainer(id);
    const info = await this.call(() => container.inspect());
    const stream = (await this.call(() => container.logs({ follow: true, stdout: true, stderr: true }))) as unknown as Readable;
    const delivered = this.demux(stream, onOutput);
    const exited = container.wait();
    exited.catch(() => {});
    return this.handle(container, info.Image, exited, delivered);
  }

  async startService(spec: ServiceSpec): Promise<string> {
    const hostConfig: Docker.HostConfig = { NetworkMode: spec.network, AutoRemove: false, RestartPolicy: { Name: 'no' } };
    if (!this.remote) hostConfig.Binds = spec.binds.map((b) => `${b.source}:${b.target}:${b.readOnly ? 'ro' : 'rw'}`);
    if (spec.cpus) hostConfig.NanoCpus = Math.round(spec.cpus * 1e9);
    if (spec.memoryBytes) hostConfig.Memory = spec.memoryBytes;
    const exposed: Record<string, object> = {};
    if (spec.ports?.length) {
      hostConfig.PortBindings = {};
      for (const p of spec.ports) {
        exposed[`${p.containerPort}/tcp`] = {};
        hostConfig.PortBindings[`${p.containerPort}/tcp`] = [{ HostIp: p.hostIp, HostPort: String(p.hostPort) }];
      }
    }
    const container = await this.call(() =>
      this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Cmd: spec.command,
        WorkingDir: spec.workingDir,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: spec.labels,
        ExposedPorts: exposed,
        HostConfig: hostConfig,
      }),
    );
    try {
      if (this.remote) for (const c of spec.copyIn) await container.putArchive(tarOf(c.source, c.target.replace(/^\/+/, ''), []), { path: '/' });
      await container.start();
      return container.id;
    } catch (err) {
      await container.remove({ force: true }).catch(() => {});
      throw explainEngineError(err, this.endpoint);
    }
  }

  async signalContainer(id: string, sig: 'SIGHUP' | 'SIGTERM' | 'SIGKILL'): Promise<void> {
    try {
      await this.docker.getContainer(id).kill({ signal: sig });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 409) throw explainEngineError(err, this.endpoint);
    }
  }

  async removeContainer(id: string): Promise<void> {
    await this.docker
      .getContainer(id)
      .remove({ force: true })
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 404 && err.statusCode !== 409) throw explainEngineError(err, this.endpoint);
      });
  }

  async containerLogs(id: string, lines: number): Promise<string> {
    const buf = (await this.call(() => this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false }))) as unknown as Buffer;
    // Non-TTY logs are multiplexed: 8-byte frame headers before each chunk.
    const parts: Buffer[] = [];
    for (let i = 0; i + 8 <= buf.length; ) {
      const size = buf.readUInt32BE(i + 4);
      parts.push(buf.subarray(i + 8, i + 8 + size));
      i += 8 + size;
    }
    return Buffer.concat(parts).toString('utf8');
  }

  async ensureNetwork(name: string, labels: Record<string, string>): Promise<void> {
    const existing = await this.call(() => this.docker.listNetworks({ filters: JSON.stringify({ name: [name] }) }));
    if (existing.some((n) => n.Name === name)) return;
    await this.call(() => this.docker.createNetwork({ Name: name, Driver: 'bridge', Labels: labels, CheckDuplicate: true }));
  }

  async removeNetwork(name: string): Promise<void> {
    const network = this.docker.getNetwork(name);
    for (let attempt = 0; ; attempt++) {
      try {
        await network.remove();
        return;
      } catch (raw) {
        const err = raw as { statusCode?: number; message?: string };
        if (err.statusCode === 404) return;
        // dockerd can still hold the endpoint of a container it has just removed ("has active
        // endpoints"): detach what is left and try again for a few seconds before giving up.
        if (err.statusCode !== 403 || !/active endpoints/.test(err.message ?? '') || attempt >= 10) throw explainEngineError(err, this.endpoint);
        const info = (await network.inspect().catch(() => ({}))) as { Containers?: Record<string, unknown> };
        for (const id of Object.keys(info.Containers ?? {})) await network.disconnect({ Container: id, Force: true }).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }

  /**
   * The engine's wait API for the container's next exit. `registered` settles when the engine has
   * answered the request's headers, i.e. it is waiting: only then may the container start, or a
   * command that exits at once could end before the wait exists and the wait would never return.
   */
  private waitForNextExit(id: string): Promise<{ StatusCode: number }> & { registered: Promise<void> } {
    let registered!: Promise<void>;
    const result = new Promise<{ StatusCode: number }>((resolve, reject) => {
      registered = new Promise<void>((ok, fail) => {
        this.docker.modem.dial(
          {
            path: `/containers/${id}/wait?`,
            method: 'POST',
            isStream: true,
            statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such container', 500: 'server error' },
            options: { condition: 'next-exit' },
          },
          (err, result) => {
            const res = result as Readable | null;
            if (err || !res) {
              const e = err ?? new Error('the Docker engine gave no answer to the wait request');
              fail(e);
              reject(e);
              return;
            }
            ok();
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString('utf8')));
            res.once('error', reject);
            res.once('close', () => {
              try {
                resolve(JSON.parse(body) as { StatusCode: number });
              } catch {
                reject(new Error('the connection to the Docker engine broke while waiting for the container'));
              }
            });
          },
        );
      });
    });
    registered.catch(() => {});
    return Object.assign(result, { registered });
  }

  private demux(stream: Readable, onOutput: OutputSink): Promise<void> {
    const out = new PassThrough();
    const err = new PassThrough();
    out.on('data', (c: Buffer) => onOutput(c, 'stdout'));
    err.on('data', (c: Buffer) => onOutput(c, 'stderr'));
    this.docker.modem.demuxStream(stream, out, err);
    return new Promise<void>((resolve) => {
      stream.once('end', () => resolve());
      stream.once('close', () => resolve());
      stream.once('error', () => resolve());
    });
  }

  /**
   * A stopping engine first stops its containers (SIGTERM, then SIGKILL) while its API still
   * answers, then goes away: after such an exit that nobody here asked for, the engine stopping
   * within a short time is what tells it apart from a `docker stop` by someone else.
   */
  private async engineGoesAway(withinMs: number): Promise<boolean> {
    const until = Date.now() + withinMs;
    while (Date.now() < until) {
      try {
        await this.docker.ping();
      } catch {
        return true;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  private handle(container: Docker.Container, imageId: string, exited: Promise<unknown>, delivered: Promise<void>): ContainerHandle {
    const backend = this;
    let signalled = false;
    return {
      id: container.id,
      imageId,
      async wait(): Promise<ContainerExit> {
        let broke = false;
        try {
          await exited;
        } catch {
          // The wait connection broke: the engine stopped or restarted under us.
          broke = true;
          try {
            await backend.docker.ping();
            const info = await container.inspect();
            if (info.State.Running) return { exitCode: -1, oomKilled: false, engineLost: true, error: 'the connection to the Docker engine broke' };
          } catch {
            return { exitCode: -1, oomKilled: false, engineLost: true };
          }
        }
        // Output after the exit is still in flight on the attach stream; bounded, so a stuck
        // stream cannot hold the run open.
        await Promise.race([delivered, new Promise((r) => setTimeout(r, 2000).unref())]);
        let info: Docker.ContainerInspectInfo;
        try {
          info = await container.inspect();
        } catch {
          return { exitCode: -1, oomKilled: false, engineLost: true };
        }
        const exit: ContainerExit = { exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled, ...(info.State.Error ? { error: info.State.Error } : {}) };
        // Ended by SIGTERM/SIGKILL that did not come from here (nor from the kernel's OOM killer).
        if (broke || (!signalled && !exit.oomKilled && (exit.exitCode === 143 || exit.exitCode === 137) && (await backend.engineGoesAway(2500)))) exit.engineStopped = true;
        return exit;
      },
      async signal(sig) {
        signalled = true;
        try {
          await container.kill({ signal: sig });
        } catch (err) {
          // 409: not running any more, which is what was wanted.
          if ((err as { statusCode?: number }).statusCode !== 409 && (err as { statusCode?: number }).statusCode !== 404) throw explainEngineError(err, backend.endpoint);
        }
      },
      async copyOut(containerPath: string, hostDir: string) {
        mkdirSync(hostDir, { recursive: true });
        const archive = (await container.getArchive({ path: containerPath.replace(/\/+$/, '') })) as unknown as Readable;
        await untar(archive, hostDir);
      },
      async remove() {
        await container.remove({ force: true }).catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 404 && err.statusCode !== 409) throw explainEngineError(err, backend.endpoint);
        });
      },
    };
  }
}

/** A tar stream of `dir`'s contents, entries under `prefix` (no prefix: at the archive's root). */
function tarOf(dir: string, prefix: string, exclude: string[]): Readable {
  const args = ['-c', '-C', dir, ...exclude.map((e) => `--exclude=${e}`)];
  if (prefix) args.push(`--transform=s,^\\.,${prefix},`);
  args.push('.');
  const child = spawn('tar', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  return child.stdout;
}

function untar(archive: Readable, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-x', '-C', dir, '--no-same-owner', '--strip-components=1'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    archive.pipe(child.stdin);
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`Could not unpack the container's files: ${err.trim()}`))));
  });
}
