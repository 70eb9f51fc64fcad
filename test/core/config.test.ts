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
      argon2: { memoryCost: 19_456, timeCost: 2, parallelism: 1 },
      warnings: [],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes a Redis Cluster as seed nodes, and refuses it together with TESSERA_REDIS_URL', () => {
    expect(parseConfig({ TESSERA_REDIS_CLUSTER: '10.0.0.1:7000, redis-2:7001' }).redisCluster).toEqual(['10.0.0.1:7000', 'redis-2:7001']);
    expect(parseConfig({}).redisCluster).toBeNull();
    expect(() => parseConfig({ TESSERA_REDIS_CLUSTER: 'a:7000', TESSERA_REDIS_URL: 'redis://a:6379' })).toThrow(/^TESSERA_REDIS_CLUSTER: set it or TESSERA_REDIS_URL, not both/);
  });

  it('defaults mail to files and WebAuthn to the issuer, and accepts a registrable parent as the RP ID', () => {
    const config = parseConfig({ TESSERA_ISSUER: 'https://auth.example.com' });
    expect(config).toMatchObject({ smtpUrl: null, mailDir: './data/outbox', mailFrom: 'Tessera <no-reply@auth.example.com>', webauthnRpId: 'auth.example.com', webauthnOrigins: ['https://auth.example.com'], adminRequireMfa: false });
    expect(parseConfig({ TESSERA_ISSUER: 'https://auth.example.com', TESSERA_WEBAUTHN_RP_ID: 'example.com' }).webauthnRpId).toBe('example.com');
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

  it("takes Argon2id's settings, and warns below OWASP's minimum for the passes given", () => {
    expect(parseConfig({ TESSERA_ARGON2: 'm=7168, t=5' })).toMatchObject({ argon2: { memoryCost: 7168, timeCost: 5, parallelism: 1 }, warnings: [] });
    expect(parseConfig({ TESSERA_ARGON2: 'm=47104,t=1' }).warnings).toEqual([]);
    expect(parseConfig({ TESSERA_ARGON2: 'm=19455,t=2' }).warnings).toEqual([expect.stringMatching(/^TESSERA_ARGON2=m=19455,t=2 is below OWASP's minimum \(m=19456 at t=2\)/)]);
    expect(parseConfig({ TESSERA_ARGON2: 'm=1024,t=38' }).warnings).toEqual([expect.stringMatching(/below OWASP's minimum \(m=7168 at t=38\)/)]);
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
    ['TESSERA_REDIS_CLUSTER', 'redis://a:1'],
    ['TESSERA_REDIS_CLUSTER', 'a:1,b'],
    ['TESSERA_REDIS_CLUSTER', 'a:99999'],
    ['TESSERA_SMTP_URL', 'http://mail.example'],
    ['TESSERA_WEBAUTHN_RP_ID', 'example.org'],
    ['TESSERA_ADMIN_REQUIRE_MFA', 'perhaps'],
    ['TESSERA_ARGON2', '19456'],
    ['TESSERA_ARGON2', 'm=4,t=2'],
    ['TESSERA_ARGON2', 'm=19456,t=0'],
    ['TESSERA_ARGON2', 'm=19456,t=2,p=4'],
  ])('refuses %s=%s with a message that names the variable', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [name]: value })).toThrow(new RegExp(`^${name}: `));
  });
});
