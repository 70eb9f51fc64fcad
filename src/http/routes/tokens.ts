import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, preValidationHookHandler } from 'fastify';
import { AuthError, isAuthError } from '../../core/errors.js';
import type { Transport } from '../../core/model.js';
import type { Tessera } from '../../core/tessera.js';
import type { IssuedTokens } from '../../core/tokens.js';
import { assertCsrf } from '../auth.js';
import { COOKIES, clearTokenCookies, cookieOf, setTokenCookies } from '../cookies.js';
import { OPTIONAL_BODY } from '../openapi.js';
import { FORM, acceptForms, isForm, oauthProblem, sendOAuthError } from '../oauthForms.js';
import { isMfaPending } from '../../core/logins.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import {
  PUBLIC,
  type SecondFactorBody,
  clientOf,
  credentialsProperties,
  mfaPendingJson,
  mfaPendingSchema,
  passkeyLoginProperties,
  problems,
  proofOf,
  secondFactorBody,
} from '../schemas.js';

const pairResponse = {
  type: 'object',
  description: 'Body transport: both tokens; cookie transport: the tokens are set as cookies, and csrfToken comes instead',
  required: ['token_type', 'expires_in', 'refresh_expires_in'],
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer' },
    refresh_token: { type: 'string' },
    refresh_expires_in: { type: 'integer' },
    csrfToken: { type: 'string', description: 'cookie transport only' },
  },
} as const;

/** Body transport hands the tokens over; cookie transport sets them and hands over the CSRF token. */
function sendPair(tessera: Tessera, reply: FastifyReply, tokens: IssuedTokens, transport: Transport) {
  if (transport === 'cookie') {
    setTokenCookies(reply, tokens);
    return {
      token_type: 'Bearer',
      expires_in: tokens.expiresIn,
      refresh_expires_in: tokens.refreshExpiresIn,
      csrfToken: tessera.csrfToken(`family:${tokens.family.id}`),
    };
  }
  return {
    access_token: tokens.accessToken,
    token_type: 'Bearer',
    expires_in: tokens.expiresIn,
    refresh_token: tokens.refreshToken,
    refresh_expires_in: tokens.refreshExpiresIn,
  };
}

const REFRESH_REQUIRED = { field: 'refresh_token', code: 'required', message: 'must be sent in the body or the refresh cookie' };

/** The refresh token of a request: the body's, or the cookie's after its CSRF check. */
function presentedRefresh(tessera: Tessera, request: FastifyRequest, bodyToken: string | undefined): { token: string; transport: Transport } {
  if (bodyToken !== undefined) return { token: bodyToken, transport: 'body' };
  const cookie = cookieOf(request, COOKIES.refresh);
  if (!cookie) throw new AuthError('validation_failed', { errors: [REFRESH_REQUIRED] });
  const familyId = tessera.familyOfRefreshToken(cookie);
  if (!familyId) throw new AuthError('invalid_token', { detail: 'the refresh cookie is malformed' });
  assertCsrf(tessera, request, { method: 'token', sid: familyId, viaCookie: true });
  return { token: cookie, transport: 'cookie' };
}

/** The cookie transport may send no body at all: validate it as an empty object. */
const emptyBodyAsObject: preValidationHookHandler = (request, _reply, done) => {
  request.body ??= {};
  done();
};

