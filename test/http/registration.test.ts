import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PASSWORD, type TestApp, testApp } from '../support/app.js';

let t: TestApp;
beforeEach(async () => {
  t = await testApp();
});
afterEach(() => t.close());

const register = (payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/v1/users', payload: payload as string, headers });

const fieldCodes = (body: { errors?: Array<{ field: string; code: string }> }) =>
  Object.fromEntries((body.errors ?? []).map((e) => [e.field, e.code]));

describe('POST /v1/users', () => {
  it('creates a user with role user and never returns the password', async () => {
    const res = await register({ username: 'alice', password: PASSWORD });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({ id: expect.any(String), username: 'alice', role: 'user', createdAt: '2026-11-27T12:00:00.000Z' });
    expect(res.body).not.toContain(PASSWORD);
    const stored = await t.tessera.findUserByName('alice');
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it.each([
    ['ab', 'too_short'],
    ['a'.repeat(65), 'too_long'],
    ['al ice', 'invalid_characters'],
    ['alice@example.com', 'invalid_characters'],
  ])('refuses the user name %j with %s', async (username, code) => {
    const res = await register({ username, password: PASSWORD });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_failed');
    expect(fieldCodes(res.json()).username).toBe(code);
  });

  it('accepts letters and digits of any script, and . _ -', async () => {
    expect((await register({ username: 'Zoë_é.ü-名前3', password: PASSWORD })).statusCode).toBe(201);
  });

  it.each([
    ['x'.repeat(14), 'too_short'],
    ['x'.repeat(257), 'too_long'],
    ['1qaz2wsx3edc4rfv', 'too_common'],
    ['my name is carol and that is all', 'contains_username'],
  ])('refuses the password %j with %s', async (password, code) => {
    const res = await register({ username: 'carol', password });
    expect(res.statusCode).toBe(400);
    expect(fieldCodes(res.json()).password).toBe(code);
  });

  it('counts code points, not UTF-16 units, and never truncates', async () => {
    // 15 emoji are 30 UTF-16 units but 15 code points: long enough.
    expect((await register({ username: 'emoji', password: '🔑'.repeat(15) })).statusCode).toBe(201);
    expect((await register({ username: 'emoji2', password: '🔑'.repeat(14) })).statusCode).toBe(400);
    const long = 'p'.repeat(200) + 'tail-that-matters';
    await register({ username: 'dave', password: long });
    const ok = await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'dave', password: 'p'.repeat(200) } });
    expect(ok.statusCode).toBe(401);
  });

  it('treats NFKC and case variants of a name as taken', async () => {
    expect((await register({ username: 'alice', password: PASSWORD })).statusCode).toBe(201);
    for (const variant of ['ALICE', 'Alice', 'ａｌｉｃｅ']) {
      const res = await register({ username: variant, password: PASSWORD });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('username_taken');
    }
  });

  it('stores the NFKC form of the name', async () => {
    const res = await register({ username: 'ｂｏｂ', password: PASSWORD });
    expect(res.json().username).toBe('bob');
  });

  it.each([
    [{ username: 42, password: PASSWORD }, 'username', 'invalid_type'],
    [{ username: 'erin', password: ['x'] }, 'password', 'invalid_type'],
    [{ password: PASSWORD }, 'username', 'required'],
    [{ username: 'erin' }, 'password', 'required'],
  ])('answers wrong types and missing fields with 400 and field errors (%j)', async (payload, field, code) => {
    const res = await register(payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(fieldCodes(res.json())[field]).toBe(code);
  });

  it('answers malformed JSON, a non-object body and prototype poisoning with 400', async () => {
    for (const payload of ['{"username": "x",', '[1,2]', '"text"', '{"__proto__": {"role": "admin"}, "username": "x", "password": "y"}']) {
      const res = await register(payload, { 'content-type': 'application/json' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'validation_failed', type: 'urn:tessera:problem:validation_failed', status: 400 });
    }
  });

  it('answers a body that is not JSON with 415, and one over 16 KiB with 413', async () => {
    const form = await register('username=a&password=b', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.statusCode).toBe(415);
    expect(form.json().code).toBe('unsupported_media_type');
    const text = await register('{}', { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
    const huge = await register(JSON.stringify({ username: 'big', password: 'x'.repeat(17 * 1024) }), { 'content-type': 'application/json' });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe('payload_too_large');
  });

  it('limits registrations to 30 an hour per client address', async () => {
    for (let i = 0; i < 30; i++) {
      expect((await register({ username: `user${i}`, password: '' })).statusCode).toBe(400);
    }
    // Invalid attempts are not counted: only well-formed registrations reach the limiter.
    for (let i = 0; i < 30; i++) expect((await register({ username: `user${i}`, password: `${PASSWORD} ${i}` })).statusCode).toBe(201);
    const res = await register({ username: 'user30', password: PASSWORD });
    expect(res.statusCode).toBe(429);
    expect(res.json().code).toBe('rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(3000);
    t.advance(60 * 60 * 1000);
    expect((await register({ username: 'user30', password: PASSWORD })).statusCode).toBe(201);
  });
});
