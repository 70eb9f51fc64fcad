import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, type ErrorCode, type FieldError } from '../core/errors.js';
import { PROBLEMS, problemResponse } from '../core/problems.js';

export { PROBLEMS, problemOf } from '../core/problems.js';

/** Writes an AuthError as problem JSON, with the headers its code calls for (Retry-After, WWW-Authenticate). */
export function sendProblem(reply: FastifyReply, error: AuthError, sentBearer = false): FastifyReply {
  const { status, headers, body } = problemResponse(error, sentBearer);
  // Set here as well as by the onSend hook: errors raised before routing skip the app's hooks.
  return reply.code(status).headers({ ...headers, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' }).send(body);
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

/**
 * Fastify's own errors that a request can cause, by their status: each becomes our problem JSON (never
 * Fastify's body, which echoes the URL). FST_ERR_MAX_PARAM_LENGTH's 414 has no code of its own in
 * API.md: an over-long path segment is a request that is not valid.
 */
const FRAMEWORK_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'validation_failed',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  414: 'validation_failed',
  415: 'unsupported_media_type',
  431: 'header_too_large',
};

const FRAMEWORK_DETAIL: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'the body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the body is empty',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'the Content-Length does not match the body',
  FST_ERR_BAD_URL: 'the URL is not valid',
  FST_ERR_INVALID_URL: 'the URL is not valid',
  FST_ERR_MAX_PARAM_LENGTH: 'a path segment is too long',
  FST_ERR_ROUTE_MISSING_CONTENT_TYPE: 'a request with a body needs a Content-Type',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'the body must be application/json',
};

/** Where a schema failed, in words: the query string is not the body. */
const PARTS: Readonly<Record<string, string>> = { body: 'body', querystring: 'query string', params: 'path', headers: 'headers' };

/** Our problem for one of Fastify's own errors (a FastifyError with a 4xx status); null for anything else. */
export function frameworkProblem(error: FastifyError): AuthError | null {
  const code = error.statusCode === undefined ? undefined : FRAMEWORK_STATUS[error.statusCode];
  if (code === undefined || !error.code?.startsWith('FST_ERR')) return null;
  return new AuthError(code, { detail: FRAMEWORK_DETAIL[error.code] ?? PROBLEMS[code].title });
}

/**
 * The app's error handler, and Fastify's `frameworkErrors`: every error becomes problem JSON here and
 * nowhere else. An unknown error is logged and answered with a generic 500 that never echoes its message.
 */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof AuthError) {
    if (error.code === 'unavailable' && error.cause !== undefined) request.log.warn({ err: error.cause, reqId: request.id }, error.detail);
    return sendProblem(reply, error, request.headers.authorization !== undefined);
  }
  if (error.validation) {
    const errors = fieldErrors(error.validation as AjvError[]);
    const part = PARTS[error.validationContext ?? 'body'] ?? 'request';
    return sendProblem(reply, new AuthError('validation_failed', { detail: `the ${part} does not match the schema`, errors }));
  }
  const framework = frameworkProblem(error);
  if (framework) return sendProblem(reply, framework);
  if (error instanceof SyntaxError) return sendProblem(reply, new AuthError('validation_failed', { detail: 'the body is not valid JSON' }));
  request.log.error({ err: error, reqId: request.id, method: request.method, url: request.url }, 'unexpected error');
  return sendProblem(reply, new AuthError('internal_error'));
}
