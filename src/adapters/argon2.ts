import { hash, verify } from '@node-rs/argon2';
import { type Argon2Params, DEFAULT_ARGON2 } from '../config.js';
import { Gate } from '../core/gate.js';
import type { PasswordHasher } from '../core/ports.js';

/** `Algorithm.Argon2id`: a const enum, which only tsc inlines (esbuild, under vitest, would not). */
const ARGON2ID = 2;

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/**
 * Argon2id through @node-rs/argon2, which hashes on libuv's thread pool, never on the event loop.
 * A Gate caps the hashes in flight.
 */
export class Argon2Hasher implements PasswordHasher {
  readonly #gate: Gate;
  readonly #params: Readonly<Argon2Params>;

  /** `params`: the OWASP default (m=19456 KiB, t=2, p=1) unless configured (`TESSERA_ARGON2`). */
  constructor(options: { concurrency: number; queue: number; params?: Readonly<Argon2Params> }) {
    this.#gate = new Gate(options.concurrency, options.queue);
    this.#params = options.params ?? DEFAULT_ARGON2;
  }

  hash(password: string): Promise<string> {
    return this.#gate.run(() => hash(password, { algorithm: ARGON2ID, ...this.#params }));
  }

  verify(stored: string, password: string): Promise<boolean> {
    if (!PHC.test(stored)) return Promise.resolve(false);
    return this.#gate.run(() => verify(stored, password).catch(() => false));
  }

  saturated(): boolean {
    return this.#gate.full;
  }

  /** The hasher recognises its own strings, so that hashes upgrade at login (OWASP). */
  needsRehash(stored: string): boolean {
    const match = PHC.exec(stored);
    if (!match) return true;
    const { memoryCost, timeCost, parallelism } = this.#params;
    return Number(match[1]) !== memoryCost || Number(match[2]) !== timeCost || Number(match[3]) !== parallelism;
  }
}
