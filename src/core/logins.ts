import type { Clock } from './clock.js';
import type { Factors, LoginIntent, MfaChallenge, SecondFactorProof } from './factors.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
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

/** A first step that needs a second: a password was right, and the account has a second factor. */
export interface MfaPending {
  mfa: MfaChallenge;
}

export const isMfaPending = (result: object): result is MfaPending => 'mfa' in result;

/** The credential of a login that must not need a second factor (an operator's tools, tests); throws otherwise. */
export function signedIn<T extends object>(result: T | MfaPending): T {
  if (isMfaPending(result)) throw new Error('this account needs a second factor to sign in');
  return result;
}

/**
 * The ways to log in: a password (then a second factor when the account has one), or a passkey alone.
 * Each ends in one change that makes the credential, carrying how the user authenticated (amr).
 */
export class Logins {
  readonly #users: Users;
  readonly #sessions: Sessions;
  readonly #tokens: Tokens;
  readonly #factors: Factors;
  readonly #outbox: Outbox;
  readonly #clock: Clock;

  constructor(deps: { users: Users; sessions: Sessions; tokens: Tokens; factors: Factors; outbox: Outbox; clock: Clock }) {
    this.#clock = deps.clock;
    this.#users = deps.users;
    this.#sessions = deps.sessions;
    this.#tokens = deps.tokens;
    this.#factors = deps.factors;
    this.#outbox = deps.outbox;
  }

  async withSession(username: string, password: string, remember: boolean, presented: string | undefined, client: ClientInfo): Promise<SessionLogin | MfaPending> {
    const user = await this.#users.authenticate(username, password, client);
    if (await this.#factors.required(user.id)) return { mfa: await this.#factors.startMfa(user, { scheme: 'session', remember }) };
    return this.session(user, this.#password(), remember, presented, client);
  }

  async withTokens(username: string, password: string, transport: Transport, client: ClientInfo): Promise<IssuedTokens | MfaPending> {
    const user = await this.#users.authenticate(username, password, client);
    if (await this.#factors.required(user.id)) return { mfa: await this.#factors.startMfa(user, { scheme: 'tokens', transport }) };
    return this.#tokens.issue(user, transport, this.#password(), client);
  }

  /** The second step of a session login. */
  async sessionAfterMfa(challenge: string, proof: SecondFactorProof, presented: string | undefined, client: ClientInfo): Promise<SessionLogin> {
    const { user, auth, intent } = await this.#factors.completeMfa(challenge, 'session', proof, (id) => this.#users.findById(id), client);
    return this.session(user, auth, (intent as Extract<LoginIntent, { scheme: 'session' }>).remember, presented, client);
  }

  /** The second step of a token login. */
  async tokensAfterMfa(challenge: string, proof: SecondFactorProof, client: ClientInfo): Promise<IssuedTokens> {
    const { user, auth, intent } = await this.#factors.completeMfa(challenge, 'tokens', proof, (id) => this.#users.findById(id), client);
    return this.#tokens.issue(user, (intent as Extract<LoginIntent, { scheme: 'tokens' }>).transport, auth, client);
  }

  /** A passkey alone (a discoverable credential, no user name): a session. */
  async sessionWithPasskey(ceremony: string, response: AuthenticationResponseJSON, remember: boolean, presented: string | undefined, client: ClientInfo): Promise<SessionLogin> {
    const { user, auth } = await this.#factors.passkeyLogin(ceremony, response, (id) => this.#users.findById(id));
    return this.session(user, auth, remember, presented, client);
  }

  async tokensWithPasskey(ceremony: string, response: AuthenticationResponseJSON, transport: Transport, client: ClientInfo): Promise<IssuedTokens> {
    const { user, auth } = await this.#factors.passkeyLogin(ceremony, response, (id) => this.#users.findById(id));
    return this.#tokens.issue(user, transport, auth, client);
  }

  /**
   * A new cookie session (never adopting one the client sent). The live session the browser still
   * presented ends with it (ASVS 5.0 V7.2.4: re-authentication terminates the current session), and so
   * do the owner's oldest beyond the cap. Should that change fail, the new session, never handed out,
   * is removed, and the answer is 503 with nothing else changed.
   */
  async session(user: User, auth: Authentication, remember: boolean, presented: string | undefined, client: ClientInfo): Promise<SessionLogin> {
    const replaced = presented === undefined ? null : await this.#sessions.live(presented);
    const { token, session, overCap } = await this.#sessions.create(user, remember, auth, client);
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

  #password(): Authentication {
    return { amr: ['pwd'], authTime: this.#clock.now() };
  }
}
