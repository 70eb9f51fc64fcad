import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AuthError } from '../../core/errors.js';
import type { ClientInfo, Role } from '../../core/model.js';
import type { Tessera } from '../../core/tessera.js';
import { requireAuth } from '../auth.js';
import { AUTHENTICATED, adminUserJson, adminUserSchema, clientOf, problems } from '../schemas.js';

const ID_PARAMS = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;
const ADMIN_PROBLEMS = [401, 403, 503];
const DEFAULT_PAGE = 50;

/** Cursors are opaque to clients: the last id of the page (a UUID), base64url. */
const encodeCursor = (id: string): string => Buffer.from(id).toString('base64url');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The id a cursor names; `validation_failed` naming the query for anything this server did not hand out. */
function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!UUID.test(id) || encodeCursor(id) !== cursor) {
    throw new AuthError('validation_failed', { detail: 'the query string does not match the schema', errors: [{ field: 'cursor', code: 'invalid_cursor', message: 'must be a nextCursor from an earlier page' }] });
  }
  return id;
}

/** The administrator acting, for the audit trail. */
const actorOf = (request: FastifyRequest): ClientInfo => ({ ...clientOf(request), actorId: request.principal!.userId });

/** Administration, role `admin` only (API.md, "Administration"). */
export const adminRoutes =
  (tessera: Tessera, options: { requireMfa: boolean } = { requireMfa: false }): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', requireAuth(tessera, 'admin', { mfa: options.requireMfa }));

    app.delete<{ Params: { id: string } }>(
      '/v1/admin/users/:id/factors',
      {
        schema: {
          tags: ['admin'],
          operationId: 'resetUserFactors',
          security: AUTHENTICATED,
          summary: 'Remove every second factor and passkey of a user (audited); every session and token family of theirs is revoked',
          params: ID_PARAMS,
          response: { 204: { type: 'null' }, ...problems(404, ...ADMIN_PROBLEMS) },
        },
      },
      async (request, reply) => {
        await tessera.resetFactors(request.params.id, actorOf(request));
        return reply.code(204).send();
      },
    );

    app.get<{ Querystring: { limit?: string; cursor?: string } }>(
      '/v1/admin/users',
      {
        schema: {
          tags: ['admin'],
          operationId: 'listUsers',
          security: AUTHENTICATED,
          summary: 'List users, oldest first, a page at a time',
          // Query values are strings, and never coerced: 1 to 200 is checked here, parsed below.
          querystring: {
            type: 'object',
            properties: {
              limit: { type: 'string', pattern: '^([1-9][0-9]?|1[0-9]{2}|200)$', description: 'users per page, 1 to 200 (default 50)' },
              cursor: { type: 'string', maxLength: 128, description: 'the nextCursor of the previous page' },
            },
          },
          response: {
            200: { type: 'object', required: ['users', 'nextCursor'], properties: { users: { type: 'array', items: adminUserSchema }, nextCursor: { type: ['string', 'null'] } } },
            ...problems(400, ...ADMIN_PROBLEMS),
          },
        },
      },
      async (request) => {
        const limit = Number(request.query.limit ?? DEFAULT_PAGE);
        const after = request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor);
        const users = await tessera.listUsers(limit + 1, after);
        const page = users.slice(0, limit);
        const last = page.at(-1);
        return { users: page.map(adminUserJson), nextCursor: users.length > limit && last ? encodeCursor(last.id) : null };
      },
    );

    app.patch<{ Params: { id: string }; Body: { role?: Role; disabled?: boolean } }>(
      '/v1/admin/users/:id',
      {
        schema: {
          tags: ['admin'],
          operationId: 'updateUser',
          security: AUTHENTICATED,
          summary: 'Change a user’s role or disabled flag; a demotion or a disable revokes every earlier access token at once',
          params: ID_PARAMS,
          // A change that names neither is a mistake, not a silent no-op.
          body: {
            type: 'object',
            anyOf: [{ required: ['role'] }, { required: ['disabled'] }],
            properties: { role: { type: 'string', enum: ['user', 'admin'] }, disabled: { type: 'boolean' } },
          },
          response: { 200: adminUserSchema, ...problems(400, 404, ...ADMIN_PROBLEMS) },
        },
      },
      async (request) => {
        const { role, disabled } = request.body;
        const change = { ...(role === undefined ? {} : { role }), ...(disabled === undefined ? {} : { disabled }) };
        return adminUserJson(await tessera.updateUser(request.params.id, change, actorOf(request)));
      },
    );

    app.delete<{ Params: { id: string } }>(
      '/v1/admin/users/:id/sessions',
      { schema: { tags: ['admin'], operationId: 'revokeUserSessions',
          security: AUTHENTICATED,
          summary: 'Revoke every session and token family of a user', params: ID_PARAMS, response: { 204: { type: 'null' }, ...problems(404, ...ADMIN_PROBLEMS) } } },
      async (request, reply) => {
        await tessera.revokeEverything(request.params.id, actorOf(request));
        return reply.code(204).send();
      },
    );
  };
