import type { FastifyPluginAsync } from 'fastify';
import { toIso } from '../../core/clock.js';
import { credentialJson, credentialSchema } from '../credentials.js';
import { AuthError } from '../../core/errors.js';
import type { Tessera } from '../../core/tessera.js';
import { requireAuth } from '../auth.js';
import { AUTHENTICATED, clientOf, problems } from '../schemas.js';

const meResponse = {
  type: 'object',
  required: ['id', 'username', 'role', 'auth'],
  properties: {
    id: { type: 'string' },
    username: { type: 'string' },
    role: { type: 'string', enum: ['user', 'admin'] },
    auth: {
      type: 'object',
      required: ['method', 'sessionId', 'expiresAt', 'amr', 'authTime'],
      properties: {
        method: { type: 'string', enum: ['session', 'token'] },
        sessionId: { type: 'string' },
        expiresAt: { type: 'string', format: 'date-time' },
        amr: { type: 'array', items: { type: 'string' }, description: 'RFC 8176 methods: pwd, otp, hwk, swk, mfa' },
        authTime: { type: 'string', format: 'date-time', description: 'when the user authenticated for this credential' },
      },
    },
  },
} as const;


const AUTH_PROBLEMS = [401, 403, 503];

/** The caller's identity and self-service (API.md, "Identity and self-service"). */
export const meRoutes =
  (tessera: Tessera): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', requireAuth(tessera));

    // Not async: a plain return is sent at once, without a promise to settle first (the hot path).
    app.get('/v1/me', { schema: { tags: ['me'], operationId: 'getMe',
          security: AUTHENTICATED,
          summary: 'Who am I', response: { 200: meResponse, ...problems(...AUTH_PROBLEMS) } } }, (request) => {
      const p = request.principal!;
      return { id: p.userId, username: p.username, role: p.role, auth: { method: p.method, sessionId: p.sid, expiresAt: toIso(p.expiresAt), amr: p.auth.amr, authTime: toIso(p.auth.authTime) } };
    });

    app.get(
      '/v1/me/sessions',
      { schema: { tags: ['me'], operationId: 'listMySessions',
          security: AUTHENTICATED,
          summary: 'My live sessions and token families', response: { 200: { type: 'object', required: ['sessions'], properties: { sessions: { type: 'array', items: credentialSchema } } }, ...problems(...AUTH_PROBLEMS) } } },
      async (request) => {
        const p = request.principal!;
        const list = await tessera.listCredentials(p.userId);
        return { sessions: list.map((c) => credentialJson(c, p.sid)) };
      },
    );

    app.delete<{ Params: { id: string } }>(
      '/v1/me/sessions/:id',
      { schema: { tags: ['me'], operationId: 'revokeMySession',
          security: AUTHENTICATED,
          summary: 'Revoke one of my sessions or token families', params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } } }, response: { 204: { type: 'null' }, ...problems(404, ...AUTH_PROBLEMS) } } },
      async (request, reply) => {
        const p = request.principal!;
        if (!(await tessera.revokeCredential(p.userId, request.params.id, clientOf(request)))) {
          throw new AuthError('not_found', { detail: 'no live session of yours has that id' });
        }
        return reply.code(204).send();
      },
    );

    app.delete('/v1/me/sessions', { schema: { tags: ['me'], operationId: 'revokeMyOtherSessions',
          security: AUTHENTICATED,
          summary: 'Revoke all my other sessions and token families', response: { 204: { type: 'null' }, ...problems(...AUTH_PROBLEMS) } } }, async (request, reply) => {
      const p = request.principal!;
      await tessera.revokeOtherCredentials(p.userId, p.sid, clientOf(request));
      return reply.code(204).send();
    });

    app.put<{ Body: { currentPassword: string; newPassword: string } }>(
      '/v1/me/password',
      {
        schema: {
          tags: ['me'],
          operationId: 'changeMyPassword',
          security: AUTHENTICATED,
          summary: 'Change my password (needs a recent authentication); every other session and token family is revoked',
          body: {
            type: 'object',
            required: ['currentPassword', 'newPassword'],
            properties: { currentPassword: { type: 'string', maxLength: 4096 }, newPassword: { type: 'string', maxLength: 4096 } },
          },
          response: { 204: { type: 'null' }, ...problems(400, 429, ...AUTH_PROBLEMS) },
        },
      },
      async (request, reply) => {
        const p = request.principal!;
        await tessera.changePassword(p.userId, p.sid, p.auth, request.body.currentPassword, request.body.newPassword, clientOf(request));
        return reply.code(204).send();
      },
    );
  };
