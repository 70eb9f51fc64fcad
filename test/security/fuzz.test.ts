import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, testApp } from '../support/app.js';

/**
 * A seeded fuzzer over every documented route: random methods, path parameters, query strings,
 * bodies, media types, cookies, bearer tokens and origins. Whatever arrives, the answer is never a
 * 500, every 4xx and 5xx is problem JSON, every answer meets the OpenAPI document (testApp enforces
 * it), and a route that needs a credential never answers 2xx without a valid one.
 * TESSERA_FUZZ_SEED and TESSERA_FUZZ_REQUESTS replay or widen a run.
 */
const SEED = Number(process.env.TESSERA_FUZZ_SEED ?? 20261203);
const REQUESTS = Number(process.env.TESSERA_FUZZ_REQUESTS ?? 3000);

/** mulberry32: a small PRNG, so that a failure replays from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'HEAD';
interface Operation {
  security?: Array<Record<string, string[]>>;
}

let t: TestApp;
let operations: Array<{ template: string; method: string; needsCredential: boolean }>;
let valid: { cookie: string; csrf: string; access: string; refresh: string };

beforeAll(async () => {
  t = await testApp();
  await t.register('fuzzed');
  const login = await t.login('fuzzed');
  const tokens = await t.tokens('fuzzed');
  valid = { cookie: login.cookie, csrf: login.csrf, ...tokens };
  const doc = (await t.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, Operation>> };
  operations = Object.entries(doc.paths).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      template,
      method: method.toUpperCase(),
      // Public when the document allows an empty requirement (or names none).
      needsCredential: (op.security ?? []).length > 0 && !(op.security ?? []).some((requirement) => Object.keys(requirement).length === 0),
    })),
  );
});

afterAll(() => t?.close());

describe('a seeded fuzzer over every documented route', () => {
  it(`sends ${REQUESTS} hostile requests (seed ${SEED}): no 500, problem JSON for every error, no access without a valid credential`, async () => {
    const random = prng(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const junk = (): string =>
      pick([
        '',
        'a',
        'x'.repeat(Math.floor(random() * 5000)),
        '%E0%A4%A',
        '%00',
        '..%2F..%2Fetc%2Fpasswd',
        '\u202e\u0000',
        '\ud800',
        '😀'.repeat(50),
        '-1',
        '1e309',
        'null',
        '{}',
        '[]',
        String(Math.floor(random() * 1e15)),
        '00000000-0000-7000-8000-000000000000',
      ]);
    const value = (depth = 0): unknown =>
      pick<() => unknown>([
        () => junk(),
        () => Math.floor(random() * 1e6) - 5e5,
        () => random() < 0.5,
        () => null,
        () => 1.5e308,
        () => (depth > 2 ? [] : Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1))),
        () => (depth > 2 ? {} : body(depth + 1)),
      ])();
    const FIELDS = ['username', 'password', 'email', 'token', 'refresh_token', 'grant_type', 'token_type_hint', 'currentPassword', 'newPassword', 'remember', 'transport', 'role', 'disabled', 'challenge', 'code', 'recoveryCode', 'ceremony', 'response', 'name', 'identifier', '__proto__', 'constructor'];
    const body = (depth = 0): Record<string, unknown> => Object.fromEntries(Array.from({ length: Math.floor(random() * 5) }, () => [pick(FIELDS), value(depth)]));
    const tamper = (token: string): string => {
      const i = Math.floor(random() * token.length);
      return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
    };
    // encodeURIComponent refuses a lone surrogate: send its bytes as they would come off the wire.
    const enc = (text: string): string => {
      try {
        return encodeURIComponent(text);
      } catch {
        return '%ED%A0%80';
      }
    };
    const noneAlg = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${valid.access.split('.')[1]}.`;

    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let n = 0; n < REQUESTS; n++) {
      const op = pick(operations);
      const method: Method = random() < 0.8 ? (op.method as Method) : pick<Method>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']);
      const path = op.template.replace(/\{[^}]+\}/g, () => (random() < 0.1 ? pick(['%E0%A4%A', '%', 'a'.repeat(101)]) : enc(junk()).slice(0, 200) || 'x'));
      const query = random() < 0.3 ? `?${pick(['limit', 'cursor', 'q', 'role', 'disabled', 'a[b]'])}=${random() < 0.1 ? '%G1' : enc(junk()).slice(0, 300)}` : '';
      const headers: Record<string, string> = {};
      // Which credential goes with the request, and whether it is a valid one.
      let credentialValid = false;
      switch (Math.floor(random() * 8)) {
        case 0:
          headers.cookie = `__Host-tessera_session=${valid.cookie}`;
          headers['x-csrf-token'] = random() < 0.5 ? valid.csrf : junk();
          credentialValid = true;
          break;
        case 1:
          headers.cookie = `__Host-tessera_session=${pick([tamper(valid.cookie), junk(), `${tamper(valid.cookie)};${valid.cookie}`, '"unterminated', `${valid.cookie.split('.')[0]}.`])}`;
          break;
        case 2:
          headers.authorization = `Bearer ${valid.access}`;
          credentialValid = true;
          break;
        case 3:
          headers.authorization = pick([`Bearer ${tamper(valid.access)}`, `Bearer ${noneAlg}`, `Bearer ${valid.refresh}`, `Basic ${junk()}`, 'Bearer', `Bearer ${junk()}`]);
          break;
        case 4:
          headers.cookie = `__Host-tessera_access=${pick([tamper(valid.access), noneAlg, junk()])}`;
          break;
        default:
          break;
      }
      if (random() < 0.2) headers.origin = pick(['https://evil.example', 'null', 'http://localhost:8080', junk()]);
      let payload: string | undefined;
      if (method !== 'GET' && method !== 'HEAD' && random() < 0.85) {
        const kind = Math.floor(random() * 6);
        headers['content-type'] = kind === 3 ? 'application/x-www-form-urlencoded' : kind === 4 ? pick(['text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', junk()]) : 'application/json';
        payload =
          kind === 0 ? JSON.stringify(body()) : kind === 1 ? pick(['{', '{"username":', '\u0000', '[' .repeat(2000), '{"a":1}}', 'nul']) : kind === 2 ? JSON.stringify(value()) : kind === 3 ? `token=${enc(junk())}&grant_type=${enc(junk())}` : junk();
        if (random() < 0.02) payload = 'x'.repeat(20_000);
      }
      const where = `#${n} ${method} ${path}${query} [${Object.keys(headers).join(',')}]`;
      try {
        const res = await t.app.inject({ method, url: `${path}${query}`, headers, ...(payload === undefined ? {} : { payload }) });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 500) failures.push(`${where} → ${res.statusCode} ${res.body.slice(0, 200)}`);
        // A form-encoded refresh is an OAuth client's: its errors are RFC 6749 §5.2 JSON, `{ error }`.
        const oauth = method === 'POST' && path === '/v1/tokens/refresh' && headers['content-type'] === 'application/x-www-form-urlencoded';
        // (A refusal before the route, such as a foreign origin's, stays problem JSON.)
        const type = String(res.headers['content-type']);
        const problemJson = type.startsWith('application/problem+json');
        const oauthJson = oauth && type.startsWith('application/json') && typeof (res.json() as { error?: unknown }).error === 'string';
        if (res.statusCode >= 400 && method !== 'HEAD' && !problemJson && !oauthJson) failures.push(`${where} → ${res.statusCode} as ${type}`);
        const operation = operations.find((o) => o.method === method && new RegExp(`^${o.template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
        if (operation?.needsCredential && !credentialValid && res.statusCode < 300) failures.push(`${where} → ${res.statusCode} without a valid credential`);
      } catch (error) {
        failures.push(`${where} → ${String(error).slice(0, 300)}`);
      }
      // The valid credentials must stay valid for the rest of the run: sign in again if a request ended them.
      if ((n + 1) % 200 === 0) {
        const login = await t.login('fuzzed');
        const tokens = await t.tokens('fuzzed');
        valid = { cookie: login.cookie, csrf: login.csrf, ...tokens };
      }
    }
    console.log(`fuzz seed ${SEED}: ${REQUESTS} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
    expect(failures.slice(0, 20)).toEqual([]);
    // The run reached past the guards: some requests were served, some refused for their input.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(50);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(50);
  }, 120_000);
});
