import type { Config } from './config.js';
import { SECOND } from './core/clock.js';
import type { MailTransport } from './core/lifecyclePorts.js';
import type { CoreOptions } from './core/tessera.js';

/** The core's options, from the configuration (seconds become milliseconds here, once). */
export function coreOptions(config: Config, blocklist: ReadonlySet<string>, mail: MailTransport): CoreOptions {
  return {
    sessions: {
      idleMs: config.sessionIdleTtl * SECOND,
      absoluteMs: config.sessionAbsoluteTtl * SECOND,
      rememberIdleMs: config.sessionRememberIdleTtl * SECOND,
      rememberMs: config.sessionRememberTtl * SECOND,
      cap: config.maxSessionsPerUser,
    },
    tokens: {
      issuer: config.issuer,
      audience: config.audience,
      clientId: config.clientId,
      accessTtlMs: config.accessTtl * SECOND,
      refreshIdleMs: config.refreshTtl * SECOND,
      refreshAbsoluteMs: config.refreshAbsoluteTtl * SECOND,
      reuseIntervalMs: config.refreshReuseInterval * SECOND,
      cap: config.maxSessionsPerUser,
    },
    passwords: { minLength: config.passwordMinLength, blocklist },
    signing: { alg: config.signingAlg, hs256Secret: config.hs256Secret, keySecret: config.keySecret },
    maxStalenessMs: config.revocationMaxStaleness * SECOND,
    tokenCache: config.tokenCache,
    mail,
    webauthn: { rpId: config.webauthnRpId, origins: config.webauthnOrigins },
  };
}
