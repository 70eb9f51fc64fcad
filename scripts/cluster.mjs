// `npm run cluster`: a local production-shaped setup on this machine's PostgreSQL and Redis — two
// Tessera instances behind a small round-robin proxy on :8080. Ctrl-C stops everything.
// Settings: CLUSTER_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test?schema=tessera_cluster),
// CLUSTER_REDIS_URL (default redis://127.0.0.1:6379), CLUSTER_PORT (default 8080).
import { spawn } from 'node:child_process';
import { request, createServer } from 'node:http';

const port = Number(process.env.CLUSTER_PORT ?? 8080);
const issuer = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  TESSERA_DATABASE_URL: process.env.CLUSTER_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test?schema=tessera_cluster',
  TESSERA_REDIS_URL: process.env.CLUSTER_REDIS_URL ?? 'redis://127.0.0.1:6379',
  TESSERA_REDIS_PREFIX: 'tessera-cluster:',
  // Every instance signs and checks tokens for the one public address, the proxy's.
  TESSERA_ISSUER: issuer,
  // The proxy sets X-Forwarded-For; only it is trusted to.
  TESSERA_TRUST_PROXY: '127.0.0.1',
};
const backends = [port + 1, port + 2];
const children = backends.map((p) => {
  const child = spawn(process.execPath, ['dist/cli/main.js', 'serve'], { env: { ...env, TESSERA_PORT: String(p) }, stdio: 'inherit' });
  child.on('exit', (code) => {
    if (!stopping) {
      console.error(`instance on ${p} exited (${code}); stopping`);
      stop(1);
    }
  });
  return child;
});

let next = 0;
const proxy = createServer((incoming, outgoing) => {
  const target = backends[next++ % backends.length];
  const headers = { ...incoming.headers, 'x-forwarded-for': incoming.socket.remoteAddress ?? '' };
  const forward = request({ host: '127.0.0.1', port: target, method: incoming.method, path: incoming.url, headers }, (answer) => {
    outgoing.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'x-served-by': String(target) });
    answer.pipe(outgoing);
  });
  forward.on('error', () => {
    outgoing.writeHead(502, { 'content-type': 'application/problem+json' });
    outgoing.end(JSON.stringify({ type: 'urn:tessera:problem:unavailable', title: 'Bad gateway', status: 502, code: 'unavailable' }));
  });
  incoming.pipe(forward);
});
proxy.listen(port, '127.0.0.1', () => console.log(`cluster: proxy ${issuer} -> instances on ${backends.join(', ')}`));

let stopping = false;
function stop(code = 0) {
  stopping = true;
  proxy.close();
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 3000).unref();
  Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve() : c.once('exit', resolve))))).then(() => process.exit(code));
}
process.once('SIGINT', () => stop());
process.once('SIGTERM', () => stop());
