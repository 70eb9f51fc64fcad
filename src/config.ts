import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { ConfigError } from './core/errors.js';
import type { SigningAlg } from './core/model.js';

/** Every setting of Tessera, parsed and validated once at start-up, then frozen. Durations are seconds. */
export interface Config {
  host: string;
  port: number;
  databaseUrl: string;
  redisUrl: string | null;
  /** Seed nodes (`host:port`) of a Redis Cluster; instead of redisUrl. */
  redisCluster: string[] | null;
  redisPrefix: string;
  issuer: string;
  audience: string;
  /** RFC 9068 §2.2 `client_id` of the access tokens Tessera issues. */
  clientId: string;
  accessTtl: number;
  refreshTtl: number;
  refreshAbsoluteTtl: number;
  refreshReuseInterval: number;
  sessionIdleTtl: number;
  sessionAbsoluteTtl: number;
  sessionRememberIdleTtl: number;
  sessionRememberTtl: number;
  signingAlg: SigningAlg;
  hs256Secret: string | null;
  trustProxy: string[];
  allowedOrigins: string[];
  passwordMinLength: number;
  maxSessionsPerUser: number;
  keySecret: string | null;
  revocationMaxStaleness: number;
  metricsToken: string | null;
  feedSecret: string | null;
  /** Cache verified access tokens by their exact string (off only to measure a cold verification). */
  tokenCache: boolean;
  /** Argon2id's memory (KiB) and passes; one lane. Hashes made with other settings are upgraded at login. */
  argon2: Readonly<Argon2Params>;
  /** Argon2id hashes allowed to run at once, and how many more may wait before 503. */
  hashConcurrency: number;
  hashQueue: number;
  logLevel: string;
  /** SMTP for outgoing mail (`smtp://` or `smtps://`); null writes `.eml` files to `mailDir` instead. */
  smtpUrl: string | null;
  mailFrom: string;
  mailDir: string;
  /** The WebAuthn relying party id (a registrable domain of the issuer's host) and the origins passkeys may be used from. */
  webauthnRpId: string;
  webauthnOrigins: string[];
  /** Admin routes need a credential authenticated with a second factor (amr `mfa`). */
  adminRequireMfa: boolean;
  /** Settings that are allowed but unwise (a lifetime below its recommended floor); logged at start-up. */
  warnings: string[];
}

export { ConfigError };

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: 1;
}

/**
 * OWASP Password Storage Cheat Sheet: the least memory (KiB) for Argon2id at t = 1, 2, 3, 4 and 5 or
 * more passes, one lane; equally strong settings, the default among them.
 */
const OWASP_ARGON2_MEMORY = [47_104, 19_456, 12_288, 9_216, 7_168] as const;

/** OWASP's first choice: m=19456 KiB, t=2. */
export const DEFAULT_ARGON2: Readonly<Argon2Params> = Object.freeze({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

type Env = Record<string, string | undefined>;

const SIGNING_ALGS: readonly SigningAlg[] = ['EdDSA', 'ES256', 'RS256', 'HS256'];

/** Reads one variable through a parser; a bad value names the variable (API.md, "Running"). */
function read<T>(env: Env, name: string, fallback: T, parse: (raw: string) => T): T {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  try {
    return parse(raw.trim());
  } catch (error) {
    throw new ConfigError(`${name}: ${(error as Error).message} (got ${JSON.stringify(raw)})`);
  }
}

const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (raw: string): number => {
    if (!/^\d+$/.test(raw)) throw new Error('expected a whole number');
    const value = Number(raw);
    if (value < min || value > max) throw new Error(`expected a number from ${min} to ${max}`);
    return value;
  };

const list = (raw: string): string[] =>
  raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');

function origin(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('expected an http(s) URL');
  return url.origin;
}

function proxyAddress(raw: string): string {
  const [address, bits] = raw.split('/');
  if (address === undefined || isIP(address) === 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
    throw new Error(`"${raw}" is not an IP address or CIDR range`);
  }
  return raw;
}

function databaseUrl(raw: string): string {
  if (raw.startsWith('sqlite:') || raw.startsWith('postgres://') || raw.startsWith('postgresql://')) return raw;
  throw new Error('expected sqlite:PATH or postgres://...');
}

function redisUrl(raw: string): string {
  if (raw.startsWith('redis://') || raw.startsWith('rediss://')) return raw;
  throw new Error('expected redis://...');
}

function clusterNodes(raw: string): string[] {
  const nodes = list(raw);
  for (const node of nodes) {
    const port = Number(node.slice(node.lastIndexOf(':') + 1));
    if (!/^[^\s:]+:\d+$/.test(node) || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`expected host:port,host:port,... (${node})`);
  }
  if (nodes.length === 0) throw new Error('expected host:port,host:port,...');
  return nodes;
}

function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string): T => {
    if (!values.includes(raw as T)) throw new Error(`expected one of ${values.join(', ')}`);
    return raw as T;
  };
}

