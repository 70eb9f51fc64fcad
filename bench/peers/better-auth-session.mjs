// The peer users compare with first: better-auth, email and password, on SQLite through
// better-sqlite3 12 (the root's), with its cookie cache on, mounted in Fastify as its docs show.
// GET /v1/me answers from auth.api.getSession; /api/auth/* is better-auth's own handler.
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { fromNodeHeaders } from 'better-auth/node';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { listenOptions, meBody, meSchema } from '../servers/me.mjs';

const { host, port } = listenOptions();
const auth = betterAuth({
  database: new Database(process.env.BENCH_SQLITE_FILE),
  baseURL: `http://${host}:${port}`,
  secret: 'bench-only-secret-0123456789abcdef0123456789abcdef',
  emailAndPassword: { enabled: true },
  // The cookie cache signs the session into a second cookie, so getSession skips the database
  // until it expires; 30 minutes outlasts any bench run.
  session: { cookieCache: { enabled: true, maxAge: 30 * 60 } },
  telemetry: { enabled: false },
});
await (await getMigrations(auth.options)).runMigrations();

const app = Fastify({ logger: false });

// better-auth's documented Fastify integration: the request is rebuilt as a Fetch Request.
app.route({
  method: ['GET', 'POST'],
  url: '/api/auth/*',
  async handler(request, reply) {
    const response = await auth.handler(
      new Request(new URL(request.url, `http://${request.headers.host}`), {
        method: request.method,
        headers: fromNodeHeaders(request.headers),
        body: request.body ? JSON.stringify(request.body) : undefined,
      }),
    );
    reply.status(response.status);
    response.headers.forEach((value, name) => reply.header(name, value));
    return reply.send(response.body ? await response.text() : null);
  },
});

app.get('/v1/me', { schema: { response: meSchema } }, async (request, reply) => {
  const found = await auth.api.getSession({ headers: fromNodeHeaders(request.headers) });
  if (!found) return reply.code(401).send();
  const { user, session } = found;
  return meBody({ id: user.id, username: user.name, role: 'user' }, session.id, session.expiresAt);
});

await app.listen({ host, port });
