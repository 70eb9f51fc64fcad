import { fileURLToPath } from 'node:url';
import { cookieHeader, httpRequest } from '../lib/http.mjs';
import { startServer } from '../lib/server.mjs';

const SERVER = fileURLToPath(new URL('../peers/express-session-redis.mjs', import.meta.url));

/** @type {import('./index.mjs').Scenario} */
export const expressSessionRedis = {
  id: 'express-session-redis',
  // It answers about 5,400 a second at most here, at ~260 µs a request: a fixed-rate run offers it less.
  fixedRateCap: 2000,
  title: 'Express 5 + express-session + connect-redis',
  needsPeers: true,
  needsRedis: true,
  async start(ctx) {
    const server = await startServer(ctx, {
      args: [SERVER],
      env: { BENCH_REDIS_URL: ctx.redis.url, BENCH_REDIS_PREFIX: ctx.redis.prefix },
      readyPath: '/v1/me',
    });
    try {
      const login = await httpRequest(`${server.origin}/login`, { method: 'POST' });
      const cookie = cookieHeader(login);
      if (login.status !== 204 || !cookie) throw new Error(`login answered ${login.status} without a session cookie`);
      return { url: `${server.origin}/v1/me`, headers: { cookie }, stop: server.stop };
    } catch (error) {
      await server.stop();
      throw error;
    }
  },
};
