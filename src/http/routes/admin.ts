import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { toIso } from '../../core/clock.js';
import { AuthError } from '../../core/errors.js';
import type { ClientInfo, Role } from '../../core/model.js';
import type { Tessera } from '../../core/tessera.js';
import { requireAuth } from '../auth.js';
import { AUTHENTICATED, adminUserJson, adminUserSchema, clientOf, credentialJson, credentialSchema, problems } from '../schemas.js';

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

const auditEntrySchema = {
  type: 'object',
  required: ['seq', 'at', 'event', 'userId', 'username', 'ip', 'userAgent', 'reason'],
  properties: {
    seq: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    event: { type: 'string' },
    userId: { type: ['string', 'null'] },
    username: { type: ['string', 'null'] },
    ip: { type: ['string', 'null'] },
    userAgent: { type: ['string', 'null'] },
    reason: { type: ['string', 'null'] },
  },
} as const;

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

    app.get<{ Querystring: { limit?: string; cursor?: string; q?: string; role?: Role; disabled?: 'true' | 'false' } }>(
      '/v1/admin/users',
      {
        schema: {
          tags: ['admin'],
          operationId: 'listUsers',
          security: AUTHENTICATED,
          summary: 'List users, oldest first, a page at a time; search by name prefix, filter by role and disabled',
          // Query values are strings, and never coerced: 1 to 200 is checked here, parsed below.
          querystring: {
            type: 'object',
            properties: {
              limit: { type: 'string', pattern: '^([1-9][0-9]?|1[0-9]{2}|200)$', description: 'users per page, 1 to 200 (default 50)' },
              cursor: { type: 'string', maxLength: 128, description: 'the nextCursor of the previous page' },
              q: { type: 'string', maxLength: 64, description: 'names starting with this (compared as names are: NFKC, lower case)' },
              role: { type: 'string', enum: ['user', 'admin'] },
              disabled: { type: 'string', enum: ['true', 'false'] },
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
        const { q, role, disabled } = request.query;
        const users = await tessera.listUsers({
          limit: limit + 1,
          ...(after === undefined ? {} : { after }),
          ...(q === undefined ? {} : { prefix: q }),
          ...(role === undefined ? {} : { role }),
          ...(disabled === undefined ? {} : { disabled: disabled === 'true' }),
        });
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

    app.get<{ Querystring: { limit?: string; cursor?: string } }>(
      '/v1/admin/audit',
      {
        schema: {
          tags: ['admin'],
          operationId: 'listAudit',
          security: AUTHENTICATED,
          summary: 'The audit log, newest first, a page at a time',
          querystring: {
            type: 'object',
            properties: {
              limit: { type: 'string', pattern: '^([1-9][0-9]?|1[0-9]{2}|200)$', description: 'entries per page, 1 to 200 (default 50)' },
              cursor: { type: 'string', pattern: '^[1-9][0-9]{0,15}$', description: 'the nextCursor of the previous page' },
            },
          },
          response: {
            200: { type: 'object', required: ['entries', 'nextCursor'], properties: { entries: { type: 'array', items: auditEntrySchema }, nextCursor: { type: ['string', 'null'] } } },
            ...problems(400, ...ADMIN_PROBLEMS),
          },
        },
      },
      async (request) => {
        const limit = Number(request.query.limit ?? DEFAULT_PAGE);
        const before = request.query.cursor === undefined ? undefined : Number(request.query.cursor);
        const page = (await tessera.auditTail(limit, before)).reverse();
        const names = new Map<string, string | null>();
        for (const id of new Set(page.map((e) => e.userId).filter((id): id is string => id !== null))) names.set(id, (await tessera.findUser(id))?.username ?? null);
        const last = page.at(-1);
        return {
          entries: page.map(({ hash: _hash, ...e }) => ({ ...e, at: toIso(e.at), username: e.userId === null ? null : (names.get(e.userId) ?? null) })),
          nextCursor: last !== undefined && last.seq > 1 && page.length === limit ? String(last.seq) : null,
        };
      },
    );

    app.get(
      '/v1/admin/audit/chain',
      {
        schema: {
          tags: ['admin'],
          operationId: 'verifyAuditChain',
          security: AUTHENTICATED,
          summary: 'Checks every link of the audit chain, and the newest signed checkpoint',
          response: {
            200: {
              type: 'object',
              required: ['ok', 'entries'],
              properties: {
                ok: { type: 'boolean' },
                entries: { type: 'integer', description: 'entries that check out' },
                brokenAt: { type: 'integer', description: 'the first entry that does not, when ok is false' },
                checkpoint: { type: ['object', 'null'], additionalProperties: true, description: 'what the newest checkpoint proves, when there is one' },
              },
            },
            ...problems(...ADMIN_PROBLEMS),
          },
        },
      },
      async () => tessera.verifyAudit(),
    );

    app.get<{ Params: { id: string } }>(
      '/v1/admin/users/:id/sessions',
      {
        schema: {
          tags: ['admin'],
          operationId: 'listUserSessions',
          security: AUTHENTICATED,
          summary: 'A user’s live sessions and token families, with device and address',
          params: ID_PARAMS,
          response: { 200: { type: 'object', required: ['sessions'], properties: { sessions: { type: 'array', items: credentialSchema } } }, ...problems(404, ...ADMIN_PROBLEMS) },
        },
      },
      async (request) => {
        if (!(await tessera.findUser(request.params.id))) throw new AuthError('not_found', { detail: 'no user has that id' });
        return { sessions: (await tessera.listCredentials(request.params.id)).map(credentialJson) };
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
