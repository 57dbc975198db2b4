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