function boolean(raw: string): boolean {
  if (['1', 'true', 'on', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'off', 'no'].includes(raw.toLowerCase())) return false;
  throw new Error('expected true or false');
}

const text = (raw: string): string => raw;

function smtpUrl(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error('must be an smtp:// or smtps:// URL');
  return raw;
}

function argon2(raw: string): Readonly<Argon2Params> {
  const match = /^m=(\d{1,7}),\s*t=(\d{1,3})$/.exec(raw);
  const memoryCost = Number(match?.[1]);
  const timeCost = Number(match?.[2]);
  if (!match || memoryCost < 8 || memoryCost > 1_048_576 || timeCost < 1 || timeCost > 100) {
    throw new Error('expected m=KIB,t=PASSES with m from 8 to 1048576 and t from 1 to 100, such as m=19456,t=2');
  }
  return Object.freeze({ memoryCost, timeCost, parallelism: 1 });
}

/**
 * The issuer's origin; for a loopback issuer, its localhost/127.0.0.1 twin too, so that the sign-in
 * page works in development whichever name the browser was given.
 */
function defaultOrigins(issuer: string): string[] {
  const url = new URL(issuer);
  const twin = { '127.0.0.1': 'localhost', localhost: '127.0.0.1' }[url.hostname];
  if (twin === undefined) return [url.origin];
  const other = new URL(issuer);
  other.hostname = twin;
  return [url.origin, other.origin];
}

