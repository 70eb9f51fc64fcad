import { Socket } from 'node:net';

/**
 * Whether a real service answers on its port. `npm test` skips the suites of a missing service with a
 * loud message; with TESSERA_TEST_REQUIRE_SERVICES=1 (CI) a missing service fails the run instead.
 */
export const POSTGRES_URL = process.env.TESSERA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const required = process.env.TESSERA_TEST_REQUIRE_SERVICES === '1';

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port || defaultPort), hostname, () => done(true));
  });
}

const cache = new Map<string, Promise<boolean>>();

/** Resolves true when the service is up; false (after a loud warning) when tests should skip. */
export async function serviceAvailable(name: 'postgres' | 'redis'): Promise<boolean> {
  let probe = cache.get(name);
  if (!probe) {
    probe = name === 'postgres' ? reachable(POSTGRES_URL, 5432) : reachable(REDIS_URL, 6379);
    cache.set(name, probe);
  }
  const up = await probe;
  if (up) return true;
  const message = `${name} is not reachable at ${name === 'postgres' ? POSTGRES_URL : REDIS_URL}`;
  if (required) throw new Error(`${message}, and TESSERA_TEST_REQUIRE_SERVICES=1 requires it`);
  console.warn(`\n!!! SKIPPING ${name.toUpperCase()} TESTS: ${message}. CI (.ci/run) requires it.\n`);
  return false;
}

/** A name unique to this test run, for a schema or a key prefix. */
export const uniqueName = (prefix: string): string =>
  `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
