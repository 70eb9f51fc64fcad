import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.js';

describe('parseConfig', () => {
  it('defaults to the embedded deployment of API.md', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      databaseUrl: 'sqlite:./data/tessera.db',
      redisUrl: null,
      redisPrefix: 'tessera:',
      issuer: 'http://127.0.0.1:8080',
      audience: 'tessera',
      accessTtl: 900,
      refreshTtl: 2_592_000,
      refreshAbsoluteTtl: 7_776_000,
      refreshReuseInterval: 10,
      sessionIdleTtl: 1800,
      sessionAbsoluteTtl: 43_200,
      signingAlg: 'EdDSA',
      passwordMinLength: 15,
      maxSessionsPerUser: 50,
      revocationMaxStaleness: 10,
      hashConcurrency: Math.min(4, availableParallelism()),
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('allows the loopback twin of a loopback issuer, and only the issuer otherwise', () => {
    expect(parseConfig({}).allowedOrigins).toEqual(['http://127.0.0.1:8080', 'http://localhost:8080']);
    expect(parseConfig({ TESSERA_ISSUER: 'https://auth.example.com' }).allowedOrigins).toEqual(['https://auth.example.com']);
    // The list adds to the issuer's origins (API.md: "the issuer's origin nor in TESSERA_ALLOWED_ORIGINS").
    expect(parseConfig({ TESSERA_ALLOWED_ORIGINS: 'https://a.example, https://b.example/' }).allowedOrigins).toEqual([
      'http://127.0.0.1:8080',
      'http://localhost:8080',
      'https://a.example',
      'https://b.example',
    ]);
  });

  it.each([
    ['TESSERA_PORT', 'eighty'],
    ['TESSERA_PORT', '70000'],
    ['TESSERA_DATABASE_URL', 'mysql://x'],
    ['TESSERA_REDIS_URL', 'http://x'],
    ['TESSERA_SIGNING_ALG', 'none'],
    ['TESSERA_PASSWORD_MIN_LENGTH', '7'],
    ['TESSERA_TRUST_PROXY', 'not-an-address'],
    ['TESSERA_ALLOWED_ORIGINS', 'javascript:alert(1)'],
    ['TESSERA_ACCESS_TTL', '-5'],
    ['TESSERA_TOKEN_CACHE', 'maybe'],
  ])('refuses %s=%s with a message that names the variable', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [name]: value })).toThrow(new RegExp(`^${name}: `));
  });
});
