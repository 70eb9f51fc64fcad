import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { type DecodedJwt, createVerifier as fastJwt } from 'fast-jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, testApp } from '../support/app.js';

/**
 * Tessera's tokens, verified by libraries nobody here wrote, each configured with just the issuer:
 * the discovery document gives them the JWKS and the algorithm (issue 11). fast-jwt from npm, and
 * PyJWT from Debian's python3-jwt (`.ci/run` installs it). docs/verifiers.md lists the others.
 */
const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('./pyjwt_verify.py', import.meta.url).pathname;
const run = promisify(execFile);

async function pyjwtPresent(): Promise<boolean> {
  if (!existsSync(PYTHON)) return false;
  return run(PYTHON, ['-c', 'import jwt, cryptography']).then(() => true, () => false);
}
const pyjwt = await pyjwtPresent();
if (!pyjwt) {
  if (process.env.TESSERA_TEST_REQUIRE_SERVICES === '1') throw new Error('PyJWT is missing (apt-get install python3-jwt)');
  console.warn('\n!!! SKIPPING THE PyJWT INTEROP TEST: python3-jwt is missing (apt-get install python3-jwt). CI (.ci/run) installs it.\n');
}

interface Discovery {
  issuer: string;
  jwks_uri: string;
  id_token_signing_alg_values_supported: string[];
}

describe.each(['EdDSA', 'ES256', 'RS256'])('interoperability, %s', (alg) => {
  let t: TestApp;
  let issuer: string;
  let access: string;

  beforeAll(async () => {
    const { freePort } = await import('../support/processes.js');
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    t = await testApp({ TESSERA_ISSUER: issuer, TESSERA_SIGNING_ALG: alg });
    t.advance(Date.now() - t.clock.now()); // outside libraries check exp against the real clock
    await t.app.listen({ host: '127.0.0.1', port });
    await t.register('alice');
    access = (await t.tokens('alice')).access;
  });
  afterAll(() => t.close());

  it('fast-jwt verifies a token through the discovery document, and refuses a tampered one', async () => {
    const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Discovery;
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: Array<{ kid: string } & Record<string, unknown>> };
    const verify = fastJwt({
      key: async (decoded: DecodedJwt) => {
        const jwk = jwks.keys.find((key) => key.kid === decoded.header.kid);
        return createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
      },
      algorithms: discovery.id_token_signing_alg_values_supported as never,
      allowedIss: discovery.issuer,
      allowedAud: 'tessera',
      complete: false,
    });
    const claims = (await verify(access)) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: issuer, aud: 'tessera', name: 'alice', role: 'user', client_id: 'tessera' });
    const [header, payload, signature] = access.split('.') as [string, string, string];
    const forged = Buffer.from(payload, 'base64url').toString().replace('"role":"user"', '"role":"admin"');
    await expect(verify(`${header}.${Buffer.from(forged).toString('base64url')}.${signature}`)).rejects.toThrow();
  });

  it.skipIf(!pyjwt)('PyJWT verifies a token through the discovery document, and refuses a tampered one', async () => {
    const { stdout } = await run(PYTHON, [SCRIPT, issuer, 'tessera', access]);
    expect(JSON.parse(stdout)).toMatchObject({ iss: issuer, aud: 'tessera', name: 'alice', role: 'user', client_id: 'tessera' });
    const tampered = `${access.slice(0, -4)}${access.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    await expect(run(PYTHON, [SCRIPT, issuer, 'tessera', tampered])).rejects.toMatchObject({ stdout: expect.stringMatching(/^refused: /) });
  });
});
