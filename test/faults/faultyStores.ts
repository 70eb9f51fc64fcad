import type { Stores, Transaction } from '../../src/core/ports.js';

/** Every method of every port that changes something, by port: what the harness may fail. */
const WRITES: Readonly<Record<string, readonly string[]>> = {
  users: ['createUser', 'updateUser'],
  sessions: ['createSession', 'touchSession', 'revokeSession', 'purgeSessions'],
  families: ['createFamily', 'rotateFamily', 'revokeFamily', 'purgeFamilies'],
  keys: ['insertKey', 'retireKeysExcept', 'deleteKey', 'ensureSecret', 'resealKey', 'resealSecret'],
  limiter: ['hit', 'reset'],
  audit: ['append'],
  log: ['markDelivered', 'trim'],
  accountTokens: ['createToken', 'useToken', 'useAll'],
  mail: ['enqueue', 'markSent', 'markFailed'],
  factors: ['saveTotp', 'confirmTotp', 'useTotpStep', 'deleteTotp', 'replaceRecoveryCodes', 'useRecoveryCode', 'addPasskey', 'usePasskey', 'renamePasskey', 'deletePasskey', 'deleteAllFactors'],
  challenges: ['createChallenge', 'useChallenge'],
  bus: ['publish', 'markIntact'],
};

/** An error as a driver would raise on a lost connection. */
export class InjectedFault extends Error {
  readonly code = 'ECONNRESET';

  constructor(readonly at: string) {
    super(`injected fault at ${at}`);
  }
}

/**
 * How the Nth write fails: `before` it happens (nothing was done); `after` it (it was done, but the
 * caller hears of a failure, as when a connection drops with the answer on its way); or `outage`:
 * before it, and every write after it too, until the test brings the stores back.
 */
export type FaultMode = 'before' | 'after' | 'outage';

/** Counts every write, publish and commit made through the stores, and fails the Nth as `mode` says. */
export class Faults {
  #count = 0;
  #armedAt: number | null = null;
  #mode: FaultMode = 'before';
  #down = false;
  /** Writes with this label fail until `disarm`, whatever else goes through: one store away. */
  #away: string | null = null;
  /** What a failed write throws: a lost connection, unless a test says otherwise (a full disk). */
  #error: (label: string) => Error = (label) => new InjectedFault(label);
  /** Every write seen while counting, in order. */
  readonly seen: string[] = [];
  hit: string | null = null;

  /** Counts from now on, failing the `n`th write as `mode` says; `null` only counts. */
  arm(n: number | null, mode: FaultMode = 'before'): void {
    this.#count = 0;
    this.#armedAt = n;
    this.#mode = mode;
    this.#down = false;
    this.seen.length = 0;
    this.hit = null;
  }

  /** Failed writes throw this instead of a lost connection, as a driver would on a full disk. */
  failWith(error: (label: string) => Error): void {
    this.#error = error;
  }

  /** From now on, every write labelled `label` fails, and only those. */
  away(label: string): void {
    this.#away = label;
  }

  /** The stores are back: every write goes through, uncounted. */
  disarm(): void {
    this.#armedAt = null;
    this.#down = false;
    this.#away = null;
  }

  async write<T>(label: string, op: () => Promise<T>): Promise<T> {
    if (this.#down || label === this.#away) throw this.#error(label);
    if (this.#armedAt === null) {
      if (this.hit === null) this.seen.push(label);
      return op();
    }
    this.seen.push(label);
    if (++this.#count !== this.#armedAt) return op();
    this.hit = label;
    this.#armedAt = null;
    if (this.#mode === 'after') {
      await op();
      throw this.#error(label);
    }
    this.#down = this.#mode === 'outage';
    throw this.#error(label);
  }
}

function faulty<T extends object>(port: T, name: string, faults: Faults): T {
  const writes = new Set(WRITES[name] ?? []);
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      // Methods run on the port itself: its #private fields are not the proxy's.
      if (!writes.has(String(property))) return (...args: unknown[]) => value.apply(target, args) as unknown;
      return (...args: unknown[]) => faults.write(`${name}.${String(property)}`, () => value.apply(target, args) as Promise<unknown>);
    },
  });
}

/** The stores, with every write, publish and commit counted by `faults` and failed where it is armed. */
export function faultyStores(stores: Stores, faults: Faults): Stores {
  const inTransaction = (tx: Transaction): Transaction => ({
    users: faulty(tx.users, 'users', faults),
    families: faulty(tx.families, 'families', faults),
    accountTokens: faulty(tx.accountTokens, 'accountTokens', faults),
    factors: faulty(tx.factors, 'factors', faults),
    mail: faulty(tx.mail, 'mail', faults),
    publish: (event, delivered) => tx.publish(event, delivered),
    audit: (entry) => tx.audit(entry),
  });
  return {
    users: faulty(stores.users, 'users', faults),
    sessions: faulty(stores.sessions, 'sessions', faults),
    families: faulty(stores.families, 'families', faults),
    keys: faulty(stores.keys, 'keys', faults),
    limiter: faulty(stores.limiter, 'limiter', faults),
    audit: faulty(stores.audit, 'audit', faults),
    log: faulty(stores.log, 'log', faults),
    accountTokens: faulty(stores.accountTokens, 'accountTokens', faults),
    mail: faulty(stores.mail, 'mail', faults),
    factors: faulty(stores.factors, 'factors', faults),
    challenges: faulty(stores.challenges, 'challenges', faults),
    bus: stores.bus && faulty(stores.bus, 'bus', faults),
    // The commit is a write of its own: failed before, nothing commits; failed after, all of it did.
    transact: (work) => faults.write('commit', () => stores.transact((tx) => work(inTransaction(tx)))),
    probe: () => stores.probe(),
    close: () => stores.close(),
  };
}
