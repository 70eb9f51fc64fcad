import { signedIn } from '../../src/core/logins.js';
import type { Tessera } from '../../src/core/tessera.js';
import { CLIENT, type Harness, MAIL, NEW_PASSWORD, PASSWORD } from './harness.js';

/** A credential, as an instance would judge it now. */
export interface Probe {
  name: string;
  check(tessera: Tessera): Promise<unknown>;
}

export interface Prepared {
  /** The use case, as HTTP or the CLI would call it. */
  act(): Promise<unknown>;
  /** An error code that means the use case did its work (reuse detection answers 401 by design). */
  doneAs?: string;
  /** What the change must end, on every instance, once it happened. */
  doomed: Probe[];
  /** What it must leave alone. */
  kept: Probe[];
  /** Whether the system of record (the SQL database) says the change happened. */
  recorded(): Promise<boolean>;
  /** Sessions whose tombstones the change owes to the session store, once it happened. */
  tombstones: string[];
  /** Anything else an instance must agree on with the record (a session's role after a demotion). */
  agrees?(tessera: Tessera, recorded: boolean): Promise<boolean>;
}

export interface Scenario {
  name: string;
  prepare(h: Harness): Promise<Prepared>;
}

let serial = 0;

async function user(h: Harness, role: 'user' | 'admin' = 'user') {
  return h.tessera.register(`fault${++serial}x${Date.now().toString(36)}`, PASSWORD, null, role);
}

async function session(h: Harness, username: string) {
  h.clock.advance(1); // distinct creation times: the cap evicts by age
  const login = await h.tessera.logInWithSession(username, PASSWORD, false, undefined, CLIENT).then(signedIn);
  return { ...login, probe: { name: `session ${login.session.id.slice(0, 6)}`, check: (t: Tessera) => t.validateSession(login.token) } };
}

async function tokens(h: Harness, username: string) {
  h.clock.advance(1);
  const pair = await h.tessera.logInWithTokens(username, PASSWORD, 'body', CLIENT).then(signedIn);
  return { ...pair, probe: { name: `token ${pair.family.id.slice(0, 6)}`, check: (t: Tessera) => t.verifyAccessToken(pair.accessToken) } };
}

/** Whether the log holds the end of `sid`. */
async function logged(h: Harness, sid: string): Promise<boolean> {
  for (let after = 0; ; ) {
    const page = await h.stores.log.after(after, 500);
    if (page.some((m) => m.event.type === 'credential' && m.event.sid === sid)) return true;
    if (page.length < 500) return false;
    after = page.at(-1)?.id ?? after;
  }
}

const admin = { ...CLIENT, actorId: 'admin-under-test' };

