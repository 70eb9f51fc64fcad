// examples/spa: a single-page app on an origin of its own. It signs in with tessera/client (tokens in
// memory) and calls examples/resource-server with the bearer. This file only serves its static files
// and the client library from the installed package (no bundler, no CDN).
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const client = dirname(fileURLToPath(import.meta.resolve('tessera/client')));
const tessera = process.env.TESSERA_URL ?? 'http://127.0.0.1:8080';
const api = process.env.API_URL ?? 'http://127.0.0.1:8081';

const files = {
  '/': [join(here, 'index.html'), 'text/html; charset=utf-8'],
  '/app.js': [join(here, 'app.js'), 'text/javascript; charset=utf-8'],
  '/app.css': [join(here, 'app.css'), 'text/css; charset=utf-8'],
  ...Object.fromEntries(['index.js', 'client.js', 'errors.js', 'tabs.js'].map((f) => [`/tessera-client/${f}`, [join(client, f), 'text/javascript; charset=utf-8']])),
};

const server = createServer((request, response) => {
  const path = new URL(request.url ?? '/', 'http://spa').pathname;
  if (path === '/config.json') {
    response.writeHead(200, { 'content-type': 'application/json' });
    return response.end(JSON.stringify({ tessera, api }));
  }
  if (path === '/favicon.ico') {
    response.writeHead(204);
    return response.end();
  }
  const file = files[path];
  if (!file) {
    response.writeHead(404, { 'content-type': 'text/plain' });
    return response.end('not found');
  }
  response.writeHead(200, {
    'content-type': file[1],
    'cache-control': 'no-cache',
    'content-security-policy': `default-src 'self'; connect-src 'self' ${tessera} ${api}; frame-ancestors 'none'; base-uri 'none'`,
  });
  response.end(readFileSync(file[0]));
});

const port = Number(process.env.PORT ?? 5173);
server.listen(port, '127.0.0.1', () => console.log(`spa on http://127.0.0.1:${port} (Tessera ${tessera}, API ${api})`));
const close = () => server.close(() => process.exit(0));
process.once('SIGTERM', close);
process.once('SIGINT', close);
