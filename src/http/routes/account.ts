import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyPluginAsync } from 'fastify';
import { toIso } from '../../core/clock.js';
import { AuthError } from '../../core/errors.js';
import type { Passkey } from '../../core/lifecyclePorts.js';
import type { User } from '../../core/model.js';
import type { Tessera } from '../../core/tessera.js';
import { requireAuth } from '../auth.js';
import { AUTHENTICATED, PUBLIC, clientOf, problems, webauthnOptionsSchema } from '../schemas.js';

const emailSchema = {
  type: 'object',
  required: ['email', 'emailVerified'],
  properties: { email: { type: ['string', 'null'] }, emailVerified: { type: 'boolean' } },
} as const;

const emailJson = (user: User) => ({ email: user.email, emailVerified: user.emailVerified });

const passkeySchema = {
  type: 'object',
  required: ['id', 'name', 'deviceType', 'backedUp', 'createdAt', 'lastUsedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    deviceType: { type: 'string', enum: ['singleDevice', 'multiDevice'] },
    backedUp: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
    lastUsedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

const passkeyJson = (key: Passkey) => ({
  id: key.id,
  name: key.name,
  deviceType: key.deviceType,
  backedUp: key.backedUp,
  createdAt: toIso(key.createdAt),
  lastUsedAt: key.lastUsedAt === null ? null : toIso(key.lastUsedAt),
});

const recoveryCodesSchema = {
  type: 'object',
  required: ['recoveryCodes'],
  properties: { recoveryCodes: { type: 'array', items: { type: 'string' }, description: 'shown once; each works once' } },
} as const;

const ceremonySchema = {
  type: 'object',
  required: ['ceremony', 'options'],
  properties: { ceremony: { type: 'string', description: 'single use, for 5 minutes' }, options: webauthnOptionsSchema },
} as const;

const ID_PARAMS = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 1024 } } } as const;
const AUTH_PROBLEMS = [401, 403, 503];
const noPasskey = (): AuthError => new AuthError('not_found', { detail: 'no passkey of yours has that id' });

