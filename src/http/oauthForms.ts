import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, type ErrorCode } from '../core/errors.js';
import { problemOf } from '../core/problems.js';
import { BODY_LIMIT } from './limits.js';

/**
 * `application/x-www-form-urlencoded` on the two endpoints that standard OAuth clients post forms to:
 * token revocation (RFC 7009 §2.1) and the refresh grant (RFC 6749 §6). Only there, and a form never
 * authenticates with a cookie: the token travels in the body, so an HTML form on another site can do
 * nothing that its author could not do with the token alone (API.md, CSRF).
 */
export const FORM = 'application/x-www-form-urlencoded';

export const isForm = (request: FastifyRequest): boolean => request.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase() === FORM;

const parameterError = (name: string, message: string): AuthError =>
  new AuthError('validation_failed', { detail: 'the form does not match the schema', errors: [{ field: name, code: 'invalid_parameter', message }] });

/** RFC 6749 §3.2: "parameters sent without a value MUST be treated as if they were omitted", and none may repeat. */
export function parseForm(text: string): Record<string, string> {
  const form: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(form, name)) throw parameterError(name, 'must not be sent more than once');
    if (name === '__proto__' || name === 'constructor' || name === 'prototype') throw parameterError(name, 'is not a parameter');
    if (value !== '') form[name] = value;
  }
  return form;
}

/** Lets the routes of `app` (one plugin scope) take form bodies. */
export function acceptForms(app: FastifyInstance): void {
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_request, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/** A problem that also speaks RFC 6749 §5.2, for the OpenAPI document: the refresh grant's refusals. */
const oauthProblemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    error: { type: 'string', description: 'RFC 6749 §5.2 error code (form-encoded grants)' },
    error_description: { type: 'string' },
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } } },
  },
} as const;

/** A refusal of the refresh endpoint: problem JSON for JSON and cookie requests, RFC 6749 §5.2 JSON for forms. */
export const oauthProblem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: 'Problem#' } }, 'application/json': { schema: oauthProblemSchema } },
});

/** RFC 6749 §5.2 error codes for the codes a refresh can fail with. */
const OAUTH_ERRORS: Partial<Record<ErrorCode, string>> = {
  validation_failed: 'invalid_request',
  invalid_token: 'invalid_grant',
  token_expired: 'invalid_grant',
  token_revoked: 'invalid_grant',
  refresh_token_reused: 'invalid_grant',
  unavailable: 'temporarily_unavailable',
};

/**
 * An error answered as RFC 6749 §5.2 describes, for a form-encoded grant: `application/json` with
 * `error` and `error_description`, status 400 for the request's own fault. It carries the problem
 * members too (RFC 9457 allows extensions), so a client of either kind reads it.
 */
export function sendOAuthError(reply: FastifyReply, error: AuthError, oauth = OAUTH_ERRORS[error.code] ?? 'invalid_request'): FastifyReply {
  const status = error.code === 'unavailable' ? 503 : 400;
  const problem = { ...problemOf(error.code, error.detail, error.errors), status };
  if (error.retryAfter !== undefined || error.code === 'unavailable') reply.header('retry-after', String(error.retryAfter ?? 1));
  return reply
    .code(status)
    .headers({ 'cache-control': 'no-store', pragma: 'no-cache' })
    .type('application/json')
    .send({ error: oauth, error_description: error.detail ?? problem.title, ...problem });
}
