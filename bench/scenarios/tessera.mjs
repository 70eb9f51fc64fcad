// Tessera's scenarios (issue 6), not wired yet: the harness prints "not yet wired" for them and
// writes that as their error, never a figure. To wire one, replace `pending` with `setup`/`start`
// (see ./index.mjs for the interface and ./express-session-redis.mjs for an example). The pieces
// they need are in ../lib and ../lua:
// - tessera-session-*: cookies.txt, one Cookie header a line, with `rotate: { kind: 'cookie', file }`;
// - tessera-token, tessera-token-first-use: 2,000 users seeded with `tessera user import`, their
//   tokens from POST /v1/tokens (a distinct X-Forwarded-For per user, benchmarkAddress() in
//   ../lib/rotation.mjs, with TESSERA_TRUST_PROXY=127.0.0.1) in tokens.txt, `rotate: { kind: 'bearer', file }`;
// - tessera-login: "username<TAB>password" lines, `rotate: { kind: 'login', file }, connections: 32`,
//   and `alongside: [latencyProbe(origin + '/healthz')]` from ../lib/alongside.mjs;
// - tessera-revocation-churn: `alongside: [atFixedRate(100, revokeOne, { name: 'revocations' })]`.

const PENDING = 'not yet wired';

/** @type {import('./index.mjs').Scenario[]} */
export const tesseraSessionScenarios = [
  { id: 'tessera-session-embedded', title: 'Tessera GET /v1/me, session cookie, SQLite', pending: PENDING },
  { id: 'tessera-session-redis', title: 'Tessera GET /v1/me, session cookie, Redis', pending: PENDING },
];

/** @type {import('./index.mjs').Scenario[]} */
export const tesseraTokenScenarios = [
  { id: 'tessera-token', title: 'Tessera GET /v1/me, 2,000 bearer tokens in rotation', pending: PENDING },
  { id: 'tessera-token-first-use', title: 'Tessera GET /v1/me, bearer tokens, token cache off', pending: PENDING },
];

/** @type {import('./index.mjs').Scenario} */
export const tesseraLogin = { id: 'tessera-login', title: 'Tessera POST /v1/session, 32 connections', pending: PENDING };

/** @type {import('./index.mjs').Scenario} */
export const tesseraRevocationChurn = {
  id: 'tessera-revocation-churn',
  title: 'Tessera token + session checks under 100 revocations/s',
  pending: PENDING,
};
