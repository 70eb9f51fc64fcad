import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';

const WEB = new URL('../../../web/', import.meta.url);

const FILES = [
  { path: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { path: '/app.js', file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { path: '/app.css', file: 'app.css', type: 'text/css; charset=utf-8' },
] as const;

/**
 * The sign-in page (web/): three static files, read once. A strict Content-Security-Policy allows
 * only this origin's script and style, and no framing (OWASP Clickjacking cheat sheet).
 */
export const webRoutes: FastifyPluginAsync = async (app) => {
  for (const { path, file, type } of FILES) {
    const body = readFileSync(new URL(file, WEB));
    app.get(path, { schema: { hide: true } }, async (_request, reply) =>
      reply
        .type(type)
        .header('cache-control', 'no-cache')
        .header('content-security-policy', "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
        .header('referrer-policy', 'no-referrer')
        .send(body),
    );
  }
};
