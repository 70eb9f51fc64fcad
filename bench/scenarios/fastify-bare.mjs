import { fileURLToPath } from 'node:url';
import { startServer } from '../lib/server.mjs';

const SERVER = fileURLToPath(new URL('../servers/fastify-bare.mjs', import.meta.url));

/** @type {import('./index.mjs').Scenario} */
export const fastifyBare = {
  id: 'fastify-bare',
  title: 'bare Fastify 5 (upper bound)',
  async start(ctx) {
    const server = await startServer(ctx, { args: [SERVER] });
    return { url: `${server.origin}/v1/me`, stop: server.stop };
  },
};
