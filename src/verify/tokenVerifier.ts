/** The token verifier lives in the core, which the server uses too; the library re-exports it. */
export { type KeySource, TokenVerifier, type TokenVerifierOptions } from '../core/tokenVerifier.js';
