import { MemoryMailTransport } from '../../src/adapters/mail/index.js';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createMemoryStores } from '../../src/adapters/memory/index.js';
import { openSqliteStores } from '../../src/adapters/sqlite/index.js';
import { parseConfig } from '../../src/config.js';
import { buildBlocklist } from '../../src/core/credentialPolicy.js';
import type { Clock, ManualClock } from '../../src/core/clock.js';
import { isAuthError } from '../../src/core/errors.js';
import type { ClientInfo } from '../../src/core/model.js';
import type { PasswordHasher, Stores } from '../../src/core/ports.js';
import { Tessera } from '../../src/core/tessera.js';
import { coreOptions } from '../../src/options.js';
import { POSTGRES_URL, REDIS_URL, uniqueName } from '../support/services.js';
import { Faults, faultyStores } from './faultyStores.js';

export const CLIENT: ClientInfo = { ip: '192.0.2.7', userAgent: 'fault test' };
export const PASSWORD = 'correct horse battery staple';
export const NEW_PASSWORD = 'another correct horse, longer';

/**
 * A quick hasher for these tests only: they are about what commits when a store fails, not about
 * Argon2id, and each failure point starts from a fresh set-up with several logins.
 */
export const quickHasher: PasswordHasher = {
  async hash(password) {
    const salt = randomBytes(8).toString('hex');
    return `$quick$${salt}$${createHash('sha256').update(salt + password).digest('hex')}`;
  },
  async verify(hash, password) {
    const [, , salt = '', digest = ''] = hash.split('$');
    const expected = Buffer.from(digest, 'hex');
    const actual = createHash('sha256').update(salt + password).digest();
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  },
  needsRehash: () => false,
  saturated: () => false,
};

export interface Opened {
  stores: Stores;
  close(): Promise<void>;
  /** Makes Redis lose everything this backend keeps there, as FLUSHALL or a restart without persistence would. */
  loseRedis?(): Promise<void>;
}

export interface Backend {
  name: string;
  open(clock: Clock): Promise<Opened>;
}

export const memoryBackend: Backend = { name: 'memory', open: async (clock) => ({ stores: createMemoryStores({ clock }), close: async () => undefined }) };

export const sqliteBackend: Backend = {
  name: 'sqlite',
  open: async (clock) => {
    const stores = await openSqliteStores(':memory:', { clock });
    return { stores, close: () => stores.close() };
  },
};

/** PostgreSQL for the record, Redis for sessions, limits and the stream: a schema and a key prefix of their own. */
export const postgresRedisBackend: Backend = {
  name: 'postgres+redis',
  open: async (clock) => {
    const { dropPostgresSchema, openPostgresStores } = await import('../../src/adapters/postgres/index.js');
    const { openRedisStores } = await import('../../src/adapters/redis/index.js');
    const { withRedis } = await import('../../src/runtime.js');
    const { deletePrefix, rawClient } = await import('../redis/helpers.js');
    const name = uniqueName('faults').toLowerCase();
    const sql = await openPostgresStores(POSTGRES_URL, { clock, schema: name, poolSize: 4 });
    const redis = await openRedisStores(REDIS_URL, { clock, prefix: `${name}:` });
    const loseRedis = async (): Promise<void> => {
      const admin = rawClient(REDIS_URL);
      await deletePrefix(admin, `${name}:`);
      admin.disconnect();
    };
    return {
      stores: withRedis(sql, redis),
      loseRedis,
      close: async () => {
        await redis.close();
        await sql.close();
        await dropPostgresSchema(POSTGRES_URL, name);
        await loseRedis();
      },
    };
  },
};

const config = parseConfig({ TESSERA_ISSUER: 'http://localhost:8080', TESSERA_MAX_SESSIONS_PER_USER: '3' });
/** The mail every harness instance sends (a reset link, for the reset scenario). */
export const MAIL = new MemoryMailTransport();
const options = { ...coreOptions(config, buildBlocklist([]), MAIL), heartbeats: 'manual' as const, pollMs: 20 };

/** Stores whose close does nothing: several instances share one set, as several processes share a database. */
const shared = (stores: Stores): Stores => ({ ...stores, close: async () => undefined });

/**
 * One instance on stores whose writes can fail, and whatever else a scenario needs to look behind it:
 * the stores themselves, and fresh instances on them (an instance that starts after the change).
 */
export class Harness {
  readonly faults: Faults;
  readonly clock: ManualClock;
  readonly stores: Stores;
  readonly tessera: Tessera;
  readonly #opened: Opened;
  readonly #others: Tessera[] = [];

  private constructor(faults: Faults, clock: ManualClock, opened: Opened, tessera: Tessera) {
    this.faults = faults;
    this.clock = clock;
    this.stores = opened.stores;
    this.tessera = tessera;
    this.#opened = opened;
  }

  /** Null where the backend keeps nothing in Redis. */
  get loseRedis(): (() => Promise<void>) | null {
    return this.#opened.loseRedis ?? null;
  }

  static async open(backend: Backend, clock: ManualClock): Promise<Harness> {
    const opened = await backend.open(clock);
    const faults = new Faults();
    const tessera = await Tessera.create(faultyStores(shared(opened.stores), faults), quickHasher, clock, options);
    await tessera.start({ upkeep: false });
    return new Harness(faults, clock, opened, tessera);
  }

  /** An instance that starts now on the same stores: it knows only what the durable log says. */
  async fresh(): Promise<Tessera> {
    const tessera = await Tessera.create(shared(this.stores), quickHasher, this.clock, options);
    await tessera.start({ upkeep: false });
    this.#others.push(tessera);
    return tessera;
  }

  /** Moves past the relay's grace and runs one relay pass, with the stores back. */
  async relay(): Promise<void> {
    this.faults.disarm();
    this.clock.advance(1000);
    this.tessera.feedHeartbeat(this.clock.now());
    await this.tessera.relay();
  }

  async close(): Promise<void> {
    for (const other of this.#others) await other.close();
    await this.tessera.close();
    await this.#opened.close();
  }
}

/** What a credential gets from an instance now: accepted, refused (401), or 503. */
export type Verdict = 'accepted' | 'refused' | 'unavailable';

export async function verdict(check: Promise<unknown>): Promise<Verdict> {
  try {
    await check;
    return 'accepted';
  } catch (error) {
    if (isAuthError(error, 'unavailable')) return 'unavailable';
    if (isAuthError(error)) return 'refused';
    throw error;
  }
}
