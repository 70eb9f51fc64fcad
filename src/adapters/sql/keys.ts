import type { StoredKey } from '../../core/model.js';
import type { KeyStore } from '../../core/ports.js';
import type { SqlContext } from './dialect.js';
import { keyFromRow, keyToRow } from './rows.js';

export class SqlKeyStore implements KeyStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async listKeys(): Promise<StoredKey[]> {
    const rows = await this.#ctx.db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid', 'desc').execute();
    return rows.map(keyFromRow);
  }

  async insertKey(key: StoredKey): Promise<void> {
    await this.#ctx.db.insertInto('signing_keys').values(keyToRow(key)).execute();
  }

  async retireKeysExcept(keepKid: string, at: number): Promise<void> {
    await this.#ctx.db
      .updateTable('signing_keys')
      .set({ retired_at: at })
      .where('retired_at', 'is', null)
      .where('kid', '!=', keepKid)
      .execute();
  }

  async deleteKey(kid: string): Promise<void> {
    await this.#ctx.db.deleteFrom('signing_keys').where('kid', '=', kid).execute();
  }

  async resealKey(kid: string, from: string, to: string): Promise<void> {
    await this.#ctx.db.updateTable('signing_keys').set({ private_jwk: to }).where('kid', '=', kid).where('private_jwk', '=', from).execute();
  }

  async resealSecret(name: string, from: string, to: string): Promise<void> {
    await this.#ctx.db.updateTable('server_secrets').set({ value: to }).where('name', '=', name).where('value', '=', from).execute();
  }

  async ensureSecret(name: string, value: string): Promise<string> {
    // Insert-if-absent, then read: every racing instance reads the one value that got in.
    await this.#ctx.db
      .insertInto('server_secrets')
      .values({ name, value })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await this.#ctx.db.selectFrom('server_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
    return row.value;
  }
}
