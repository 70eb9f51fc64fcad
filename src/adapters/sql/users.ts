import { type Updateable, sql } from 'kysely';
import { AuthError } from '../../core/errors.js';
import type { User } from '../../core/model.js';
import type { UserFilter, UserPatch, UserStore } from '../../core/ports.js';
import type { SqlContext } from './dialect.js';
import { userFromRow, userToRow } from './rows.js';
import type { UsersTable } from './schema.js';

/** SQLite's SQLITE_CONSTRAINT_UNIQUE, PostgreSQL's 23505. */
const isUniqueViolation = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
};

export class SqlUserStore implements UserStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async createUser(user: User): Promise<void> {
    // ON CONFLICT DO NOTHING on the key: the uniqueness check and the insert are one statement.
    const inserted = await this.#ctx.db
      .insertInto('users')
      .values(userToRow(user, this.#ctx.dialect))
      .onConflict((oc) => oc.column('username_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) throw new AuthError('username_taken');
  }

  async findUserByKey(usernameKey: string): Promise<User | null> {
    const row = await this.#ctx.db.selectFrom('users').selectAll().where('username_key', '=', usernameKey).executeTakeFirst();
    return row ? userFromRow(row) : null;
  }

  async findUserById(id: string): Promise<User | null> {
    const row = await this.#ctx.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? userFromRow(row) : null;
  }

  async findUserByEmail(emailKey: string): Promise<User | null> {
    const row = await this.#ctx.db
      .selectFrom('users')
      .selectAll()
      .where('email_key', '=', emailKey)
      .where('email_verified', '=', this.#ctx.dialect.flag(true))
      .executeTakeFirst();
    return row ? userFromRow(row) : null;
  }

  async lockUser(id: string): Promise<User | null> {
    let query = this.#ctx.db.selectFrom('users').selectAll().where('id', '=', id);
    if (this.#ctx.dialect.rowLocks && this.#ctx.db.isTransaction) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row ? userFromRow(row) : null;
  }

  async updateUser(id: string, patch: UserPatch): Promise<User | null> {
    const values = this.#columns(patch);
    if (Object.keys(values).length === 0) return this.findUserById(id);
    const row = await this.#ctx.db
      .updateTable('users')
      .set(values)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst()
      .catch((error: unknown) => {
        // The partial unique index on verified addresses (migration 005) decides a race between two users.
        if (values.email_verified !== undefined && isUniqueViolation(error)) throw new AuthError('email_taken');
        throw error;
      });
    return row ? userFromRow(row) : null;
  }

  async listUsers(options: { limit: number; after?: string; filter?: UserFilter }): Promise<User[]> {
    let query = this.#ctx.db.selectFrom('users').selectAll().orderBy('id').limit(options.limit);
    if (options.after !== undefined) query = query.where('id', '>', options.after);
    const { prefix, role, disabled } = options.filter ?? {};
    // LIKE on the normalised key, its wildcards escaped: character-wise in both databases, whatever the collation.
    if (prefix) query = query.where(sql<boolean>`username_key like ${`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\'`);
    if (role !== undefined) query = query.where('role', '=', role);
    if (disabled !== undefined) query = query.where('disabled', '=', this.#ctx.dialect.flag(disabled));
    return (await query.execute()).map(userFromRow);
  }

  #columns(patch: UserPatch): Updateable<UsersTable> {
    const values: Updateable<UsersTable> = {};
    if (patch.role !== undefined) values.role = patch.role;
    if (patch.disabled !== undefined) values.disabled = this.#ctx.dialect.flag(patch.disabled);
    if (patch.tokensNotBefore !== undefined) values.tokens_not_before = patch.tokensNotBefore;
    if (patch.credentialsNotBefore !== undefined) values.credentials_not_before = patch.credentialsNotBefore;
    if (patch.passwordHash !== undefined) values.password_hash = patch.passwordHash;
    if (patch.email !== undefined) Object.assign(values, { email: patch.email.email, email_key: patch.email.emailKey });
    if (patch.emailVerified !== undefined) values.email_verified = this.#ctx.dialect.flag(patch.emailVerified);
    return values;
  }
}
