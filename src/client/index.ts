/**
 * tessera/client: sign-in, the credential on every call, refresh ahead of expiry, and tabs kept in
 * step, for browsers and Node 20. No runtime dependencies. docs/client.md.
 */
export { TesseraClient, createClient } from './client.js';
export type { AccountSecurity, AuthEvent, AuthState, ClientOptions, EmailStatus, MfaPending, Passkey, PasskeyCeremony, SessionInfo, SignInResult, TotpEnrolment, Transport, User } from './client.js';
export { TesseraError, type ProblemField } from './errors.js';
export type { TabMessage } from './tabs.js';
