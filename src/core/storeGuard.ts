import { isAuthError, storeUnavailable } from './errors.js';
import type { Stores } from './ports.js';
import type { StoreHealth } from './storeHealth.js';

/**
 * Wraps every port so that a store failure (a driver error, a timeout, a lost connection) becomes
 * AuthError `unavailable` naming the store and the real cause: a 503 with Retry-After, never a 500 and
 * never a pass (DESIGN.md, "Failure"). Each failure is noted for readiness. AuthErrors thrown on
 * purpose (`username_taken`) pass through.
 */
function guard<T extends object>(port: T, name: string, health: StoreHealth): T {
  const fail = (error: unknown): never => {
    if (isAuthError(error) && error.code !== 'unavailable') throw error;
    health.failed(name, error);
    throw isAuthError(error) ? error : storeUnavailable(name, error);
  };
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          const result: unknown = value.apply(target, args);
          return result instanceof Promise ? result.catch(fail) : result;
        } catch (error) {
          return fail(error);
        }
      };
    },
  });
}

export function guardStores(stores: Stores, health: StoreHealth): Stores {
  const transact = guard({ transact: stores.transact }, 'the database', health);
  const probe = guard({ probe: stores.probe }, 'the database', health);
  return {
    users: guard(stores.users, 'the user store', health),
    sessions: guard(stores.sessions, 'the session store', health),
    families: guard(stores.families, 'the token store', health),
    keys: guard(stores.keys, 'the key store', health),
    limiter: guard(stores.limiter, 'the rate limiter', health),
    audit: guard(stores.audit, 'the audit log', health),
    log: guard(stores.log, 'the revocation log', health),
    accountTokens: guard(stores.accountTokens, 'the account token store', health),
    mail: guard(stores.mail, 'the mail queue', health),
    factors: guard(stores.factors, 'the factor store', health),
    challenges: guard(stores.challenges, 'the challenge store', health),
    bus: stores.bus && guard(stores.bus, 'the revocation feed', health),
    transact: (work) => transact.transact(work),
    ...(stores.migrationsApplied ? { migrationsApplied: stores.migrationsApplied } : {}),
    probe: () => probe.probe(),
    close: () => stores.close(),
  };
}
