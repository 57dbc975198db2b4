import { readFileSync, statSync } from 'node:fs';
import { LooplineError } from '../errors.ts';

/** Turns dockerode/socket failures into a sentence that says what to do. */
export function explainEngineError(err: unknown, endpoint: string): Error {
  const e = err as NodeJS.ErrnoException & { statusCode?: number; json?: { message?: string } };
  const msg = e?.json?.message ?? e?.message ?? String(err);
  const socket = endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : undefined;
  if (socket && (e?.code === 'ECONNREFUSED' || e?.code === 'ENOTSOCK')) {
    // Connecting to a file that is not a socket is refused like a dead engine: say what it is.
    const st = statSync(socket, { throwIfNoEntry: false });
    if (st && !st.isSocket())
      return new LooplineError(
        'INVALID_STATE',
        `${socket} is not a Docker socket (it is a ${st.isDirectory() ? 'folder' : 'regular file'}): set DOCKER_HOST to the engine's socket (unix:///var/run/docker.sock, or the DOCKER_HOST line npm run docker:setup prints), or unset DOCKER_HOST.`,
      );
  }
  if (e?.code === 'ENOENT' || e?.code === 'ECONNREFUSED' || e?.code === 'ECONNRESET' || e?.code === 'EHOSTUNREACH' || e?.code === 'ETIMEDOUT')
    return new LooplineError(
      'INVALID_STATE',
      `No Docker engine answers at ${endpoint}: start one (on this machine: npm run docker:setup, or sudo systemctl start docker) or set DOCKER_HOST to an engine that runs (unix:///path/docker.sock or tcp://host:port).`,
    );
  if (endpoint.startsWith('ssh://') && /authentication methods failed|handshake|Permission denied/i.test(msg))
    return new LooplineError(
      'PERMISSION_DENIED',
      `Could not log in to ${endpoint} over SSH (${msg}): load your key into ssh-agent (ssh-add, with SSH_AUTH_SOCK set) or keep it unencrypted as ~/.ssh/id_ed25519, id_ecdsa or id_rsa; Loopline speaks SSH itself and does not read ~/.ssh/config, so give the user and host in the address (ssh://user@host:port).`,
    );
  if (e?.code === 'EACCES' || e?.code === 'EPERM')
    return new LooplineError(
      'PERMISSION_DENIED',
      `Permission denied on the Docker socket ${endpoint}${socket ? socketOwner(socket) : ''}: add your user to the group that owns it (usually: sudo usermod -aG docker $USER, then log in again), or set DOCKER_HOST to an engine you may use (rootless Docker, or one npm run docker:setup starts).`,
    );
  return err instanceof Error ? err : new Error(msg);
}

/** " (owner root, group docker, mode 660)", or "" when the path itself cannot be looked at. */
function socketOwner(path: string): string {
  try {
    const st = statSync(path);
    const group = groupName(st.gid);
    return ` (owner uid ${st.uid}, group ${group ?? `gid ${st.gid}`}, mode ${(st.mode & 0o777).toString(8)}; this process runs as uid ${process.getuid?.() ?? '?'})`;
  } catch {
    return ` (a folder on the way to it cannot be entered by this user)`;
  }
}

function groupName(gid: number): string | undefined {
  try {
    return readFileSync('/etc/group', 'utf8')
      .split('\n')
      .map((l) => l.split(':'))
      .find((f) => Number(f[2]) === gid)?.[0];
  } catch {
    return undefined;
  }
}