/** Tokens: `POST /v1/tokens`, `/v1/tokens/refresh`, `/v1/tokens/revoke` (API.md, "Tokens"). */
export const tokenRoutes =
  (tessera: Tessera): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Body: { username: string; password: string; transport?: Transport } }>(
      '/v1/tokens',
      {
        schema: {
          tags: ['tokens'],
          operationId: 'logInWithTokens',
          security: PUBLIC,
          summary: 'Log in for an access and a refresh token',
          body: {
            type: 'object',
            required: ['username', 'password'],
            properties: { ...credentialsProperties, transport: { type: 'string', enum: ['body', 'cookie'] } },
          },
          response: { 200: pairResponse, 202: mfaPendingSchema, ...problems(400, 401, 403, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        const { username, password, transport = 'body' } = request.body;
        const login = await tessera.logInWithTokens(username, password, transport, clientOf(request));
        if (isMfaPending(login)) return reply.code(202).send(mfaPendingJson(login));
        return sendPair(tessera, reply, login, transport);
      },
    );

    app.post<{ Body: SecondFactorBody }>(
      '/v1/tokens/mfa',
      {
        schema: {
          tags: ['tokens'],
          operationId: 'completeTokensMfa',
          security: PUBLIC,
          summary: 'Finish a token login that needs a second factor (the transport is the first step’s)',
          body: secondFactorBody,
          response: { 200: pairResponse, ...problems(400, 401, 403, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        const tokens = await tessera.completeTokensMfa(request.body.challenge, proofOf(request.body), clientOf(request));
        return sendPair(tessera, reply, tokens, tokens.family.transport);
      },
    );

    app.post<{ Body: { ceremony: string; response: AuthenticationResponseJSON; transport?: Transport } }>(
      '/v1/tokens/passkey',
      {
        schema: {
          tags: ['tokens'],
          operationId: 'logInWithPasskeyTokens',
          security: PUBLIC,
          summary: 'Log in with a passkey alone (no user name), for tokens',
          body: { type: 'object', required: ['ceremony', 'response'], properties: { ...passkeyLoginProperties, transport: { type: 'string', enum: ['body', 'cookie'] } } },
          response: { 200: pairResponse, ...problems(400, 401, 403, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        const { ceremony, response, transport = 'body' } = request.body;
        return sendPair(tessera, reply, await tessera.logInWithPasskeyTokens(ceremony, response, transport, clientOf(request)), transport);
      },
    );

    // Refresh and revocation also take the forms standard OAuth clients send, in a scope of their own.
    await app.register(async (forms) => {
      acceptForms(forms);
      formRoutes(tessera, forms);
    });
  };

/** `/v1/tokens/refresh` and `/v1/tokens/revoke`: JSON, a refresh cookie (CSRF-checked), or a form (RFC 6749 §6, RFC 7009). */
function formRoutes(tessera: Tessera, app: FastifyInstance): void {
  app.post<{ Body: { refresh_token?: string; grant_type?: string } }>(
    '/v1/tokens/refresh',
    {
      preValidation: emptyBodyAsObject,
      schema: {
        tags: ['tokens'],
        operationId: 'refreshTokens',
          security: [{ refreshCookie: [] }, {}],
          summary: 'Spend a refresh token for a new pair (JSON, the refresh cookie, or an RFC 6749 §6 form with grant_type=refresh_token)',
        consumes: ['application/json', FORM],
        [OPTIONAL_BODY]: true,
        body: {
          type: 'object',
          properties: { refresh_token: { type: 'string', maxLength: 512 }, grant_type: { type: 'string', maxLength: 64 } },
        },
        response: {
          200: pairResponse,
          ...problems(401, 403, 415),
          400: oauthProblem('The request is not valid; a form-encoded grant is refused as RFC 6749 §5.2 says (application/json)'),
          503: oauthProblem('A store or the revocation feed is unavailable (with Retry-After)'),
        },
      },
    },
    async (request, reply) => {
      if (isForm(request)) return refreshGrant(tessera, request, reply);
      const { token, transport } = presentedRefresh(tessera, request, request.body.refresh_token);
      try {
        return sendPair(tessera, reply, await tessera.refresh(token, clientOf(request)), transport);
      } catch (error) {
        if (transport === 'cookie' && isAuthError(error) && error.code !== 'unavailable') clearTokenCookies(reply);
        throw error;
      }
    },
  );

  app.post<{ Body: { token?: string; token_type_hint?: string } }>(
    '/v1/tokens/revoke',
    {
      preValidation: emptyBodyAsObject,
      schema: {
        tags: ['tokens'],
        operationId: 'revokeToken',
          security: [{ refreshCookie: [] }, {}],
          summary: 'Revoke a refresh or access token and its family (RFC 7009); without a body, the family in the refresh cookie (a logout, CSRF-checked)',
        consumes: ['application/json', FORM],
        [OPTIONAL_BODY]: true,
        body: { type: 'object', properties: { token: { type: 'string', maxLength: 8192 }, token_type_hint: { type: 'string' } } },
        response: { 200: { type: 'object', properties: {} }, ...problems(400, 403, 415, 503) },
      },
    },
    async (request, reply) => {
      const { token } = request.body;
      if (token !== undefined) {
        await tessera.revokeToken(token, clientOf(request));
        return {};
      }
      // A form never falls back on the cookie: RFC 7009 §2.1 requires the token in the body.
      if (isForm(request)) throw new AuthError('validation_failed', { detail: 'the form does not match the schema', errors: [TOKEN_REQUIRED] });
      // Cookie transport: the browser's logout. A malformed cookie is just cleared (RFC 7009: 200).
      const cookie = cookieOf(request, COOKIES.refresh);
      if (!cookie) throw new AuthError('validation_failed', { errors: [REFRESH_REQUIRED] });
      const familyId = tessera.familyOfRefreshToken(cookie);
      if (familyId) {
        assertCsrf(tessera, request, { method: 'token', sid: familyId, viaCookie: true });
        await tessera.revokeFamily(familyId, 'logout', clientOf(request));
      }
      clearTokenCookies(reply);
      return {};
    },
  );
}

const TOKEN_REQUIRED = { field: 'token', code: 'required', message: 'must be sent in the form (RFC 7009 §2.1)' };

/**
 * The refresh grant of RFC 6749 §6, from a form: `grant_type=refresh_token` and the token in the body,
 * never a cookie. Answered as RFC 6749 §5.1 and §5.2 describe.
 */
async function refreshGrant(tessera: Tessera, request: FastifyRequest<{ Body: { refresh_token?: string; grant_type?: string } }>, reply: FastifyReply) {
  const { grant_type: grant, refresh_token: token } = request.body;
  try {
    if (grant !== 'refresh_token') {
      const error = new AuthError('validation_failed', { detail: 'the form does not match the schema', errors: [{ field: 'grant_type', code: grant === undefined ? 'required' : 'enum', message: 'must be refresh_token' }] });
      return sendOAuthError(reply, error, grant === undefined ? 'invalid_request' : 'unsupported_grant_type');
    }
    if (token === undefined) throw new AuthError('validation_failed', { detail: 'the form does not match the schema', errors: [{ field: 'refresh_token', code: 'required', message: 'must be sent in the form' }] });
    const tokens = await tessera.refresh(token, clientOf(request));
    reply.header('pragma', 'no-cache');
    return sendPair(tessera, reply, tokens, 'body');
  } catch (error) {
    if (error instanceof AuthError) return sendOAuthError(reply, error);
    throw error;
  }
}