/** Every use case that revokes, as issue 10 lists them. */
export const SCENARIOS: Scenario[] = [
  {
    name: 'demote an admin',
    async prepare(h) {
      const root = await user(h, 'admin');
      const pair = await tokens(h, root.username);
      const s = await session(h, root.username);
      return {
        act: () => h.tessera.updateUser(root.id, { role: 'user' }, admin),
        doomed: [pair.probe],
        kept: [s.probe],
        recorded: async () => (await h.stores.users.findUserById(root.id))?.role === 'user',
        tombstones: [],
        // The session lives on, with the role the record says.
        agrees: async (t, recorded) => (await t.validateSession(s.token)).user.role === (recorded ? 'user' : 'admin'),
      };
    },
  },
  {
    name: 'disable a user',
    async prepare(h) {
      const alice = await user(h);
      const [s, pair] = [await session(h, alice.username), await tokens(h, alice.username)];
      return {
        act: () => h.tessera.updateUser(alice.id, { disabled: true }, admin),
        doomed: [s.probe, pair.probe],
        kept: [],
        recorded: async () => (await h.stores.users.findUserById(alice.id))?.disabled === true,
        tombstones: [],
      };
    },
  },
  {
    name: 'change password',
    async prepare(h) {
      const alice = await user(h);
      const [current, other, pair] = [await session(h, alice.username), await session(h, alice.username), await tokens(h, alice.username)];
      const before = (await h.stores.users.findUserById(alice.id))?.passwordHash;
      return {
        act: () => h.tessera.changePassword(alice.id, current.session.id, current.session, PASSWORD, NEW_PASSWORD, CLIENT),
        doomed: [other.probe, pair.probe],
        kept: [current.probe],
        recorded: async () => (await h.stores.users.findUserById(alice.id))?.passwordHash !== before,
        tombstones: [other.session.id],
      };
    },
  },
  {
    name: 'log out',
    async prepare(h) {
      const alice = await user(h);
      const [s, other] = [await session(h, alice.username), await session(h, alice.username)];
      return {
        act: () => h.tessera.logOut(s.session, CLIENT),
        doomed: [s.probe],
        kept: [other.probe],
        recorded: () => logged(h, s.session.id),
        tombstones: [s.session.id],
      };
    },
  },
  {
    name: 'revoke one session',
    async prepare(h) {
      const alice = await user(h);
      const [current, other] = [await session(h, alice.username), await session(h, alice.username)];
      return {
        act: () => h.tessera.revokeCredential(alice.id, other.session.id, CLIENT),
        doomed: [other.probe],
        kept: [current.probe],
        recorded: () => logged(h, other.session.id),
        tombstones: [other.session.id],
      };
    },
  },
  {
    name: 'revoke a token family (RFC 7009)',
    async prepare(h) {
      const alice = await user(h);
      const [pair, other] = [await tokens(h, alice.username), await tokens(h, alice.username)];
      return {
        act: () => h.tessera.revokeToken(pair.refreshToken, CLIENT),
        doomed: [pair.probe],
        kept: [other.probe],
        recorded: async () => (await h.stores.families.getFamily(pair.family.id))?.revokedAt != null,
        tombstones: [],
      };
    },
  },
  {
    name: 'log out everywhere else',
    async prepare(h) {
      const alice = await user(h);
      const [current, other, pair] = [await session(h, alice.username), await session(h, alice.username), await tokens(h, alice.username)];
      return {
        act: () => h.tessera.revokeOtherCredentials(alice.id, current.session.id, CLIENT),
        doomed: [other.probe, pair.probe],
        kept: [current.probe],
        recorded: () => logged(h, other.session.id),
        tombstones: [other.session.id],
      };
    },
  },
  {
    name: "revoke all of a user's (admin, CLI)",
    async prepare(h) {
      const alice = await user(h);
      const [s, pair] = [await session(h, alice.username), await tokens(h, alice.username)];
      return {
        act: () => h.tessera.revokeEverything(alice.id, admin),
        doomed: [s.probe, pair.probe],
        kept: [],
        recorded: async () => ((await h.stores.users.findUserById(alice.id))?.credentialsNotBefore ?? 0) > 0,
        tombstones: [],
      };
    },
  },
  {
    name: 'reset a forgotten password (the link)',
    async prepare(h) {
      const alice = await user(h);
      const email = `${alice.username}@example.com`;
      await h.stores.users.updateUser(alice.id, { email: { email, emailKey: email.toLowerCase() }, emailVerified: true });
      const [s, pair] = [await session(h, alice.username), await tokens(h, alice.username)];
      // From an address of its own each time: every failure point prepares anew, past the per-address limit.
      await h.tessera.requestPasswordReset(alice.username, { ...CLIENT, ip: `10.1.${serial % 250}.${Math.floor(serial / 250) % 250}` });
      await h.tessera.deliverMail();
      const token = new URLSearchParams(new URL(MAIL.linkTo(email, /Reset/)!).hash.slice(1)).get('token')!;
      const before = (await h.stores.users.findUserById(alice.id))?.passwordHash;
      return {
        act: () => h.tessera.resetPassword(token, NEW_PASSWORD, CLIENT),
        doomed: [s.probe, pair.probe],
        kept: [],
        recorded: async () => (await h.stores.users.findUserById(alice.id))?.passwordHash !== before,
        tombstones: [],
      };
    },
  },
  {
    name: "reset a user's second factors (admin, CLI)",
    async prepare(h) {
      const alice = await user(h);
      const [s, pair] = [await session(h, alice.username), await tokens(h, alice.username)];
      await h.stores.factors.replaceRecoveryCodes(alice.id, ['a', 'b']);
      return {
        act: () => h.tessera.resetFactors(alice.id, admin),
        doomed: [s.probe, pair.probe],
        kept: [],
        recorded: async () => (await h.stores.factors.countRecoveryCodes(alice.id)) === 0,
        tombstones: [],
      };
    },
  },
  {
    name: 'refresh-token reuse',
    async prepare(h) {
      const alice = await user(h);
      const first = await tokens(h, alice.username);
      const second = await h.tessera.refresh(first.refreshToken, CLIENT);
      h.clock.advance(11_000); // past the reuse interval: the spent token is theft
      h.tessera.feedHeartbeat(h.clock.now());
      return {
        act: () => h.tessera.refresh(first.refreshToken, CLIENT),
        doneAs: 'refresh_token_reused',
        doomed: [{ name: 'the rotated token', check: (t) => t.verifyAccessToken(second.accessToken) }],
        kept: [],
        recorded: async () => (await h.stores.families.getFamily(first.family.id))?.revokedAt != null,
        tombstones: [],
      };
    },
  },
  {
    name: 'log in past the cap (evicts the oldest)',
    async prepare(h) {
      const alice = await user(h);
      const [oldest, , newest] = [await session(h, alice.username), await session(h, alice.username), await session(h, alice.username)];
      return {
        act: () => h.tessera.logInWithSession(alice.username, PASSWORD, false, undefined, CLIENT).then(signedIn),
        doomed: [oldest.probe],
        kept: [newest.probe],
        recorded: () => logged(h, oldest.session.id),
        tombstones: [oldest.session.id],
      };
    },
  },
];
