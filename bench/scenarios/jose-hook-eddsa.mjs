import { SignJWT, exportSPKI, generateKeyPair } from 'jose';
import { fileURLToPath } from 'node:url';
import { startServer } from '../lib/server.mjs';

const SERVER = fileURLToPath(new URL('../servers/jose-hook-eddsa.mjs', import.meta.url));

/** @type {import('./index.mjs').Scenario} */
export const joseHookEddsa = {
  id: 'jose-hook-eddsa',
  title: 'Fastify + jose jwtVerify hook, EdDSA',
  // An Ed25519 verification a request holds about 7,500 a second at most here.
  fixedRateCap: 3000,
  // One key pair and one token for all runs: jose keeps no cache, so reuse gives it no advantage.
  async setup(ctx) {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    ctx.state.publicKeyPem = await exportSPKI(publicKey);
    ctx.state.token = await new SignJWT({ sid: 'bench-session' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setSubject('01900000-0000-7000-8000-000000000001')
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(privateKey);
  },
  async start(ctx) {
    const server = await startServer(ctx, { args: [SERVER], env: { BENCH_PUBLIC_KEY: ctx.state.publicKeyPem } });
    return { url: `${server.origin}/v1/me`, headers: { authorization: `Bearer ${ctx.state.token}` }, stop: server.stop };
  },
};
