import { AuthError, type ErrorCode, type FieldError } from './errors.js';

/**
 * The one catalogue from error code to HTTP status and title (API.md, "Conventions"), shared by the
 * server and the verifier library, and the RFC 6750 bearer parsing and challenges both use.
 */
export const PROBLEMS: Readonly<Record<ErrorCode, { status: number; title: string }>> = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  invalid_credentials: { status: 401, title: 'The user name or password is wrong' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  session_expired: { status: 401, title: 'The session has expired' },
  session_revoked: { status: 401, title: 'The session has been revoked' },
  token_expired: { status: 401, title: 'The token has expired' },
  token_revoked: { status: 401, title: 'The token has been revoked' },
  invalid_token: { status: 401, title: 'The token is not valid' },
  refresh_token_reused: { status: 401, title: 'A spent refresh token was reused' },
  csrf_failed: { status: 403, title: 'The request failed the cross-site request forgery check' },
  forbidden: { status: 403, title: 'The caller may not do this' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  username_taken: { status: 409, title: 'The user name is taken' },
  email_taken: { status: 409, title: 'The e-mail address is verified by another account' },
  mfa_required: { status: 403, title: 'A second factor is required' },
  reauthentication_required: { status: 401, title: 'A recent authentication is required' },
  payload_too_large: { status: 413, title: 'The body is too large' },
  unsupported_media_type: { status: 415, title: 'The media type of the body is not accepted' },
  rate_limited: { status: 429, title: 'Too many requests' },
  header_too_large: { status: 431, title: 'The request headers are too large' },
  internal_error: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Service unavailable' },
};

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  errors?: FieldError[];
}

export function problemOf(code: ErrorCode, detail?: string, errors?: FieldError[]): Problem {
  const { status, title } = PROBLEMS[code];
  const problem: Problem = { type: `urn:tessera:problem:${code}`, title, status, code };
  if (detail !== undefined) problem.detail = detail;
  if (errors !== undefined) problem.errors = errors;
  return problem;
}

/** RFC 6750 §2.1: `Bearer` and a b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The token of an `Authorization: Bearer` value; `invalid_token` for anything else. */
export function parseBearer(header: string): string {
  const match = BEARER.exec(header);
  if (!match?.[1]) throw new AuthError('invalid_token', { detail: 'the Authorization header is not a bearer token' });
  return match[1];
}

export const REALM = 'tessera';

/** A quoted-string of RFC 9110 §5.6.4, from text that has no control characters. */
const quoted = (text: string): string => `"${text.replace(/["\\]/g, '\\$&')}"`;

/**
 * The challenge for an answer, or null when it needs none. RFC 9110 §15.5.2: every 401 carries one.
 * RFC 6750 §3: a request that sent a bearer token learns `invalid_token` (401) or
 * `insufficient_scope` (403); one that sent none gets the bare challenge, with no error code (§3.1).
 */
export function challengeFor(error: AuthError, sentBearer: boolean): string | null {
  const { status } = PROBLEMS[error.code];
  const realm = `Bearer realm=${quoted(REALM)}`;
  if (status === 403 && sentBearer && error.code === 'forbidden') {
    return `${realm}, error="insufficient_scope"${error.detail ? `, error_description=${quoted(error.detail)}` : ''}`;
  }
  if (status !== 401) return null;
  if (!sentBearer || error.code === 'unauthenticated' || error.code === 'invalid_credentials') return realm;
  return `${realm}, error="invalid_token", error_description=${quoted(error.detail ?? PROBLEMS[error.code].title)}`;
}

/** What any framework sends for an AuthError: status, headers and body. */
export interface ProblemResponse {
  status: number;
  headers: Record<string, string>;
  body: Problem;
}

export function problemResponse(error: AuthError, sentBearer: boolean): ProblemResponse {
  const body = problemOf(error.code, error.detail, error.errors);
  const headers: Record<string, string> = { 'content-type': PROBLEM_MEDIA_TYPE };
  // A 503 says when to try again: a second, unless the error knows better.
  const retryAfter = error.retryAfter ?? (error.code === 'unavailable' ? 1 : undefined);
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  const challenge = challengeFor(error, sentBearer);
  if (challenge !== null) headers['www-authenticate'] = challenge;
  return { status: body.status, headers, body };
}
