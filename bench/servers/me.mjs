// The body every baseline answers, shaped like Tessera's `GET /v1/me`, so that
// each server serializes the same bytes and only the authentication work differs.

export const BENCH_USER = Object.freeze({
  id: '01900000-0000-7000-8000-000000000001',
  username: 'bench-user',
  role: 'user',
});

/** @param {{ id: string, username: string, role: string }} user @param {string} sessionId @param {Date} expiresAt */
export function meBody(user, sessionId, expiresAt) {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    auth: { method: 'session', sessionId, expiresAt: expiresAt.toISOString() },
  };
}

/** The response schema Tessera's route declares; Fastify compiles a serializer from it. */
export const meSchema = {
  200: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      username: { type: 'string' },
      role: { type: 'string' },
      auth: {
        type: 'object',
        properties: {
          method: { type: 'string' },
          sessionId: { type: 'string' },
          expiresAt: { type: 'string' },
        },
      },
    },
  },
};

/** Where a server listens: the harness picks the port, and only loopback is ever used. */
export function listenOptions() {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be set by the harness');
  return { host: '127.0.0.1', port };
}
