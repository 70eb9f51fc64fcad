import type {
  AccountToken,
  AccountTokenPurpose,
  AccountTokenStore,
  Challenge,
  ChallengeStore,
  FactorStore,
  MailJob,
  MailJobKind,
  MailQueue,
  Passkey,
  TotpFactor,
} from '../../core/lifecyclePorts.js';

/** Rows by key, copied in and out, that a memory transaction can snapshot and restore. */
class Table<K, V extends object> {
  rows = new Map<K, V>();

  get(key: K): V | null {
    const row = this.rows.get(key);
    return row ? { ...row } : null;
  }

  set(key: K, row: V): void {
    this.rows.set(key, { ...row });
  }

  snapshot(): Map<K, V> {
    return new Map([...this.rows].map(([key, row]) => [key, { ...row }]));
  }

  restore(snapshot: Map<K, V>): void {
    this.rows = new Map(snapshot);
  }
}

export class MemoryAccountTokens extends Table<string, AccountToken> implements AccountTokenStore {
  async createToken(token: AccountToken): Promise<void> {
    this.set(token.id, token);
  }

  async getToken(id: string): Promise<AccountToken | null> {
    return this.get(id);
  }

  async useToken(id: string, now: number): Promise<boolean> {
    const token = this.rows.get(id);
    if (!token || token.usedAt !== null || token.expiresAt <= now) return false;
    token.usedAt = now;
    return true;
  }

  async useAll(userId: string, purpose: AccountTokenPurpose, now: number): Promise<void> {
    for (const token of this.rows.values()) if (token.userId === userId && token.purpose === purpose && token.usedAt === null) token.usedAt = now;
  }
}

interface MailRow extends MailJob {
  nextAttemptAt: number;
  sentAt: number | null;
  lastError: string | null;
}

export class MemoryMailQueue extends Table<number, MailRow> implements MailQueue {
  #next = 0;

  async enqueue(job: { kind: MailJobKind; recipient: string | null; payload: string }, now: number): Promise<void> {
    const id = ++this.#next;
    this.set(id, { id, ...job, attempts: 0, nextAttemptAt: now, sentAt: null, lastError: null });
  }

  async claim(now: number, leaseUntil: number, limit: number): Promise<MailJob[]> {
    const rows = [...this.rows.values()].filter((row) => row.sentAt === null && row.nextAttemptAt <= now).slice(0, limit);
    for (const row of rows) row.nextAttemptAt = leaseUntil;
    return rows.map(({ id, kind, recipient, payload, attempts }) => ({ id, kind, recipient, payload, attempts }));
  }

  async markSent(id: number, now: number): Promise<void> {
    const row = this.rows.get(id);
    if (row) row.sentAt = now;
  }

  async markFailed(id: number, error: string, nextAttemptAt: number): Promise<void> {
    const row = this.rows.get(id);
    if (row) Object.assign(row, { attempts: row.attempts + 1, lastError: error, nextAttemptAt });
  }

  async pending(): Promise<number> {
    return [...this.rows.values()].filter((row) => row.sentAt === null).length;
  }
}

export class MemoryFactors implements FactorStore {
  readonly totp = new Table<string, TotpFactor>();
  readonly codes = new Table<string, { userId: string; hash: string; usedAt: number | null }>();
  readonly passkeys = new Table<string, Passkey>();

  snapshot() {
    return { totp: this.totp.snapshot(), codes: this.codes.snapshot(), passkeys: this.passkeys.snapshot() };
  }

  restore(snapshot: ReturnType<MemoryFactors['snapshot']>): void {
    this.totp.restore(snapshot.totp);
    this.codes.restore(snapshot.codes);
    this.passkeys.restore(snapshot.passkeys);
  }

  async getTotp(userId: string): Promise<TotpFactor | null> {
    return this.totp.get(userId);
  }

  async saveTotp(factor: TotpFactor): Promise<void> {
    this.totp.set(factor.userId, factor);
  }

  async confirmTotp(userId: string, now: number): Promise<void> {
    const factor = this.totp.rows.get(userId);
    if (factor && factor.confirmedAt === null) factor.confirmedAt = now;
  }

  async useTotpStep(userId: string, step: number): Promise<boolean> {
    const factor = this.totp.rows.get(userId);
    if (!factor || step <= factor.lastStep) return false;
    factor.lastStep = step;
    return true;
  }

  async deleteTotp(userId: string): Promise<boolean> {
    return this.totp.rows.delete(userId);
  }

  async replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void> {
    for (const [key, code] of this.codes.rows) if (code.userId === userId) this.codes.rows.delete(key);
    for (const hash of hashes) this.codes.set(`${userId}:${hash}`, { userId, hash, usedAt: null });
  }

  async useRecoveryCode(userId: string, hash: string, now: number): Promise<boolean> {
    const code = this.codes.rows.get(`${userId}:${hash}`);
    if (!code || code.usedAt !== null) return false;
    code.usedAt = now;
    return true;
  }

  async countRecoveryCodes(userId: string): Promise<number> {
    return [...this.codes.rows.values()].filter((code) => code.userId === userId && code.usedAt === null).length;
  }

  async listPasskeys(userId: string): Promise<Passkey[]> {
    return [...this.passkeys.rows.values()].filter((p) => p.userId === userId).sort((a, b) => a.createdAt - b.createdAt).map((p) => ({ ...p, transports: [...p.transports] }));
  }

  async hasSecondFactor(userId: string): Promise<boolean> {
    return this.totp.rows.get(userId)?.confirmedAt != null || [...this.passkeys.rows.values()].some((p) => p.userId === userId);
  }

  async getPasskey(id: string): Promise<Passkey | null> {
    return this.passkeys.get(id);
  }

  async addPasskey(passkey: Passkey): Promise<void> {
    if (this.passkeys.rows.has(passkey.id)) throw new Error(`a passkey with id ${passkey.id} exists`);
    this.passkeys.set(passkey.id, passkey);
  }

  async usePasskey(id: string, counter: number, now: number): Promise<void> {
    const passkey = this.passkeys.rows.get(id);
    if (passkey) Object.assign(passkey, { counter, lastUsedAt: now });
  }

  async renamePasskey(id: string, userId: string, name: string): Promise<boolean> {
    const passkey = this.passkeys.rows.get(id);
    if (!passkey || passkey.userId !== userId) return false;
    passkey.name = name;
    return true;
  }

  async deletePasskey(id: string, userId: string): Promise<boolean> {
    return this.passkeys.rows.get(id)?.userId === userId && this.passkeys.rows.delete(id);
  }

  async deleteAllFactors(userId: string): Promise<void> {
    this.totp.rows.delete(userId);
    await this.replaceRecoveryCodes(userId, []);
    for (const [id, passkey] of this.passkeys.rows) if (passkey.userId === userId) this.passkeys.rows.delete(id);
  }
}

export class MemoryChallenges extends Table<string, Challenge> implements ChallengeStore {
  async createChallenge(challenge: Challenge): Promise<void> {
    this.set(challenge.id, challenge);
  }

  async getChallenge(id: string): Promise<Challenge | null> {
    return this.get(id);
  }

  async useChallenge(id: string, now: number): Promise<boolean> {
    const challenge = this.rows.get(id);
    if (!challenge || challenge.usedAt !== null || challenge.expiresAt <= now) return false;
    challenge.usedAt = now;
    return true;
  }
}
