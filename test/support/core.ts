import { MemoryMailTransport } from '../../src/adapters/mail/index.js';
import { signedIn } from '../../src/core/logins.js';
import { createMemoryStores, type MemoryStores } from '../../src/adapters/memory/index.js';
import { Argon2Hasher } from '../../src/adapters/argon2.js';
import { parseConfig } from '../../src/config.js';
import { ManualClock } from '../../src/core/clock.js';
import { AuthError } from '../../src/core/errors.js';
import type { ClientInfo, Transport, User } from '../../src/core/model.js';
import type { SessionLogin } from '../../src/core/logins.js';
import type { IssuedTokens } from '../../src/core/tokens.js';
import type { PasswordHasher } from '../../src/core/ports.js';
import { Tessera } from '../../src/core/tessera.js';
import { coreOptions } from '../../src/options.js';
import { buildBlocklist } from '../../src/core/credentialPolicy.js';

/** The code of an AuthError a promise rejects with, or 'ok'. */
export const codeOf = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'ok',
    (error: unknown) => (error instanceof AuthError ? error.code : `unexpected ${String(error)}`),
  );

export const CLIENT: ClientInfo = { ip: '192.0.2.1', userAgent: 'vitest' };
export const PASSWORD = 'correct horse battery staple';

export interface TestCore {
  tessera: Tessera;
  stores: MemoryStores;
  clock: ManualClock;
  /** Moves time and lets the feed beat at the new time. */
  advance(ms: number): void;
  /** The mail the core sent. */
  mail: MemoryMailTransport;
}

/** The core on memory stores and a manual clock; `env` overrides settings as the environment would. */
export async function testCore(env: Record<string, string> = {}, hasher?: PasswordHasher): Promise<TestCore> {
  const clock = new ManualClock(Date.UTC(2026, 10, 27, 12));
  const stores = createMemoryStores({ clock });
  const config = parseConfig({ TESSERA_ISSUER: 'http://localhost:8080', ...env });
  const mail = new MemoryMailTransport();
  const options = coreOptions(config, buildBlocklist(['password1234567', 'qwertyuiopasdfg']), mail);
  const tessera = await Tessera.create(stores, hasher ?? new Argon2Hasher({ concurrency: 4, queue: 64, params: config.argon2 }), clock, { ...options, heartbeats: 'manual' });
  await tessera.start({ upkeep: false });
  return {
    tessera,
    stores,
    clock,
    mail,
    advance(ms) {
      clock.advance(ms);
      tessera.feedHeartbeat(clock.now());
    },
  };
}

/** A token family for a registered user, through the login use case. */
export const issueTokens = (c: TestCore, user: Pick<User, 'username'>, transport: Transport = 'body'): Promise<IssuedTokens> =>
  c.tessera.logInWithTokens(user.username, PASSWORD, transport, CLIENT).then(signedIn);

/** A cookie session for a registered user, through the login use case. */
export const openSession = (c: TestCore, user: Pick<User, 'username'>, remember = false): Promise<SessionLogin> =>
  c.tessera.logInWithSession(user.username, PASSWORD, remember, undefined, CLIENT).then(signedIn);

/** Another instance on the same database, as a second server or the CLI would be. */
export async function peerOf(c: TestCore, env: Record<string, string> = {}): Promise<Tessera> {
  const config = parseConfig({ TESSERA_ISSUER: 'http://localhost:8080', ...env });
  const options = coreOptions(config, buildBlocklist([]), c.mail);
  const peer = await Tessera.create(createMemoryStores({ clock: c.clock, db: c.stores.db }), new Argon2Hasher({ concurrency: 2, queue: 64, params: config.argon2 }), c.clock, { ...options, pollMs: 20 });
  await peer.start({ upkeep: false });
  return peer;
}
