// Upper bound: Fastify 5 answering the /v1/me body with no authentication at all.
import Fastify from 'fastify';
import { BENCH_USER, listenOptions, meBody, meSchema } from './me.mjs';

const body = meBody(BENCH_USER, 'bench-session', new Date('2026-12-31T00:00:00.000Z'));
const app = Fastify({ logger: false });

app.get('/v1/me', { schema: { response: meSchema } }, async () => body);

await app.listen(listenOptions());
