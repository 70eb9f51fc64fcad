import { describeCause, hintFor } from './storeHealth.js';

/** Every stable, machine-readable code that Tessera answers with. HTTP maps each to a status in one table. */
export type ErrorCode =
  | 'validation_failed'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'header_too_large'
  | 'internal_error'
  | 'unavailable'
  | 'username_taken'
  | 'email_taken'
  | 'mfa_required'
  | 'reauthentication_required'
  | 'rate_limited'
  | 'invalid_credentials'
  | 'unauthenticated'
  | 'session_expired'
  | 'session_revoked'
  | 'token_expired'
  | 'token_revoked'
  | 'invalid_token'
  | 'refresh_token_reused'
  | 'csrf_failed'
  | 'forbidden';

/** One problem with one input field, as in `errors[]` of a problem document. */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export interface AuthErrorOptions {
  detail?: string;
  errors?: FieldError[];
  /** Seconds until a retry can succeed (429, 503). */
  retryAfter?: number;
  cause?: unknown;
}

/** The one error class of Tessera: a command that cannot finish throws it with a stable `code`. */
export class AuthError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, options: AuthErrorOptions = {}) {
    super(options.detail ?? code, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthError';
    this.code = code;
    this.detail = options.detail;
    this.errors = options.errors;
    this.retryAfter = options.retryAfter;
  }
}

/** A store could not answer: never a pass, always 503 (DESIGN.md, "Failure"), naming the store and why. */
export function storeUnavailable(what: string, cause?: unknown): AuthError {
  return new AuthError('unavailable', { detail: `${what} is unavailable: ${describeCause(cause)}`, retryAfter: 1, cause });
}

export function isAuthError(error: unknown, code?: ErrorCode): error is AuthError {
  return error instanceof AuthError && (code === undefined || error.code === code);
}

/** A setting is wrong (a bad variable, a key secret that does not open the stored keys): the operator must fix it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A store cannot be opened at start-up: the message names it, the cause, and what to do. */
export class StartupError extends Error {
  override name = 'StartupError';

  constructor(what: string, cause: unknown) {
    const hint = hintFor(cause);
    super(`cannot open ${what}: ${describeCause(cause)}${hint === null ? '' : `; ${hint}`}`, { cause });
  }
}
