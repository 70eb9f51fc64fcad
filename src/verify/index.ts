/** `tessera/verify`: what other services import to check Tessera's access tokens. */
export { createVerifier, type RevocationSource, type Verifier, type VerifierOptions } from './createVerifier.js';
export { tesseraFastify } from './fastify.js';
export { tesseraExpress, type ExpressLikeRequest, type ExpressLikeResponse } from './express.js';
export { authorize, isRefusal, type Refusal } from './middleware.js';
export type { AccessClaims } from '../core/accessToken.js';
export { AuthError, type ErrorCode } from '../core/errors.js';
