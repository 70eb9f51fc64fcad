import type { Selectable } from 'kysely';
import type {
  AccountToken,
  AccountTokenPurpose,
  AccountTokenStore,
  Challenge,
  ChallengePurpose,
  ChallengeStore,
  FactorStore,
  MailJob,
  MailJobKind,
  MailQueue,
  Passkey,
  TotpFactor,
} from '../../core/lifecyclePorts.js';
import type { SqlContext } from './dialect.js';
import type { AccountTokensTable, ChallengesTable, PasskeysTable } from './schema.js';

const tokenFromRow = (row: Selectable<AccountTokensTable>): AccountToken => ({
  id: row.id,
  userId: row.user_id,
  purpose: row.purpose as AccountTokenPurpose,
  secretHash: row.secret_hash,
  email: row.email,
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
  usedAt: row.used_at === null ? null : Number(row.used_at),
});

export class SqlAccountTokens implements AccountTokenStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async createToken(t: AccountToken): Promise<void> {
    await this.#ctx.db
      .insertInto('account_tokens')
      .values({ id: t.id, user_id: t.userId, purpose: t.purpose, secret_hash: t.secretHash, email: t.email, created_at: t.createdAt, expires_at: t.expiresAt, used_at: t.usedAt })
      .execute();
  }

  async getToken(id: string): Promise<AccountToken | null> {
    const row = await this.#ctx.db.selectFrom('account_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? tokenFromRow(row) : null;
  }

  async useToken(id: string, now: number): Promise<boolean> {
    // One conditional update: of two requests racing with one link, exactly one uses it.
    const result = await this.#ctx.db.updateTable('account_tokens').set({ used_at: now }).where('id', '=', id).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async useAll(userId: string, purpose: AccountTokenPurpose, now: number): Promise<void> {
    await this.#ctx.db.updateTable('account_tokens').set({ used_at: now }).where('user_id', '=', userId).where('purpose', '=', purpose).where('used_at', 'is', null).execute();
  }
}

export class SqlMailQueue implements MailQueue {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async enqueue(job: { kind: MailJobKind; recipient: string | null; payload: string }, now: number): Promise<void> {
    await this.#ctx.db.insertInto('mail_outbox').values({ ...job, created_at: now, next_attempt_at: now }).execute();
  }

  async claim(now: number, leaseUntil: number, limit: number): Promise<MailJob[]> {
    // One statement (SQLite serialises writers; PostgreSQL skips rows another worker has locked).
    const rows = await this.#ctx.db
      .updateTable('mail_outbox')
      .set({ next_attempt_at: leaseUntil })
      .where('id', 'in', (eb) => {
        const due = eb.selectFrom('mail_outbox').select('id').where('sent_at', 'is', null).where('next_attempt_at', '<=', now).orderBy('id').limit(limit);
        return this.#ctx.dialect.name === 'postgres' ? due.forUpdate().skipLocked() : due;
      })
      .returning(['id', 'kind', 'recipient', 'payload', 'attempts'])
      .execute();
    rows.sort((a, b) => Number(a.id) - Number(b.id));
    return rows.map((row) => ({ ...row, id: Number(row.id), kind: row.kind as MailJobKind, attempts: Number(row.attempts) }));
  }

  async markSent(id: number, now: number): Promise<void> {
    await this.#ctx.db.updateTable('mail_outbox').set({ sent_at: now }).where('id', '=', id).execute();
  }

