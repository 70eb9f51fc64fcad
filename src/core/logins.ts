import type { Clock } from './clock.js';
import type { Authentication, ClientInfo, Session, Transport, User } from './model.js';
import type { Outbox } from './outbox.js';
import type { Sessions } from './sessions.js';
import type { IssuedTokens, Tokens } from './tokens.js';
import type { Users } from './users.js';

export interface SessionLogin {
  user: User;
  session: Session;
  /** The cookie value `id.secret`; the secret is never stored. */
  token: string;
}

/** The two ways to log in, each a password check followed by one change that makes the credential. */
export class Logins {
  readonly #users: Users;
  readonly #sessions: Sessions;
  readonly #tokens: Tokens;
  readonly #outbox: Outbox;
  readonly #clock: Clock;

  constructor(deps: { users: Users; sessions: Sessions; tokens: Tokens; outbox: Outbox; clock: Clock }) {
    this.#clock = deps.clock;
    this.#users = deps.users;
    this.#sessions = deps.sessions;
    this.#tokens = deps.tokens;
    this.#outbox = deps.outbox;
  }

  /**
   * A new cookie session (never adopting one the client sent). The live session the browser still
   * presented ends with it (ASVS 5.0 V7.2.4: re-authentication terminates the current session), and so
   * do the owner's oldest beyond the cap. Should that change fail, the new session, never handed out,
   * is removed, and the answer is 503 with nothing else changed.
   */
  async withSession(username: string, password: string, remember: boolean, presented: string | undefined, client: ClientInfo): Promise<SessionLogin> {
    const user = await this.#users.authenticate(username, password, client);
    const replaced = presented === undefined ? null : await this.#sessions.live(presented);
    const { token, session, overCap } = await this.#sessions.create(user, remember, this.#password(), client);
    if (overCap.length > 0 || replaced) {
      await this.#outbox
        .commit(async (change) => {
          for (const id of overCap) change.endSession({ id, userId: user.id }, 'evicted', client);
          if (replaced) change.endSession(replaced.session, 'replaced', client);
        })
        .catch(async (error: unknown) => {
          await this.#sessions.abandon(session);
          throw error;
        });
    }
    return { user, session, token };
  }

  /** A new token family and its first pair. */
  async withTokens(username: string, password: string, transport: Transport, client: ClientInfo): Promise<IssuedTokens> {
    const user = await this.#users.authenticate(username, password, client);
    return this.#tokens.issue(user, transport, this.#password(), client);
  }

  #password(): Authentication {
    return { amr: ['pwd'], authTime: this.#clock.now() };
  }
}
