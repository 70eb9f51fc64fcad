import type { FastifyPluginAsync } from 'fastify';
import type { Tessera } from '../../core/tessera.js';
import { PUBLIC, clientOf, problems, userJson, userSchema } from '../schemas.js';

interface RegisterBody {
  username: string;
  password: string;
  email?: string;
}

/** `POST /v1/users`: registration (API.md, "Registration"). */
export const userRoutes =
  (tessera: Tessera): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Body: RegisterBody }>(
      '/v1/users',
      {
        schema: {
          tags: ['users'],
          operationId: 'register',
          security: PUBLIC,
          summary: 'Register a user',
          body: {
            type: 'object',
            required: ['username', 'password'],
            properties: {
              username: { type: 'string', maxLength: 1024 },
              password: { type: 'string', maxLength: 4096 },
              email: { type: 'string', maxLength: 1024, description: 'optional; a link to verify it is mailed' },
            },
          },
          response: { 201: userSchema, ...problems(400, 403, 409, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        const { username, password, email } = request.body;
        const user = await tessera.register(username, password, clientOf(request), 'user', email);
        return reply.code(201).send(userJson(user));
      },
    );
  };
