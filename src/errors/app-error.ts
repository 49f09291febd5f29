import type { ErrorCode } from './codes';

/**
 * A domain error with a public code and a message a person can act on. The message is shown to clients, so it
 * must never contain SQL, stack traces or provider secrets; put those in `cause` (logged, never returned).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new AppError('BAD_USER_INPUT', message, { details });
export const notFound = (what: string, id?: string) =>
  new AppError('NOT_FOUND', id ? `${what} ${id} was not found` : `${what} was not found`);
export const forbidden = (message = 'Your role may not do this') => new AppError('FORBIDDEN', message);
export const unauthenticated = (message = 'A valid API key or token is required') =>
  new AppError('UNAUTHENTICATED', message);
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new AppError('CONFLICT', message, { details });