/** Parses the environment into a frozen Config. Throws ConfigError naming the first bad variable. */
export function parseConfig(env: Env): Readonly<Config> {
  const host = read(env, 'TESSERA_HOST', '127.0.0.1', text);
  const port = read(env, 'TESSERA_PORT', 8080, integer(0, 65535));
  const issuer = read(env, 'TESSERA_ISSUER', `http://${host.includes(':') ? `[${host}]` : host}:${port}`, (raw) => {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('expected an http(s) URL');
    return raw.replace(/\/$/, '');
  });
  const signingAlg = read(env, 'TESSERA_SIGNING_ALG', 'EdDSA' as SigningAlg, oneOf(SIGNING_ALGS));
  const hs256Secret = read<string | null>(env, 'TESSERA_HS256_SECRET', null, (raw) => {
    // RFC 7518 §3.2: an HMAC key at least as long as the hash output.
    if (Buffer.byteLength(raw) < 32) throw new Error('must be at least 32 bytes');
    return raw;
  });
  if (signingAlg === 'HS256' && hs256Secret === null) {
    throw new ConfigError('TESSERA_HS256_SECRET: required when TESSERA_SIGNING_ALG is HS256 (at least 32 bytes)');
  }
  // Any whole number of seconds from 1, so that an operator's tests can run an idle timeout in seconds;
  // below the recommended floor, start-up warns.
  const warnings: string[] = [];
  const lifetime = (name: string, fallback: number, floor: number, max = Number.MAX_SAFE_INTEGER): number => {
    const value = read(env, name, fallback, integer(1, max));
    if (value < floor) warnings.push(`${name}=${value} is below the recommended ${floor} s: fine for tests, not for production`);
    return value;
  };
  const accessTtl = lifetime('TESSERA_ACCESS_TTL', 900, 60, 86_400);
  const refreshTtl = lifetime('TESSERA_REFRESH_TTL', 2_592_000, 300);
  const refreshAbsoluteTtl = lifetime('TESSERA_REFRESH_ABSOLUTE_TTL', 7_776_000, 300);
  const sessionIdleTtl = lifetime('TESSERA_SESSION_IDLE_TTL', 1800, 300);
  const sessionAbsoluteTtl = lifetime('TESSERA_SESSION_ABSOLUTE_TTL', 43_200, 300);
  const sessionRememberIdleTtl = lifetime('TESSERA_SESSION_REMEMBER_IDLE_TTL', 604_800, 300);
  const sessionRememberTtl = lifetime('TESSERA_SESSION_REMEMBER_TTL', 2_592_000, 300);
  const argon2Params = read(env, 'TESSERA_ARGON2', DEFAULT_ARGON2, argon2);
  const owaspMemory = OWASP_ARGON2_MEMORY[Math.min(argon2Params.timeCost, OWASP_ARGON2_MEMORY.length) - 1] ?? 0;
  if (argon2Params.memoryCost < owaspMemory) {
    warnings.push(`TESSERA_ARGON2=m=${argon2Params.memoryCost},t=${argon2Params.timeCost} is below OWASP's minimum (m=${owaspMemory} at t=${argon2Params.timeCost}): fine for tests and benchmarks, not for production`);
  }

  const issuerHost = new URL(issuer).hostname;
  const webauthnRpId = read(env, 'TESSERA_WEBAUTHN_RP_ID', issuerHost, (raw) => {
    // WebAuthn §5.1.4.1: the RP ID is the origin's host or a registrable suffix of it.
    if (raw !== issuerHost && !issuerHost.endsWith(`.${raw}`)) throw new Error(`must be ${issuerHost} or a domain it is under`);
    return raw;
  });
  if (env.TESSERA_REDIS_URL?.trim() && env.TESSERA_REDIS_CLUSTER?.trim()) {
    throw new ConfigError('TESSERA_REDIS_CLUSTER: set it or TESSERA_REDIS_URL, not both');
  }
  const config: Config = {
    host,
    port,
    databaseUrl: read(env, 'TESSERA_DATABASE_URL', 'sqlite:./data/tessera.db', databaseUrl),
    redisUrl: read<string | null>(env, 'TESSERA_REDIS_URL', null, redisUrl),
    redisCluster: read<string[] | null>(env, 'TESSERA_REDIS_CLUSTER', null, clusterNodes),
    redisPrefix: read(env, 'TESSERA_REDIS_PREFIX', 'tessera:', text),
    issuer,
    audience: read(env, 'TESSERA_AUDIENCE', 'tessera', text),
    clientId: read(env, 'TESSERA_CLIENT_ID', 'tessera', text),
    accessTtl,
    refreshTtl: Math.min(refreshTtl, refreshAbsoluteTtl),
    refreshAbsoluteTtl,
    refreshReuseInterval: read(env, 'TESSERA_REFRESH_REUSE_INTERVAL', 10, integer(0, 300)),
    sessionIdleTtl: Math.min(sessionIdleTtl, sessionAbsoluteTtl),
    sessionAbsoluteTtl,
    sessionRememberIdleTtl: Math.min(sessionRememberIdleTtl, sessionRememberTtl),
    sessionRememberTtl,
    signingAlg,
    hs256Secret,
    trustProxy: read(env, 'TESSERA_TRUST_PROXY', [] as string[], (raw) => list(raw).map(proxyAddress)),
    // API.md: an origin passes when it is the issuer's or in the list: the list adds, it never replaces.
    allowedOrigins: [...new Set([...defaultOrigins(issuer), ...read(env, 'TESSERA_ALLOWED_ORIGINS', [] as string[], (raw) => list(raw).map(origin))])],
    passwordMinLength: read(env, 'TESSERA_PASSWORD_MIN_LENGTH', 15, integer(8, 256)),
    maxSessionsPerUser: read(env, 'TESSERA_MAX_SESSIONS_PER_USER', 50, integer(1, 10_000)),
    keySecret: read<string | null>(env, 'TESSERA_KEY_SECRET', null, (raw) => {
      if (Buffer.byteLength(raw) < 16) throw new Error('must be at least 16 bytes');
      return raw;
    }),
    revocationMaxStaleness: read(env, 'TESSERA_REVOCATION_MAX_STALENESS', 10, integer(2, 3600)),
    metricsToken: read<string | null>(env, 'TESSERA_METRICS_TOKEN', null, text),
    feedSecret: read<string | null>(env, 'TESSERA_FEED_SECRET', null, (raw) => {
      if (Buffer.byteLength(raw) < 16) throw new Error('must be at least 16 bytes');
      return raw;
    }),
    tokenCache: read(env, 'TESSERA_TOKEN_CACHE', true, boolean),
    argon2: argon2Params,
    // One hash per core at most (and at most libuv's 4 pool threads): more only time-slices, and takes the event loop's share of the CPU.
    hashConcurrency: read(env, 'TESSERA_HASH_CONCURRENCY', Math.min(4, availableParallelism()), integer(1, 256)),
    hashQueue: read(env, 'TESSERA_HASH_QUEUE', 64, integer(0, 100_000)),
    logLevel: read(env, 'TESSERA_LOG_LEVEL', 'info', oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
    smtpUrl: read<string | null>(env, 'TESSERA_SMTP_URL', null, smtpUrl),
    mailFrom: read(env, 'TESSERA_MAIL_FROM', `Tessera <no-reply@${new URL(issuer).hostname}>`, text),
    mailDir: read(env, 'TESSERA_MAIL_DIR', './data/outbox', text),
    webauthnRpId,
    // As the allowed origins: the issuer's own always passes, the list adds.
    webauthnOrigins: [...new Set([new URL(issuer).origin, ...read(env, 'TESSERA_WEBAUTHN_ORIGINS', [] as string[], (raw) => list(raw).map(origin))])],
    adminRequireMfa: read(env, 'TESSERA_ADMIN_REQUIRE_MFA', false, boolean),
    warnings,
  };
  return Object.freeze(config);
}

/**
 * The only reader of process.env. Loads `.env` from the working directory when there is one
 * (variables already set win), then parses.
 */
export function loadConfig(overrides: Env = {}): Readonly<Config> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return parseConfig({ ...process.env, ...overrides });
}
