/**
 * The one error type the core throws for problems a caller can fix. `code` uses MLflow's
 * error codes so the tracking server can pass it through unchanged.
 */
export type ErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_STATE'
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'ENDPOINT_NOT_FOUND'
  | 'INTERNAL_ERROR';

export class LooplineError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'LooplineError';
    this.code = code;
  }
}

export function invalid(message: string): LooplineError {
  return new LooplineError('INVALID_PARAMETER_VALUE', message);
}

export function notFound(message: string): LooplineError {
  return new LooplineError('RESOURCE_DOES_NOT_EXIST', message);
}

/**
 * SQLite errors that reach a user, in words that say what to do. Other errors pass unchanged.
 */
export function explainStoreError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new LooplineError(
      'INVALID_STATE',
      'The store is locked by another process holding a long write (another Loopline, or a database browser with an open transaction). Try again in a moment, or close that program.',
    );
  }
  if (code === 'SQLITE_FULL') return new LooplineError('INVALID_STATE', 'The disk holding the store is full; free some space and try again. Nothing was written.');
  if (code === 'SQLITE_READONLY') return new LooplineError('INVALID_STATE', 'The store is read-only here; check the file permissions of the .loopline folder.');
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new LooplineError('INVALID_STATE', 'The store file is damaged. Move .loopline/loopline.db aside (Loopline then starts a new one) and keep the old file for recovery.');
  }
  return err;
}