/** The public half of the account lifecycle: verification and reset links, passkey and second-factor options. */
export const recoveryRoutes =
  (tessera: Tessera): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Body: { token: string } }>(
      '/v1/email/verify',
      {
        schema: {
          tags: ['account'],
          operationId: 'verifyEmail',
          security: PUBLIC,
          summary: 'Prove an e-mail address with the token of its link (single use, 24 hours)',
          body: { type: 'object', required: ['token'], properties: { token: { type: 'string', maxLength: 256 } } },
          response: { 200: emailSchema, ...problems(400, 409, 413, 415, 503) },
        },
      },
      async (request) => emailJson(await tessera.verifyEmail(request.body.token, clientOf(request))),
    );

    app.post<{ Body: { identifier: string } }>(
      '/v1/password/forgot',
      {
        schema: {
          tags: ['account'],
          operationId: 'forgotPassword',
          security: PUBLIC,
          summary: 'Ask for a reset link, by user name or e-mail address: the same answer whether or not the account exists',
          body: { type: 'object', required: ['identifier'], properties: { identifier: { type: 'string', minLength: 1, maxLength: 1024 } } },
          response: { 202: { type: 'object', properties: {} }, ...problems(400, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        await tessera.requestPasswordReset(request.body.identifier, clientOf(request));
        return reply.code(202).send({});
      },
    );

    app.post<{ Body: { token: string; newPassword: string } }>(
      '/v1/password/reset',
      {
        schema: {
          tags: ['account'],
          operationId: 'resetPassword',
          security: PUBLIC,
          summary: 'Set a new password with the token of a reset link (single use, 15 minutes); every session and token family of the user is revoked',
          body: {
            type: 'object',
            required: ['token', 'newPassword'],
            properties: { token: { type: 'string', maxLength: 256 }, newPassword: { type: 'string', maxLength: 4096 } },
          },
          response: { 204: { type: 'null' }, ...problems(400, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        await tessera.resetPassword(request.body.token, request.body.newPassword, clientOf(request));
        return reply.code(204).send();
      },
    );

    app.post(
      '/v1/passkeys/options',
      {
        schema: {
          tags: ['account'],
          operationId: 'passkeyLoginOptions',
          security: PUBLIC,
          summary: 'Start a sign-in with a passkey alone: WebAuthn options for a discoverable credential',
          response: { 200: ceremonySchema, ...problems(503) },
        },
      },
      async () => tessera.passkeyLoginOptions(),
    );

    app.post<{ Body: { challenge: string } }>(
      '/v1/mfa/passkey-options',
      {
        schema: {
          tags: ['account'],
          operationId: 'mfaPasskeyOptions',
          security: PUBLIC,
          summary: 'WebAuthn options for a passkey as the second factor of an MFA challenge',
          body: { type: 'object', required: ['challenge'], properties: { challenge: { type: 'string', maxLength: 256 } } },
          response: { 200: { type: 'object', required: ['options'], properties: { options: webauthnOptionsSchema } }, ...problems(400, 401, 413, 415, 503) },
        },
      },
      async (request) => ({ options: await tessera.mfaPasskeyOptions(request.body.challenge) }),
    );
  };

/**
 * The signed-in half: the address, TOTP, recovery codes and passkeys. Every change needs a recent
 * authentication (401 `reauthentication_required`), with the second factor when the account has one.
 */
export const securityRoutes =
  (tessera: Tessera): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', requireAuth(tessera));
    const op = (operationId: string, summary: string, extra: Record<string, unknown>) => ({ schema: { tags: ['me'], operationId, security: AUTHENTICATED, summary, ...extra } });

    app.get(
      '/v1/me/security',
      op('getMySecurity', 'My e-mail address, second factors and passkeys', {
        response: {
          200: {
            type: 'object',
            required: ['email', 'emailVerified', 'totp', 'recoveryCodes', 'passkeys'],
            properties: {
              ...emailSchema.properties,
              totp: { type: 'string', enum: ['none', 'pending', 'enabled'] },
              recoveryCodes: { type: 'integer', description: 'unused recovery codes left' },
              passkeys: { type: 'array', items: passkeySchema },
            },
          },
          ...problems(...AUTH_PROBLEMS),
        },
      }),
      async (request) => {
        const p = request.principal!;
        const [user, status] = await Promise.all([tessera.findUser(p.userId), tessera.factorStatus(p.userId)]);
        if (!user) throw new AuthError('unauthenticated');
        return { ...emailJson(user), totp: status.totp, recoveryCodes: status.recoveryCodes, passkeys: status.passkeys.map(passkeyJson) };
      },
    );

    app.put<{ Body: { email: string | null } }>(
      '/v1/me/email',
      op('setMyEmail', 'Set or remove my e-mail address; a new one gets a verification link', {
        body: { type: 'object', required: ['email'], properties: { email: { type: ['string', 'null'], maxLength: 1024 } } },
        response: { 200: emailSchema, ...problems(400, 413, 415, ...AUTH_PROBLEMS) },
      }),
      async (request) => {
        const p = request.principal!;
        return emailJson(await tessera.setEmail(p.userId, p.auth, request.body.email, clientOf(request)));
      },
    );

    app.post(
      '/v1/me/totp',
      op('enrolTotp', 'Start a TOTP enrolment: the secret, its otpauth:// URI and a QR code (SVG); confirm with a code', {
        response: {
          200: { type: 'object', required: ['secret', 'uri', 'qrSvg'], properties: { secret: { type: 'string' }, uri: { type: 'string' }, qrSvg: { type: 'string' } } },
          ...problems(400, ...AUTH_PROBLEMS),
        },
      }),
      async (request, reply) => {
        const p = request.principal!;
        reply.header('cache-control', 'no-store');
        return tessera.enrolTotp(p.userId, p.auth);
      },
    );

    app.post<{ Body: { code: string } }>(
      '/v1/me/totp/confirm',
      op('confirmTotp', 'Confirm a TOTP enrolment with a first code; answers the 10 recovery codes, once', {
        body: { type: 'object', required: ['code'], properties: { code: { type: 'string', maxLength: 16 } } },
        response: { 200: recoveryCodesSchema, ...problems(400, 413, 415, 429, ...AUTH_PROBLEMS) },
      }),
      async (request, reply) => {
        const p = request.principal!;
        reply.header('cache-control', 'no-store');
        return { recoveryCodes: await tessera.confirmTotp(p.userId, p.auth, request.body.code, clientOf(request)) };
      },
    );

    app.delete(
      '/v1/me/totp',
      op('removeTotp', 'Remove my TOTP factor', { response: { 204: { type: 'null' }, ...problems(404, ...AUTH_PROBLEMS) } }),
      async (request, reply) => {
        const p = request.principal!;
        if (!(await tessera.removeTotp(p.userId, p.auth, clientOf(request)))) throw new AuthError('not_found', { detail: 'you have no TOTP factor' });
        return reply.code(204).send();
      },
    );

    app.post(
      '/v1/me/recovery-codes',
      op('regenerateRecoveryCodes', 'New recovery codes, replacing the old ones', { response: { 200: recoveryCodesSchema, ...problems(400, ...AUTH_PROBLEMS) } }),
      async (request, reply) => {
        const p = request.principal!;
        reply.header('cache-control', 'no-store');
        return { recoveryCodes: await tessera.regenerateRecoveryCodes(p.userId, p.auth, clientOf(request)) };
      },
    );

    app.post(
      '/v1/me/passkeys/options',
      op('passkeyRegistrationOptions', 'Start registering a passkey: WebAuthn creation options', { response: { 200: ceremonySchema, ...problems(...AUTH_PROBLEMS) } }),
      async (request) => {
        const p = request.principal!;
        return tessera.passkeyRegistrationOptions(p.userId, p.auth);
      },
    );

    app.post<{ Body: { ceremony: string; response: RegistrationResponseJSON; name?: string } }>(
      '/v1/me/passkeys',
      op('addPasskey', 'Register a passkey with the authenticator’s answer', {
        body: {
          type: 'object',
          required: ['ceremony', 'response'],
          properties: { ceremony: { type: 'string', maxLength: 256 }, response: { type: 'object', description: 'RegistrationResponseJSON' }, name: { type: 'string', maxLength: 256 } },
        },
        response: { 201: passkeySchema, ...problems(400, 413, 415, ...AUTH_PROBLEMS) },
      }),
      async (request, reply) => {
        const p = request.principal!;
        const { ceremony, response, name } = request.body;
        return reply.code(201).send(passkeyJson(await tessera.addPasskey(p.userId, p.auth, ceremony, response, name, clientOf(request))));
      },
    );

    app.get(
      '/v1/me/passkeys',
      op('listMyPasskeys', 'My passkeys', { response: { 200: { type: 'object', required: ['passkeys'], properties: { passkeys: { type: 'array', items: passkeySchema } } }, ...problems(...AUTH_PROBLEMS) } }),
      async (request) => ({ passkeys: (await tessera.listPasskeys(request.principal!.userId)).map(passkeyJson) }),
    );

    app.patch<{ Params: { id: string }; Body: { name: string } }>(
      '/v1/me/passkeys/:id',
      op('renamePasskey', 'Rename one of my passkeys', {
        params: ID_PARAMS,
        body: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 256 } } },
        response: { 204: { type: 'null' }, ...problems(400, 404, 413, 415, ...AUTH_PROBLEMS) },
      }),
      async (request, reply) => {
        if (!(await tessera.renamePasskey(request.principal!.userId, request.params.id, request.body.name))) throw noPasskey();
        return reply.code(204).send();
      },
    );

    app.delete<{ Params: { id: string } }>(
      '/v1/me/passkeys/:id',
      op('deletePasskey', 'Delete one of my passkeys', { params: ID_PARAMS, response: { 204: { type: 'null' }, ...problems(404, ...AUTH_PROBLEMS) } }),
      async (request, reply) => {
        const p = request.principal!;
        if (!(await tessera.deletePasskey(p.userId, p.auth, request.params.id, clientOf(request)))) throw noPasskey();
        return reply.code(204).send();
      },
    );
  };
