import { afterAll, describe, expect, it, vi } from 'vitest';
import { PASSWORD, type RunningServer, startServer, workspace } from './harness.js';

// Each test runs the built binary several times, about a second each, slower when the suite runs in parallel.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const ws = workspace();
let server: RunningServer | null = null;
afterAll(async () => {
  await server?.stop();
  ws.remove();
});

interface KeyJson {
  kid: string;
  alg: string;
  state: string;
  createdAt: string;
  activatesAt: string;
  retiredAt: string | null;
  publishedUntil: string | null;
}

const listKeys = async (): Promise<KeyJson[]> => (JSON.parse((await ws.cli(['keys', 'list', '--json'])).stdout) as { keys: KeyJson[] }).keys;

const kidOf = (jwt: string): string => (JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString()) as { kid: string }).kid;

describe('tessera keys', () => {
  it('lists the key made on first open as the one that signs, from its creation', async () => {
    const { code, stdout } = await ws.cli(['keys', 'list']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KID +ALG +STATE +CREATED +SIGNS FROM +STOPS SIGNING +IN JWKS UNTIL$/);
    expect(lines[1]).toMatch(/^[\w-]{16} +EdDSA +active +(\S+Z) +\1 +- +-$/);
    expect(lines).toHaveLength(2);
  });

  it('rotates: the new key is published at once and signs 100 s later; the old one signs until then, then stays in the JWKS until its tokens expire', async () => {
    const [old] = await listKeys();
    const rotated = await ws.cli(['keys', 'rotate']);
    expect(rotated.code).toBe(0);
    const [, newKid, from, until] = /^new signing key ([\w-]+) \(EdDSA\), in the JWKS now, signing from (\S+Z)\nthe keys it replaces stay in the JWKS until (\S+Z)\n$/.exec(rotated.stdout) ?? [];
    expect(newKid).toBeDefined();
    const keys = await listKeys();
    expect(keys.map((key) => [key.kid, key.state])).toEqual([[newKid, 'next'], [old?.kid, 'active']]);
    const [next, current] = keys as [KeyJson, KeyJson];
    // A key reload (30 s), the JWKS max-age (60 s) and 10 s of margin after the rotation.
    expect(Date.parse(next.activatesAt) - Date.parse(next.createdAt)).toBe(100_000);
    expect(next.activatesAt).toBe(from);
    expect(current.retiredAt).toBe(from);
    // 15 min of access token lifetime, 5 s of leeway and one key reload (30 s) after it stops signing,
    // since another instance may sign with it until it re-reads the keys.
    expect(Date.parse(current.publishedUntil ?? '') - Date.parse(current.retiredAt ?? '')).toBe(935_000);
    expect(current.publishedUntil).toBe(until);
    expect((await ws.cli(['keys', 'list'])).stdout).toMatch(new RegExp(`${old?.kid} +EdDSA +active +\\S+Z +\\S+Z +${from} +${until}`));

    expect((await ws.cli(['user', 'create', 'alice', '--password-stdin'], PASSWORD)).code).toBe(0);
    server = await startServer(ws);
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((key) => key.kid).sort()).toEqual([newKid, old?.kid].sort());
    const tokens = await fetch(`${server.url}/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: PASSWORD }) });
    expect(tokens.status).toBe(200);
    // Until the new key activates, the old one signs: no verifier meets a kid it has not cached.
    expect(kidOf(((await tokens.json()) as { access_token: string }).access_token)).toBe(old?.kid);
  });
});
