import { LooplineError } from '../errors.ts';

/** Turns dockerode/socket failures into a sentence that says what to do. */
export function explainEngineError(err: unknown, endpoint: string): Error {
  const e = err as NodeJS.ErrnoException & { statusCode?: number; json?: { message?: string } };
  const msg = e?.json?.message ?? e?.message ?? String(err);
  if (e?.code === 'ENOENT' || e?.code === 'ECONNREFUSED' || e?.code === 'ECONNRESET' || e?.code === 'EHOSTUNREACH' || e?.code === 'ETIMEDOUT')
    return new LooplineError(
      'INVALID_STATE',
      `No Docker engine answers at ${endpoint}: start one (on this machine: npm run docker:setup, or sudo systemctl start docker) or set DOCKER_HOST to an engine that runs (unix:///path/docker.sock or tcp://host:port).`,
    );
  if (e?.code === 'EACCES' || e?.code === 'EPERM')
    return new LooplineError(
      'PERMISSION_DENIED',
      `Permission denied on the Docker socket ${endpoint}: add your user to the docker group (sudo usermod -aG docker $USER, then log in again) or set DOCKER_HOST to an engine you may use.`,
    );
  return err instanceof Error ? err : new Error(msg);
}
