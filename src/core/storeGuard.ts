import { isAuthError, storeUnavailable } from './errors.js';
import type { Stores } from './ports.js';

/**
 * Wraps every port so that a store failure (a driver error, a timeout, a lost connection) becomes
 * AuthError `unavailable`: a 503 with Retry-After, never a 500 and never a pass (DESIGN.md,
 * "Failure"). AuthErrors an adapter throws on purpose (`username_taken`) pass through.
 */
function guard<T extends object>(port: T, name: string): T {
  const fail = (error: unknown): never => {
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

export function guardStores(stores: Stores): Stores {
  return {
    users: guard(stores.users, 'the user store'),
    sessions: guard(stores.sessions, 'the session store'),
    families: guard(stores.families, 'the token store'),
    keys: guard(stores.keys, 'the key store'),
    limiter: guard(stores.limiter, 'the rate limiter'),
    audit: guard(stores.audit, 'the audit log'),
    bus: guard(stores.bus, 'the revocation feed'),
    ping: () => stores.ping().catch(() => false),
    close: () => stores.close(),
  };
}
