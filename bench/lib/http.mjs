// A minimal HTTP client for set-up steps and probes, with a hard time limit on every request.
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * @param {string} url
 * @param {{ method?: string, headers?: Record<string, string>, body?: string, timeoutMs?: number, agent?: http.Agent }} [options]
 * @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, body: string }>}
 */
export function httpRequest(url, { method = 'GET', headers = {}, body, timeoutMs = 5000, agent } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The `name=value` pairs of a response's Set-Cookie headers, joined as a Cookie header. */
export function cookieHeader(response) {
  const cookies = response.headers['set-cookie'] ?? [];
  return cookies.map((line) => line.split(';', 1)[0]).join('; ');
}

/** The ports to pick from, `BENCH_PORTS=FROM-TO` (default 20000-32767, below the ephemeral range). */
function portRange() {
  const match = /^(\d+)-(\d+)$/.exec(process.env.BENCH_PORTS ?? '20000-32767');
  const [from, to] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(from >= 1024 && to >= from && to <= 65535)) throw new Error('BENCH_PORTS: a range such as 23000-24999');
  return { from, size: to - from + 1 };
}

/** A port of BENCH_PORTS that nothing listens on now; the server binds it next, on loopback only. */
export async function freePort() {
  const { from, size } = portRange();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = from + Math.floor(Math.random() * size);
    const free = await new Promise((resolve) => {
      const server = net.createServer();
      server.unref();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${process.env.BENCH_PORTS ?? '20000-32767'}`);
}

/** Polls `url` until it answers at all (any status), the process exits, or `timeoutMs` passes. */
export async function waitUntilAnswering(url, proc, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let exited = null;
  proc.exited.then((how) => {
    exited = how;
  });
  // A server logs to stdout (pino) and may fail before it writes to stderr: say both, and how it ended.
  const output = () => `${proc.stderrTail().trim()}\n${proc.stdout().trim()}`.trim().slice(-600);
  while (Date.now() < deadline) {
    if (exited) throw new Error(`server exited (code ${exited.code}, signal ${exited.signal}) before answering: ${output()}`);
    try {
      await httpRequest(url, { timeoutMs: 1000 });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`server did not answer ${url} within ${timeoutMs} ms: ${output()}`);
}
