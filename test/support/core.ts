import { createMemoryStores, type MemoryStores } from '../../src/adapters/memory/index.js';
import { Argon2Hasher } from '../../src/adapters/argon2.js';
import { parseConfig } from '../../src/config.js';
import { ManualClock } from '../../src/core/clock.js';
import { AuthError } from '../../src/core/errors.js';
import type { ClientInfo } from '../../src/core/model.js';
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
}

/** The core on memory stores and a manual clock; `env` overrides settings as the environment would. */
export async function testCore(env: Record<string, string> = {}, hasher?: PasswordHasher): Promise<TestCore> {
  const clock = new ManualClock(Date.UTC(2026, 10, 27, 12));
  const stores = createMemoryStores({ clock });
  const config = parseConfig({ TESSERA_ISSUER: 'http://localhost:8080', ...env });
  const options = coreOptions(config, buildBlocklist(['password1234567', 'qwertyuiopasdfg']));
  const tessera = await Tessera.create(stores, hasher ?? new Argon2Hasher({ concurrency: 4, queue: 64 }), clock, options);
  await tessera.start({ upkeep: false });
  return {
    tessera,
    stores,
    clock,
    advance(ms) {
      clock.advance(ms);
      stores.bus.beat();
    },
  };
}
