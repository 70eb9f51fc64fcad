import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { SecondFactorProof } from '../core/factors.js';
import type { MfaPending } from '../core/logins.js';
import type { ClientInfo, User } from '../core/model.js';
import type { FastifyRequest } from 'fastify';
import { toIso } from '../core/clock.js';

/**
 * JSON schemas shared by the routes: they validate requests, serialise responses fast, and feed the
 * OpenAPI document, so the three never disagree.
 */
export const userSchema = {
  type: 'object',
  required: ['id', 'username', 'role', 'createdAt'],
  properties: {
    id: { type: 'string' },
    username: { type: 'string' },
    role: { type: 'string', enum: ['user', 'admin'] },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const adminUserSchema = {
  ...userSchema,
  required: [...userSchema.required, 'disabled'],
  properties: { ...userSchema.properties, disabled: { type: 'boolean' } },
} as const;

/** RFC 9457 problem JSON, shared: the OpenAPI document lists it once, in components.schemas. */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details; `code` is stable and machine-readable (docs/errors.md)',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'code', 'message'],
        properties: { field: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

/** Schemas registered once on the app (`addSchema`) and named in components.schemas. */
export const SHARED_SCHEMAS = [problemSchema] as const;

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  400: 'The request is not valid',
  401: 'Not authenticated (with a WWW-Authenticate challenge)',
  403: 'Forbidden, or refused as a cross-site request',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'The body is too large',
  415: 'The body is not application/json',
  429: 'Too many requests (with Retry-After)',
  503: 'A store or the revocation feed is unavailable, or the server is overloaded (with Retry-After)',
  '4XX': 'Any other client error, as problem JSON',
  '5XX': 'An unexpected error, as problem JSON',
};

/** Problem responses for the given statuses, served as application/problem+json; any other 4xx and 5xx too. */
export function problems(...statuses: number[]): Record<string, unknown> {
  const problem = (status: number | string) => ({
    description: DESCRIPTIONS[status] ?? 'Problem (RFC 9457)',
    content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
  });
  return Object.fromEntries([...statuses, '4XX', '5XX'].map((status) => [status, problem(status)]));
}

/** Who may call an operation: public ones say so (an empty requirement), the others name the credentials accepted. */
export const PUBLIC: ReadonlyArray<Record<string, string[]>> = [];
export const AUTHENTICATED: ReadonlyArray<Record<string, string[]>> = [{ bearer: [] }, { session: [] }, { accessCookie: [] }];

/** A login body shared by both login endpoints. Lengths are bounded here; the policy lives in the core. */
export const credentialsProperties = {
  username: { type: 'string', minLength: 1, maxLength: 1024 },
  password: { type: 'string', minLength: 1, maxLength: 4096 },
} as const;

/** The answer of a password login that needs a second factor: 202, neither a session nor a token. */
export const mfaPendingSchema = {
  type: 'object',
  description: 'The password was right and the account has a second factor: finish with POST /v1/session/mfa or /v1/tokens/mfa',
  required: ['mfa'],
  properties: {
    mfa: {
      type: 'object',
      required: ['challenge', 'methods', 'expiresAt'],
      properties: {
        challenge: { type: 'string', description: 'single use, for 5 minutes' },
        methods: { type: 'array', items: { type: 'string', enum: ['totp', 'recovery_code', 'passkey'] } },
        expiresAt: { type: 'string', format: 'date-time' },
      },
    },
  },
} as const;

export const mfaPendingJson = ({ mfa }: MfaPending) => ({ mfa: { challenge: mfa.challenge, methods: mfa.methods, expiresAt: toIso(mfa.expiresAt) } });

/** A second step: the challenge, and exactly one proof. */
export const secondFactorBody = {
  type: 'object',
  required: ['challenge'],
  properties: {
    challenge: { type: 'string', maxLength: 256 },
    code: { type: 'string', maxLength: 16, description: 'a TOTP code' },
    recoveryCode: { type: 'string', maxLength: 64 },
    passkey: { type: 'object', description: 'a WebAuthn assertion (AuthenticationResponseJSON), for options from POST /v1/mfa/passkey-options' },
  },
  oneOf: [{ required: ['code'] }, { required: ['recoveryCode'] }, { required: ['passkey'] }],
} as const;

export interface SecondFactorBody {
  challenge: string;
  code?: string;
  recoveryCode?: string;
  passkey?: AuthenticationResponseJSON;
}

export const proofOf = (body: SecondFactorBody): SecondFactorProof =>
  body.code !== undefined ? { code: body.code } : body.recoveryCode !== undefined ? { recoveryCode: body.recoveryCode } : { passkey: body.passkey as AuthenticationResponseJSON };

/** A passkey sign-in: the ceremony from POST /v1/passkeys/options and the authenticator's assertion. */
export const passkeyLoginProperties = {
  ceremony: { type: 'string', maxLength: 256 },
  response: { type: 'object', description: 'a WebAuthn assertion (AuthenticationResponseJSON)' },
} as const;

/** WebAuthn options as @simplewebauthn/server makes them, passed to the browser as they are. */
export const webauthnOptionsSchema = { type: 'object', additionalProperties: true, description: 'WebAuthn options JSON (for @simplewebauthn/browser)' } as const;

export const userJson = (user: User) => ({
  id: user.id,
  username: user.username,
  role: user.role,
  createdAt: toIso(user.createdAt),
});

export const adminUserJson = (user: User) => ({ ...userJson(user), disabled: user.disabled });

export const clientOf = (request: FastifyRequest): ClientInfo => ({
  ip: request.ip,
  userAgent: request.headers['user-agent'] ?? '',
});
