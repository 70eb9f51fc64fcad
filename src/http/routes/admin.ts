import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { actorInReason } from '../../core/audit.js';
import { AuthError } from '../../core/errors.js';
import type { ClientInfo, Role, StoredAuditEntry, User } from '../../core/model.js';
import { credentialJson, credentialSchema } from '../credentials.js';
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

async function userOrNotFound(tessera: Tessera, id: string): Promise<User> {
  const user = UUID.test(id) ? await tessera.findUser(id) : null;
  if (!user) throw new AuthError('not_found', { detail: 'no user has that id' });
  return user;
}

const auditEntrySchema = {
  type: 'object',
  required: ['seq', 'at', 'event', 'userId', 'username', 'actor', 'ip', 'userAgent', 'reason', 'hash'],
  properties: {
    seq: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    event: { type: 'string' },
    userId: { type: ['string', 'null'] },
    username: { type: ['string', 'null'], description: 'the user’s name now, or null when no user has that id any more' },
    actor: {
      type: ['object', 'null'],
      description: 'the administrator who acted, as the reason names them (`… (by ID)`), with their name now',
      required: ['id', 'username'],
      properties: { id: { type: 'string' }, username: { type: ['string', 'null'] } },
    },
    ip: { type: ['string', 'null'] },
    userAgent: { type: ['string', 'null'] },
    reason: { type: ['string', 'null'] },
    hash: { type: 'string', description: 'SHA-256 over the previous entry’s hash and this entry (hex)' },
  },
} as const;

const auditPageSchema = { type: 'object', required: ['entries', 'nextCursor'], properties: { entries: { type: 'array', items: auditEntrySchema }, nextCursor: { type: ['string', 'null'] } } } as const;

const verificationSchema = {
  type: 'object',
  required: ['ok', 'entries', 'brokenAt', 'checkpoint'],
  properties: {
    ok: { type: 'boolean', description: 'every link holds, and so does the newest checkpoint when there is one' },
    entries: { type: 'integer' },
    brokenAt: { type: ['integer', 'null'], description: 'the first entry whose link fails' },
    checkpoint: {
      type: ['object', 'null'],
      required: ['ok', 'seq', 'reason'],
      properties: { ok: { type: 'boolean' }, seq: { type: ['integer', 'null'] }, reason: { type: ['string', 'null'] } },
    },
  },
} as const;

const auditJson = (e: StoredAuditEntry) => ({ seq: e.seq, at: new Date(e.at).toISOString(), event: e.event, userId: e.userId, ip: e.ip, userAgent: e.userAgent, reason: e.reason, hash: e.hash });

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
              cursor: { type: 'string', maxLength: 128, description: 'the nextCursor of the previous page (with the same filters)' },
              q: { type: 'string', maxLength: 64, description: 'a prefix of the user name, matched as names are compared (NFKC, lower case)' },
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
        const filter = { ...(q ? { q } : {}), ...(role ? { role } : {}), ...(disabled === undefined ? {} : { disabled: disabled === 'true' }) };
        const users = await tessera.listUsers(limit + 1, after, filter);
        const page = users.slice(0, limit);
        const last = page.at(-1);
        return { users: page.map(adminUserJson), nextCursor: users.length > limit && last ? encodeCursor(last.id) : null };
      },
    );

    app.get<{ Params: { id: string } }>(
      '/v1/admin/users/:id',
      { schema: { tags: ['admin'], operationId: 'getUser', security: AUTHENTICATED, summary: 'One user', params: ID_PARAMS, response: { 200: adminUserSchema, ...problems(404, ...ADMIN_PROBLEMS) } } },
      async (request) => adminUserJson(await userOrNotFound(tessera, request.params.id)),
    );

    app.get<{ Params: { id: string } }>(
      '/v1/admin/users/:id/sessions',
      {
        schema: {
          tags: ['admin'],
          operationId: 'listUserSessions',
          security: AUTHENTICATED,
          summary: 'A user’s live sessions and token families, with address and device',
          params: ID_PARAMS,
          response: { 200: { type: 'object', required: ['sessions'], properties: { sessions: { type: 'array', items: credentialSchema } } }, ...problems(404, ...ADMIN_PROBLEMS) },
        },
      },
      async (request) => {
        const user = await userOrNotFound(tessera, request.params.id);
        // `current` is the administrator's own credential, so it is true only on their own page.
        return { sessions: (await tessera.listCredentials(user.id)).map((c) => credentialJson(c, request.principal!.sid)) };
      },
    );

    app.get<{ Querystring: { limit?: string; cursor?: string } }>(
      '/v1/admin/audit',
      {
        schema: {
          tags: ['admin'],
          operationId: 'readAudit',
          security: AUTHENTICATED,
          summary: 'The audit log, newest first, a page at a time, each entry with its user’s name (the cursor is the last sequence number read)',
          querystring: {
            type: 'object',
            properties: {
              limit: { type: 'string', pattern: '^([1-9][0-9]?|1[0-9]{2}|200)$', description: 'entries per page, 1 to 200 (default 50)' },
              cursor: { type: 'string', pattern: '^(0|[1-9][0-9]{0,14})$', description: 'the nextCursor of the previous page' },
            },
          },
          response: { 200: auditPageSchema, ...problems(400, ...ADMIN_PROBLEMS) },
        },
      },
      async (request) => {
        const limit = Number(request.query.limit ?? DEFAULT_PAGE);
        const page = await tessera.auditPage(request.query.cursor === undefined ? null : Number(request.query.cursor), limit);
        const ids = [...new Set(page.flatMap((e) => [e.userId, actorInReason(e.reason)]).filter((id): id is string => id !== null && UUID.test(id)))];
        const names = new Map((await Promise.all(ids.map((id) => tessera.findUser(id)))).filter((u) => u !== null).map((u) => [u.id, u.username]));
        const nameOf = (id: string | null): string | null => (id === null ? null : (names.get(id) ?? null));
        const oldest = page.at(-1);
        return {
          entries: page.map((e) => {
            const actor = actorInReason(e.reason);
            return { ...auditJson(e), username: nameOf(e.userId), actor: actor === null ? null : { id: actor, username: nameOf(actor) } };
          }),
          nextCursor: oldest && oldest.seq > 1 ? String(oldest.seq) : null,
        };
      },
    );

    app.get(
      '/v1/admin/audit/verification',
      {
        schema: {
          tags: ['admin'],
          operationId: 'verifyAudit',
          security: AUTHENTICATED,
          summary: 'Checks every link of the audit chain, and the newest signed checkpoint kept',
          response: { 200: verificationSchema, ...problems(...ADMIN_PROBLEMS) },
        },
      },
      async () => {
        const check = await tessera.verifyAudit();
        return {
          ok: check.ok && (check.checkpoint === null || check.checkpoint.ok),
          entries: check.entries,
          brokenAt: check.ok ? null : check.brokenAt,
          checkpoint: check.checkpoint === null ? null : check.checkpoint.ok ? { ok: true, seq: check.checkpoint.claims.seq, reason: null } : { ok: false, seq: null, reason: check.checkpoint.reason },
        };
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
