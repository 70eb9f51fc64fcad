import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

const WEB = new URL('../../../web/', import.meta.url);
/** tessera/client as tsc compiled it (npm run build): the pages import it from /client/, no bundler, no CDN. */
const CLIENT = new URL('../../../dist/client/', import.meta.url);
const CLIENT_FILES = ['index.js', 'client.js', 'errors.js', 'tabs.js'];

/** @simplewebauthn/browser's own bundle (a global `SimpleWebAuthnBrowser`), served from this origin: no CDN. */
const WEBAUTHN_BROWSER = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('@simplewebauthn/browser')), '../dist/bundle/index.umd.min.js'));
const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const SVG = 'image/svg+xml';

const FILES = [
  { path: '/', file: 'index.html', type: HTML },
  { path: '/app.js', file: 'app.js', type: JS },
  { path: '/app.css', file: 'app.css', type: 'text/css; charset=utf-8' },
  // Account security and the pages mailed links open (their token rides in the fragment).
  { path: '/account', file: 'account.html', type: HTML },
  { path: '/account/verify-email', file: 'account.html', type: HTML },
  { path: '/account/reset-password', file: 'account.html', type: HTML },
  { path: '/account/forgot', file: 'account.html', type: HTML },
  { path: '/account.js', file: 'account.js', type: JS },
  { path: '/api.js', file: 'api.js', type: JS },
  { path: '/forms.js', file: 'forms.js', type: JS },
  { path: '/admin', file: 'admin.html', type: HTML },
  { path: '/admin.js', file: 'admin.js', type: JS },
  { path: '/favicon.svg', file: 'favicon.svg', type: SVG },
  { path: '/favicon.ico', file: 'favicon.svg', type: SVG },
  { path: '/vendor/simplewebauthn-browser.js', file: WEBAUTHN_BROWSER, type: JS },
] as const;

/**
 * The sign-in page (web/): three static files, read once. A strict Content-Security-Policy allows
 * only this origin's script and style, and no framing (OWASP Clickjacking cheat sheet).
 */
export const webRoutes: FastifyPluginAsync = async (app) => {
  const client = existsSync(new URL('index.js', CLIENT)) ? CLIENT_FILES.map((name) => ({ path: `/client/${name}`, file: new URL(name, CLIENT), type: JS })) : [];
  for (const { path, file, type } of [...FILES, ...client]) {
    const body = readFileSync(typeof file === 'string' ? new URL(file, WEB) : file);
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
