import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionLogin } from '../../core/logins.js';
import { toIso } from '../../core/clock.js';
import { AuthError, isAuthError } from '../../core/errors.js';
import { type Session, type User, sessionIdleEnd } from '../../core/model.js';
import type { Tessera } from '../../core/tessera.js';
import { assertCsrf } from '../auth.js';
import { COOKIES, clearSessionCookie, cookieOf, setSessionCookie } from '../cookies.js';
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
  userJson,
  userSchema,
} from '../schemas.js';

interface LoginBody {
  username: string;
  password: string;
  remember?: boolean;
}

const sessionResponse = {
  type: 'object',
  required: ['user', 'session', 'csrfToken'],
  properties: {
    user: userSchema,
    session: {
      type: 'object',
      required: ['id', 'expiresAt', 'idleExpiresAt'],
      properties: {
        id: { type: 'string' },
        expiresAt: { type: 'string', format: 'date-time' },
        idleExpiresAt: { type: 'string', format: 'date-time' },
        amr: { type: 'array', items: { type: 'string' } },
        authTime: { type: 'string', format: 'date-time' },
      },
    },
    csrfToken: { type: 'string' },
  },
} as const;

const sessionJson = (tessera: Tessera, user: User, session: Session) => ({
  user: userJson(user),
  session: { id: session.id, expiresAt: toIso(session.expiresAt), idleExpiresAt: toIso(sessionIdleEnd(session)), amr: session.amr, authTime: toIso(session.authTime) },
  csrfToken: tessera.csrfToken(`session:${session.id}`),
});

/** Cookie sessions: `POST/GET/DELETE /v1/session` (API.md, "Cookie sessions"). */
export const sessionRoutes =
  (tessera: Tessera): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Body: LoginBody }>(
      '/v1/session',
      {
        schema: {
          tags: ['session'],
          operationId: 'logInWithSession',
          security: PUBLIC,
          summary: 'Log in with a cookie session',
          body: {
            type: 'object',
            required: ['username', 'password'],
            properties: { ...credentialsProperties, remember: { type: 'boolean' } },
          },
          response: { 200: sessionResponse, 202: mfaPendingSchema, ...problems(400, 401, 403, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        const { username, password, remember = false } = request.body;
        const presented = cookieOf(request, COOKIES.session);
        const login = await tessera.logInWithSession(username, password, remember, presented, clientOf(request));
        if (isMfaPending(login)) return reply.code(202).send(mfaPendingJson(login));
        return sendSession(tessera, reply, login);
      },
    );

    app.post<{ Body: SecondFactorBody }>(
      '/v1/session/mfa',
      {
        schema: {
          tags: ['session'],
          operationId: 'completeSessionMfa',
          security: PUBLIC,
          summary: 'Finish a login that needs a second factor: a TOTP code, a recovery code or a passkey',
          body: secondFactorBody,
          response: { 200: sessionResponse, ...problems(400, 401, 403, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        const presented = cookieOf(request, COOKIES.session);
        return sendSession(tessera, reply, await tessera.completeSessionMfa(request.body.challenge, proofOf(request.body), presented, clientOf(request)));
      },
    );

    app.post<{ Body: { ceremony: string; response: AuthenticationResponseJSON; remember?: boolean } }>(
      '/v1/session/passkey',
      {
        schema: {
          tags: ['session'],
          operationId: 'logInWithPasskeySession',
          security: PUBLIC,
          summary: 'Log in with a passkey alone (no user name), for a cookie session',
          body: { type: 'object', required: ['ceremony', 'response'], properties: { ...passkeyLoginProperties, remember: { type: 'boolean' } } },
          response: { 200: sessionResponse, ...problems(400, 401, 403, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        const { ceremony, response, remember = false } = request.body;
        const presented = cookieOf(request, COOKIES.session);
        return sendSession(tessera, reply, await tessera.logInWithPasskeySession(ceremony, response, remember, presented, clientOf(request)));
      },
    );

    app.get('/v1/session', { schema: { tags: ['session'], operationId: 'getSession',
          security: [{ session: [] }],
          summary: 'The current session', response: { 200: sessionResponse, ...problems(401, 503) } } }, async (request) => {
      const cookie = cookieOf(request, COOKIES.session);
      if (!cookie) throw new AuthError('unauthenticated');
      const { session, user } = await tessera.validateSession(cookie);
      return sessionJson(tessera, user, session);
    });

    app.delete('/v1/session', { schema: { tags: ['session'], operationId: 'logOut',
          // Idempotent (API.md): no session, or a dead one, gets 204 and a cleared cookie too.
          security: [{ session: [] }, {}],
          summary: 'Log out (idempotent: 204 with or without a live session)', response: { 204: { type: 'null' }, ...problems(403, 503) } } }, async (request, reply) => {
      const cookie = cookieOf(request, COOKIES.session);
      if (cookie) await logout(tessera, request, cookie);
      clearSessionCookie(reply);
      return reply.code(204).send();
    });
  };

function sendSession(tessera: Tessera, reply: FastifyReply, { user, session, token }: SessionLogin) {
  const maxAge = session.remember ? Math.floor((session.expiresAt - session.createdAt) / 1000) : null;
  setSessionCookie(reply, token, maxAge);
  return sessionJson(tessera, user, session);
}

/** Ends a live session (after its CSRF check); a dead or missing one needs nothing (API.md). */
async function logout(tessera: Tessera, request: FastifyRequest, cookie: string): Promise<void> {
  let session: Session;
  try {
    session = (await tessera.validateSession(cookie)).session;
  } catch (error) {
    if (isAuthError(error) && error.code !== 'unavailable') return;
    throw error;
  }
  assertCsrf(tessera, request, { method: 'session', sid: session.id, viaCookie: true });
  await tessera.logOut(session, clientOf(request));
}
