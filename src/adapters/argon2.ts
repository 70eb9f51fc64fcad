import { hash, verify } from '@node-rs/argon2';
import { Gate } from '../core/gate.js';
import type { PasswordHasher } from '../core/ports.js';

/** `Algorithm.Argon2id`: a const enum, which only tsc inlines (esbuild, under vitest, would not). */
const ARGON2ID = 2;

/** OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1. */
export const ARGON2_PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/**
 * Argon2id through @node-rs/argon2, which hashes on libuv's thread pool, never on the event loop.
 * A Gate caps the hashes in flight.
 */
export class Argon2Hasher implements PasswordHasher {
  readonly #gate: Gate;
  readonly #params: { memoryCost: number; timeCost: number; parallelism: number };

  constructor(options: { concurrency: number; queue: number; params?: typeof ARGON2_PARAMS }) {
    this.#gate = new Gate(options.concurrency, options.queue);
    this.#params = options.params ?? ARGON2_PARAMS;
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
