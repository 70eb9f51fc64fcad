import type { StoredKey } from '../../core/model.js';
import type { KeyStore } from '../../core/ports.js';

const newestFirst = (a: StoredKey, b: StoredKey): number => b.createdAt - a.createdAt || (a.kid < b.kid ? 1 : a.kid > b.kid ? -1 : 0);

export class MemoryKeyStore implements KeyStore {
  readonly #keys = new Map<string, StoredKey>();
  readonly #secrets = new Map<string, string>();

  async listKeys(): Promise<StoredKey[]> {
    return [...this.#keys.values()].sort(newestFirst).map((key) => ({ ...key }));
  }

  async insertKey(key: StoredKey): Promise<void> {
    if (this.#keys.has(key.kid)) throw new Error(`a key with kid ${key.kid} exists`);
    this.#keys.set(key.kid, { ...key });
  }

  async retireKeysExcept(keepKid: string, at: number): Promise<void> {
    for (const key of this.#keys.values()) {
      if (key.kid !== keepKid && key.retiredAt === null) key.retiredAt = at;
    }
  }

  async deleteKey(kid: string): Promise<void> {
    this.#keys.delete(kid);
  }

  async resealKey(kid: string, from: string, to: string): Promise<void> {
    const key = this.#keys.get(kid);
    if (key?.privateJwk === from) key.privateJwk = to;
  }

  async resealSecret(name: string, from: string, to: string): Promise<void> {
    if (this.#secrets.get(name) === from) this.#secrets.set(name, to);
  }

  async ensureSecret(name: string, value: string): Promise<string> {
    const stored = this.#secrets.get(name) ?? value;
    this.#secrets.set(name, stored);
    return stored;
  }
}
