import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, type ErrorCode, type FieldError } from '../core/errors.js';

/** The one table from error code to HTTP status and title (API.md, "Conventions"). */
export const PROBLEMS: Record<ErrorCode, { status: number; title: string }> = {
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
  payload_too_large: { status: 413, title: 'The body is too large' },
  unsupported_media_type: { status: 415, title: 'The body must be application/json' },
  rate_limited: { status: 429, title: 'Too many requests' },
  header_too_large: { status: 431, title: 'The request headers are too large' },
  internal_error: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Service unavailable' },
};

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

const BEARER_CODES = new Set<ErrorCode>(['invalid_token', 'token_expired', 'token_revoked', 'unauthenticated']);

/** Writes an AuthError as problem JSON, with the headers its code calls for. */
export function sendProblem(reply: FastifyReply, error: AuthError, bearer = false): FastifyReply {
  const problem = problemOf(error.code, error.detail, error.errors);
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  // RFC 6750 §3: a bearer request that fails says so in WWW-Authenticate.
  if (bearer && BEARER_CODES.has(error.code)) {
    reply.header('www-authenticate', error.code === 'unauthenticated' ? 'Bearer' : 'Bearer error="invalid_token"');
  }
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Turns Ajv's errors into API.md field errors: `{ field, code, message }`. */
function fieldErrors(validation: AjvError[]): FieldError[] {
  return validation.map((error) => {
    const missing = error.keyword === 'required' ? String(error.params.missingProperty) : null;
    const field = missing ?? (error.instancePath.replace(/^\//, '').replaceAll('/', '.') || 'body');
    const code = missing ? 'required' : error.keyword === 'type' ? 'invalid_type' : error.keyword;
    return { field, code, message: error.message ?? code };
  });
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'validation_failed',
  FST_ERR_CTP_INVALID_JSON_BODY: 'validation_failed',
};

/**
 * The app's error handler: every error becomes problem JSON here and nowhere else. An unknown error is
 * logged and answered with a generic 500 that never echoes its message.
 */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof AuthError) {
    if (error.code === 'unavailable' && error.cause !== undefined) request.log.warn({ err: error.cause, reqId: request.id }, error.detail);
    return sendProblem(reply, error, request.headers.authorization !== undefined);
  }
  if (error.validation) {
    const errors = fieldErrors(error.validation as AjvError[]);
    return sendProblem(reply, new AuthError('validation_failed', { detail: 'the body does not match the schema', errors }));
  }
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) return sendProblem(reply, new AuthError(mapped, { detail: mapped === 'validation_failed' ? 'the body is not valid JSON' : undefined }));
  if (error instanceof SyntaxError || (error.statusCode === 400 && error.code?.startsWith('FST_ERR_CTP'))) {
    return sendProblem(reply, new AuthError('validation_failed', { detail: 'the body is not valid JSON' }));
  }
  request.log.error({ err: error, reqId: request.id, method: request.method, url: request.url }, 'unexpected error');
  return sendProblem(reply, new AuthError('internal_error'));
}
