import { type TokenFamily, familyEnd, familyIdleEnd } from '../../core/model.js';
import type { FamilyStore } from '../../core/ports.js';
import { MemoryCredentials } from './credentials.js';

export class MemoryFamilyStore implements FamilyStore {
  readonly #families = new MemoryCredentials<TokenFamily>(familyIdleEnd, familyEnd);

  async createFamily(family: TokenFamily, cap: number, now: number): Promise<string[]> {
    return this.#families.create(family, cap, now);
  }

  snapshot(): Map<string, TokenFamily> {
    return this.#families.snapshot();
  }

  restore(snapshot: Map<string, TokenFamily>): void {
    this.#families.restore(snapshot);
  }

  async getFamily(id: string): Promise<TokenFamily | null> {
    return this.#families.get(id);
  }

  async rotateFamily(id: string, from: number, secretHash: Buffer, now: number): Promise<TokenFamily | null> {
    return this.#families.update(id, (f) =>
      f.generation === from ? { ...f, generation: from + 1, secretHash: Buffer.from(secretHash), rotatedAt: now } : null,
    );
  }

  async revokeFamily(id: string, reason: string, now: number): Promise<TokenFamily | null> {
    return this.#families.revoke(id, reason, now);
  }

  async listFamilies(userId: string, now: number): Promise<TokenFamily[]> {
    return this.#families.list(userId, now);
  }

  async purgeFamilies(before: number): Promise<number> {
    return this.#families.purge(before);
  }
}
