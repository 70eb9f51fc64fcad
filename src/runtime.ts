import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { Argon2Hasher } from './adapters/argon2.js';
import { loadBlocklist } from './adapters/blocklist.js';
import { openSqliteStores } from './adapters/sqlite/index.js';
import type { Config } from './config.js';
import type { Clock } from './core/clock.js';
import { systemClock } from './core/clock.js';
import { StartupError, isAuthError } from './core/errors.js';
import { lifetimes } from './core/lifetimes.js';
import type { PasswordHasher, Stores } from './core/ports.js';
import { type CoreOptions, Tessera } from './core/tessera.js';
import { coreOptions } from './options.js';
import { FileMailTransport, SmtpMailTransport } from './adapters/mail/index.js';
import type { MailTransport, OutgoingMail } from './core/lifecyclePorts.js';
import type { RedisStores } from './adapters/redis/index.js';

/** A URL as an operator may read it in a message: no password. */
export const redacted = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

async function openSqlStores(config: Config, clock: Clock): Promise<Stores> {
  try {
    return await openDatabase(config.databaseUrl, clock);
  } catch (error) {
    throw new StartupError(`the database ${redacted(config.databaseUrl)}`, error);
  }
}

async function openDatabase(url: string, clock: Clock): Promise<Stores> {
  if (url.startsWith('sqlite:')) return openSqliteStores(url.slice('sqlite:'.length), { clock });
  const { openPostgresStores } = await import('./adapters/postgres/index.js');
  // `?schema=NAME` keeps one deployment (or one test) in a schema of its own.
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  return openPostgresStores(parsed.toString(), schema === null ? { clock } : { clock, schema });
}

/**
 * Opens the stores that the configuration names: SQLite or PostgreSQL for users, families, keys and
 * audit; with TESSERA_REDIS_URL, Redis for sessions, limits and the revocation feed, so that many
 * instances share them (DESIGN.md, "Parts").
 */
export async function openStores(config: Config, clock: Clock): Promise<Stores> {
  const sql = await openSqlStores(config, clock);
  const target = config.redisCluster === null ? config.redisUrl : { cluster: config.redisCluster };
  if (target === null) return sql;
  const { openRedisStores } = await import('./adapters/redis/index.js');
  const redis = await openRedisStores(target, {
    clock,
    prefix: config.redisPrefix,
    retainMs: lifetimes(config.accessTtl * 1000).logRetainMs,
  }).catch(async (error: unknown) => {
    await sql.close();
    throw new StartupError(typeof target === 'string' ? `Redis at ${redacted(target)}` : `the Redis Cluster at ${target.cluster.join(',')}`, error);
  });
  return withRedis(sql, redis);
}

/** The SQL stores with Redis taking sessions, limits and the push transport (the log stays in SQL). */
export function withRedis(sql: Stores, redis: RedisStores): Stores {
  return {
    ...sql,
    sessions: redis.sessions,
    limiter: redis.limiter,
    bus: redis.bus,
    probe: async () => {
      await Promise.all([sql.probe(), redis.probe()]);
    },
    close: async () => {
      await redis.close();
      await sql.close();
    },
  };
}

export interface RuntimeOptions {
  clock?: Clock;
  hasher?: PasswordHasher;
  stores?: Stores;
  /** Core settings that do not come from the configuration. */
  core?: Pick<CoreOptions, 'heartbeats' | 'pollMs' | 'onBackgroundError' | 'mailWorker'>;
  /** Where mail goes; by default SMTP when configured, else `.eml` files (their links go to `onMailWritten`). */
  mail?: MailTransport;
  onMailWritten?: (path: string, mail: OutgoingMail, link: string | null) => void;
}

/** SMTP when TESSERA_SMTP_URL is set; otherwise the embedded default writes `.eml` files. */
export function mailTransport(config: Config, onWritten?: (path: string, mail: OutgoingMail, link: string | null) => void): MailTransport {
  return config.smtpUrl === null ? new FileMailTransport(config.mailDir, config.mailFrom, onWritten) : new SmtpMailTransport(config.smtpUrl, config.mailFrom);
}

/** Opens the stores and assembles the core, for the server and the CLI alike. */
export async function openTessera(config: Config, options: RuntimeOptions = {}): Promise<Tessera> {
  const clock = options.clock ?? systemClock;
  const stores = options.stores ?? (await openStores(config, clock));
  const hasher = options.hasher ?? new Argon2Hasher({ concurrency: config.hashConcurrency, queue: config.hashQueue, params: config.argon2 });
  try {
    const mail = options.mail ?? mailTransport(config, options.onMailWritten);
    return await Tessera.create(stores, hasher, clock, { ...coreOptions(config, loadBlocklist(), mail), ...options.core });
  } catch (error) {
    await stores.close();
    // Loading or making the keys is the first write: a database that opens but cannot be written fails here.
    throw isAuthError(error, 'unavailable') ? new StartupError(`the database ${redacted(config.databaseUrl)}`, error) : error;
  }
}

/** The HTTP app on an assembled core, with the configuration's HTTP settings. */
export async function buildHttp(tessera: Tessera, config: Config, logger: FastifyServerOptions['logger'] = false): Promise<FastifyInstance> {
  // Loaded on use: CLI commands other than `serve` need no HTTP stack.
  const { buildApp } = await import('./http/app.js');
  return buildApp(tessera, {
    issuer: config.issuer,
    signingAlg: config.signingAlg,
    allowedOrigins: config.allowedOrigins,
    trustProxy: config.trustProxy,
    metricsToken: config.metricsToken,
    feedSecret: config.feedSecret,
    adminRequireMfa: config.adminRequireMfa,
    logger,
  });
}
