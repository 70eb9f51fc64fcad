import { AuthError } from '../../core/errors.js';
import type { User } from '../../core/model.js';
import type { UserFilter, UserPatch, UserStore } from '../../core/ports.js';

export class MemoryUserStore implements UserStore {
  readonly #byId = new Map<string, User>();
  readonly #idByKey = new Map<string, string>();

  async createUser(user: User): Promise<void> {
    if (this.#idByKey.has(user.usernameKey)) throw new AuthError('username_taken');
    this.#byId.set(user.id, { ...user });
    this.#idByKey.set(user.usernameKey, user.id);
  }

  async findUserByKey(usernameKey: string): Promise<User | null> {
    const id = this.#idByKey.get(usernameKey);
    return id === undefined ? null : this.findUserById(id);
  }

  async findUserById(id: string): Promise<User | null> {
    const user = this.#byId.get(id);
    return user ? { ...user } : null;
  }

  async findUserByEmail(emailKey: string): Promise<User | null> {
    const user = [...this.#byId.values()].find((u) => u.emailVerified && u.emailKey === emailKey);
    return user ? { ...user } : null;
  }

  async lockUser(id: string): Promise<User | null> {
    return this.findUserById(id);
  }

  /** The state, for a transaction to restore when it fails. */
  snapshot(): Map<string, User> {
    return new Map(this.#byId);
  }

  restore(snapshot: Map<string, User>): void {
    this.#byId.clear();
    this.#idByKey.clear();
    for (const [id, user] of snapshot) {
      this.#byId.set(id, user);
      this.#idByKey.set(user.usernameKey, id);
    }
  }

  async updateUser(id: string, patch: UserPatch): Promise<User | null> {
    const user = this.#byId.get(id);
    if (!user) return null;
    const key = patch.email === undefined ? user.emailKey : patch.email.emailKey;
    const verified = patch.emailVerified ?? user.emailVerified;
    if (verified && key !== null && [...this.#byId.values()].some((u) => u.id !== id && u.emailVerified && u.emailKey === key)) {
      throw new AuthError('email_taken');
    }
    const updated: User = {
      ...user,
      role: patch.role ?? user.role,
      disabled: patch.disabled ?? user.disabled,
      tokensNotBefore: patch.tokensNotBefore ?? user.tokensNotBefore,
      credentialsNotBefore: patch.credentialsNotBefore ?? user.credentialsNotBefore,
      passwordHash: patch.passwordHash ?? user.passwordHash,
      email: patch.email === undefined ? user.email : patch.email.email,
      emailKey: patch.email === undefined ? user.emailKey : patch.email.emailKey,
      emailVerified: patch.emailVerified ?? user.emailVerified,
    };
    this.#byId.set(id, updated);
    return { ...updated };
  }

  async listUsers(options: { limit: number; after?: string; filter?: UserFilter }): Promise<User[]> {
    const after = options.after;
    const { prefix, role, disabled } = options.filter ?? {};
    return [...this.#byId.values()]
      .filter((user) => after === undefined || user.id > after)
      .filter((user) => (!prefix || user.usernameKey.startsWith(prefix)) && (role === undefined || user.role === role) && (disabled === undefined || user.disabled === disabled))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, options.limit)
      .map((user) => ({ ...user }));
  }
}
