import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cookieHeader, httpRequest } from '../lib/http.mjs';
import { startServer } from '../lib/server.mjs';

const SERVER = fileURLToPath(new URL('../peers/better-auth-session.mjs', import.meta.url));
const USER = { email: 'bench-user@example.com', password: 'bench-password-0123', name: 'bench-user' };

async function postJson(origin, path, body) {
  const response = await httpRequest(origin + path, {
    method: 'POST',
    // better-auth checks the Origin of state-changing requests against its base URL.
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify(body),
    timeoutMs: 10000,
  });
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${response.body.slice(0, 300)}`);
  return response;
}

/** @type {import('./index.mjs').Scenario} */
export const betterAuthSession = {
  id: 'better-auth-session',
  // It answers about 3,000 a second at most here: a fixed-rate run offers it less.
  fixedRateCap: 2000,
  title: 'better-auth getSession, SQLite, cookie cache on',
  needsPeers: true,
  async start(ctx) {
    // A fresh database per run: the sign-up below must find the email free.
    const database = join(ctx.workDir, `better-auth-${Date.now()}.db`);
    const server = await startServer(ctx, { args: [SERVER], env: { BENCH_SQLITE_FILE: database }, readyPath: '/v1/me' });
    try {
      await postJson(server.origin, '/api/auth/sign-up/email', USER);
      const signIn = await postJson(server.origin, '/api/auth/sign-in/email', { email: USER.email, password: USER.password });
      // Both cookies: the session token and the signed session data the cookie cache reads.
      return { url: `${server.origin}/v1/me`, headers: { cookie: cookieHeader(signIn) }, stop: server.stop };
    } catch (error) {
      await server.stop();
      throw error;
    }
  },
};
