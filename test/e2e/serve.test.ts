import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer, tempDir, within } from '../support/processes.js';

describe('tessera serve', () => {
  it('starts on the embedded default and stops cleanly on SIGTERM, finishing the requests in flight', async () => {
    // One hash at a time: five registrations sent together are served one after another.
    const server = await startServer({ TESSERA_DATABASE_URL: `sqlite:${join(tempDir('tessera-serve'), 't.db')}`, TESSERA_HASH_CONCURRENCY: '1', TESSERA_LOG_LEVEL: 'info', TESSERA_ACCESS_TTL: '30' });
    // The start-up line says where it serves (the issuer) and where it listens; unwise settings are named.
    // It is written after listen(), so /healthz may answer before it reaches stderr: wait for it.
    const line = `Tessera serves on http://127.0.0.1:${new URL(server.url).port}, listening on ${server.url}`;
    await within(5000, async () => server.output().includes(line), 'the start-up line');
    expect(server.output()).toContain('TESSERA_ACCESS_TTL=30 is below the recommended 60 s');
    const ready = await fetch(`${server.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', stores: 'ok', feed: 'fresh' });
    const register = (username: string) =>
      fetch(`${server.url}/v1/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: 'correct horse battery staple' }),
      });
    const [first, ...rest] = ['user0', 'user1', 'user2', 'user3', 'user4'].map(register);
    // Once the first is answered the others are in the server, waiting for the hasher: stop now.
    expect((await first!).status).toBe(201);
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    expect((await Promise.all(rest)).map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect(await exited).toBe(0);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
