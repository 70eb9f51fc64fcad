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

export const problemSchema = {
  type: 'object',
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
        properties: { field: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

/** Problem responses for the given statuses, for the OpenAPI document. */
export function problems(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(statuses.map((status) => [status, { description: 'Problem (RFC 9457)', ...problemSchema }]));
}

/** A login body shared by both login endpoints. Lengths are bounded here; the policy lives in the core. */
export const credentialsProperties = {
  username: { type: 'string', minLength: 1, maxLength: 1024 },
  password: { type: 'string', minLength: 1, maxLength: 4096 },
} as const;

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