  async markFailed(id: number, error: string, nextAttemptAt: number): Promise<void> {
    await this.#ctx.db
      .updateTable('mail_outbox')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error.slice(0, 500), next_attempt_at: nextAttemptAt }))
      .where('id', '=', id)
      .execute();
  }

  async pending(): Promise<number> {
    const row = await this.#ctx.db.selectFrom('mail_outbox').select((eb) => eb.fn.countAll<number | string>().as('n')).where('sent_at', 'is', null).executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

const passkeyFromRow = (row: Selectable<PasskeysTable>): Passkey => ({
  id: row.id,
  userId: row.user_id,
  publicKey: row.public_key,
  counter: Number(row.counter),
  transports: JSON.parse(row.transports) as string[],
  deviceType: row.device_type === 'multiDevice' ? 'multiDevice' : 'singleDevice',
  backedUp: Boolean(row.backed_up),
  name: row.name,
  createdAt: Number(row.created_at),
  lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
});

export class SqlFactors implements FactorStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async getTotp(userId: string): Promise<TotpFactor | null> {
    const row = await this.#ctx.db.selectFrom('totp_factors').selectAll().where('user_id', '=', userId).executeTakeFirst();
    return row ? { userId: row.user_id, secret: row.secret, createdAt: Number(row.created_at), confirmedAt: row.confirmed_at === null ? null : Number(row.confirmed_at), lastStep: Number(row.last_step) } : null;
  }

  async saveTotp(f: TotpFactor): Promise<void> {
    const values = { user_id: f.userId, secret: f.secret, created_at: f.createdAt, confirmed_at: f.confirmedAt, last_step: f.lastStep };
    await this.#ctx.db.insertInto('totp_factors').values(values).onConflict((oc) => oc.column('user_id').doUpdateSet(values)).execute();
  }

  async confirmTotp(userId: string, now: number): Promise<void> {
    await this.#ctx.db.updateTable('totp_factors').set({ confirmed_at: now }).where('user_id', '=', userId).where('confirmed_at', 'is', null).execute();
  }

  async useTotpStep(userId: string, step: number): Promise<boolean> {
    // RFC 6238 §5.2: a code is accepted once; the step only moves forward, in one conditional update.
    const result = await this.#ctx.db.updateTable('totp_factors').set({ last_step: step }).where('user_id', '=', userId).where('last_step', '<', step).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deleteTotp(userId: string): Promise<boolean> {
    const result = await this.#ctx.db.deleteFrom('totp_factors').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void> {
    await this.#ctx.db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    if (hashes.length > 0) await this.#ctx.db.insertInto('recovery_codes').values(hashes.map((code_hash) => ({ user_id: userId, code_hash, used_at: null }))).execute();
  }

  async useRecoveryCode(userId: string, hash: string, now: number): Promise<boolean> {
    const result = await this.#ctx.db.updateTable('recovery_codes').set({ used_at: now }).where('user_id', '=', userId).where('code_hash', '=', hash).where('used_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async countRecoveryCodes(userId: string): Promise<number> {
    const row = await this.#ctx.db.selectFrom('recovery_codes').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async listPasskeys(userId: string): Promise<Passkey[]> {
    const rows = await this.#ctx.db.selectFrom('passkeys').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
    return rows.map(passkeyFromRow);
  }

  async hasSecondFactor(userId: string): Promise<boolean> {
    const row = await this.#ctx.db
      .selectNoFrom((eb) => [
        eb.exists(eb.selectFrom('totp_factors').select('user_id').where('user_id', '=', userId).where('confirmed_at', 'is not', null)).as('totp'),
        eb.exists(eb.selectFrom('passkeys').select('id').where('user_id', '=', userId)).as('passkey'),
      ])
      .executeTakeFirstOrThrow();
    return Boolean(row.totp) || Boolean(row.passkey);
  }

  async getPasskey(id: string): Promise<Passkey | null> {
    const row = await this.#ctx.db.selectFrom('passkeys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? passkeyFromRow(row) : null;
  }

  async addPasskey(p: Passkey): Promise<void> {
    await this.#ctx.db
      .insertInto('passkeys')
      .values({
        id: p.id,
        user_id: p.userId,
        public_key: p.publicKey,
        counter: p.counter,
        transports: JSON.stringify(p.transports),
        device_type: p.deviceType,
        backed_up: this.#ctx.dialect.flag(p.backedUp),
        name: p.name,
        created_at: p.createdAt,
        last_used_at: p.lastUsedAt,
      })
      .execute();
  }

  async usePasskey(id: string, counter: number, now: number): Promise<void> {
    await this.#ctx.db.updateTable('passkeys').set({ counter, last_used_at: now }).where('id', '=', id).execute();
  }

  async renamePasskey(id: string, userId: string, name: string): Promise<boolean> {
    const result = await this.#ctx.db.updateTable('passkeys').set({ name }).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deletePasskey(id: string, userId: string): Promise<boolean> {
    const result = await this.#ctx.db.deleteFrom('passkeys').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async deleteAllFactors(userId: string): Promise<void> {
    await this.#ctx.db.deleteFrom('totp_factors').where('user_id', '=', userId).execute();
    await this.#ctx.db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await this.#ctx.db.deleteFrom('passkeys').where('user_id', '=', userId).execute();
  }
}

const challengeFromRow = (row: Selectable<ChallengesTable>): Challenge => ({
  id: row.id,
  userId: row.user_id,
  purpose: row.purpose as ChallengePurpose,
  secretHash: row.secret_hash,
  data: row.data,
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
  usedAt: row.used_at === null ? null : Number(row.used_at),
});

export class SqlChallenges implements ChallengeStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async createChallenge(c: Challenge): Promise<void> {
    await this.#ctx.db
      .insertInto('challenges')
      .values({ id: c.id, user_id: c.userId, purpose: c.purpose, secret_hash: c.secretHash, data: c.data, created_at: c.createdAt, expires_at: c.expiresAt, used_at: c.usedAt })
      .execute();
  }

  async getChallenge(id: string): Promise<Challenge | null> {
    const row = await this.#ctx.db.selectFrom('challenges').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? challengeFromRow(row) : null;
  }

  async useChallenge(id: string, now: number): Promise<boolean> {
    const result = await this.#ctx.db.updateTable('challenges').set({ used_at: now }).where('id', '=', id).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
