/**
 * The one error type that domain and application code throws on purpose. Each has a stable, machine-readable `code`
 * and a `kind` that the HTTP error handler maps to a status; no HTTP status appears in domain code.
 */
export type AppErrorKind = 'invalid' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'unprocessable' | 'rate_limited' | 'unavailable';

export class AppError extends Error {
  readonly code: string;
  readonly kind: AppErrorKind;
  /** Extra members for the problem+json body, e.g. the failing fields or lines. Never secrets. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(kind: AppErrorKind, code: string, message: string, options?: { details?: Record<string, unknown>; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.code = code;
    this.details = options?.details;
  }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('not_found', code, message, details === undefined ? undefined : { details });
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('conflict', code, message, details === undefined ? undefined : { details });
  }
}

export class UnprocessableError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('unprocessable', code, message, details === undefined ? undefined : { details });
  }
}
