import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LooplineError } from '../errors.ts';

/** Where the Docker engine is, decided as the docker CLI decides it. */
export interface EngineEndpoint {
  /** unix:///path/docker.sock, tcp://host:port or ssh://[user@]host[:port]. */
  host: string;
  /** For messages: `DOCKER_HOST`, `docker context 'remote'`. */
  source: string;
  /** A context's TLS material (contexts/tls/<id>/docker/{ca,cert,key}.pem). */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; skipVerify: boolean };
}

/**
 * The engine the docker CLI would talk to: DOCKER_HOST if set; else the context named by
 * DOCKER_CONTEXT or by `currentContext` in $DOCKER_CONFIG/config.json (~/.docker), read from
 * contexts/meta/<sha256 of its name>/meta.json. Undefined means the default socket (no
 * DOCKER_HOST, and no context or the `default` one).
 */
export function resolveEngineEndpoint(env: NodeJS.ProcessEnv = process.env, home = homedir()): EngineEndpoint | undefined {
  if (env.DOCKER_HOST) return { host: env.DOCKER_HOST, source: 'DOCKER_HOST' };
  const configDir = env.DOCKER_CONFIG || join(home, '.docker');
  let name = env.DOCKER_CONTEXT;
  let from = 'DOCKER_CONTEXT';
  if (!name) {
    const configFile = join(configDir, 'config.json');
    if (!existsSync(configFile)) return undefined;
    let config: { currentContext?: unknown };
    try {
      config = JSON.parse(readFileSync(configFile, 'utf8')) as { currentContext?: unknown };
    } catch (err) {
      throw new LooplineError('INVALID_PARAMETER_VALUE', `${configFile} is not valid JSON (${(err as Error).message}): fix it, or set DOCKER_HOST to choose the engine.`);
    }
    if (typeof config.currentContext !== 'string' || !config.currentContext) return undefined;
    name = config.currentContext;
    from = `currentContext in ${configFile}`;
  }
  if (name === 'default') return undefined;
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = join(configDir, 'contexts', 'meta', id, 'meta.json');
  if (!existsSync(metaFile))
    throw new LooplineError(
      'INVALID_PARAMETER_VALUE',
      `The docker context '${name}' (${from}) does not exist (no ${metaFile}): choose one with docker context use NAME (docker context ls lists them), or set DOCKER_HOST.`,
    );
  let meta: { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } };
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as typeof meta;
  } catch (err) {
    throw new LooplineError('INVALID_PARAMETER_VALUE', `The docker context '${name}' has a damaged ${metaFile} (${(err as Error).message}): recreate it with docker context create, or set DOCKER_HOST.`);
  }
  const host = meta.Endpoints?.docker?.Host;
  if (typeof host !== 'string' || !host)
    throw new LooplineError('INVALID_PARAMETER_VALUE', `The docker context '${name}' names no Docker endpoint in ${metaFile}: recreate it with docker context create ${name} --docker host=…, or set DOCKER_HOST.`);
  const endpoint: EngineEndpoint = { host, source: `docker context '${name}'` };
  const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
  if (existsSync(tlsDir)) {
    const read = (f: string) => (existsSync(join(tlsDir, f)) ? readFileSync(join(tlsDir, f)) : undefined);
    const tls: NonNullable<EngineEndpoint['tls']> = { skipVerify: meta.Endpoints?.docker?.SkipTLSVerify === true };
    const ca = read('ca.pem');
    const cert = read('cert.pem');
    const key = read('key.pem');
    if (ca) tls.ca = ca;
    if (cert) tls.cert = cert;
    if (key) tls.key = key;
    endpoint.tls = tls;
  }
  return endpoint;
}

/**
 * Login options for an ssh:// engine: the ssh agent (SSH_AUTH_SOCK) and, if there is one without a
 * passphrase prompt to answer, the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa. (The docker CLI
 * runs the ssh program, which also reads ~/.ssh/config; Loopline speaks SSH itself and does not.)
 */
export function sshLogin(env: NodeJS.ProcessEnv = process.env, home = homedir()): { agent?: string; privateKey?: Buffer; keyFile?: string } {
  const login: { agent?: string; privateKey?: Buffer; keyFile?: string } = {};
  if (env.SSH_AUTH_SOCK) login.agent = env.SSH_AUTH_SOCK;
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const file = join(home, '.ssh', name);
    if (!existsSync(file)) continue;
    const key = readFileSync(file);
    // An encrypted key would need its passphrase: leave it to the agent.
    if (/ENCRYPTED/.test(key.toString('latin1', 0, 200)) || hasOpenSshPassphrase(key)) continue;
    login.privateKey = key;
    login.keyFile = file;
    break;
  }
  return login;
}

/** OpenSSH's own key format names its cipher ("none" when there is no passphrase). */
function hasOpenSshPassphrase(key: Buffer): boolean {
  const text = key.toString('utf8');
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END/.exec(text);
  if (!m) return false;
  const raw = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (raw.toString('latin1', 0, magic.length) !== magic) return false;
  const len = raw.readUInt32BE(magic.length);
  return raw.toString('latin1', magic.length + 4, magic.length + 4 + len) !== 'none';
}
