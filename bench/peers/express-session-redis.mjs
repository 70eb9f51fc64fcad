// The session baseline a user would pick: Express 5 + express-session + connect-redis,
// with the settings express-session recommends (resave: false, saveUninitialized: false).
// POST /login starts a session; GET /v1/me reads it back from Redis on every request.
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { BENCH_USER, listenOptions, meBody } from '../servers/me.mjs';

const client = createClient({ url: process.env.BENCH_REDIS_URL });
await client.connect();

const app = express();
app.disable('x-powered-by');
app.use(
  session({
    store: new RedisStore({ client, prefix: `${process.env.BENCH_REDIS_PREFIX}sess:` }),
    secret: 'bench-only-secret-0123456789abcdef',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 3600_000 },
  }),
);

app.post('/login', (req, res) => {
  req.session.user = BENCH_USER;
  res.status(204).end();
});

app.get('/v1/me', (req, res) => {
  if (!req.session.user) return res.status(401).end();
  res.json(meBody(req.session.user, req.sessionID, req.session.cookie.expires));
});

const { host, port } = listenOptions();
app.listen(port, host);
