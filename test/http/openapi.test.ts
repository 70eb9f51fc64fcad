import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { Conformance } from '../support/conformance.js';
import { type TestApp, testApp } from '../support/app.js';

/**
 * The OpenAPI document is a tested contract: test/support/app.ts checks every answer of the HTTP
 * suites against it (test/support/conformance.ts). Here: that the checker fails what it must, and what
 * the document itself promises (issue 11).
 */

let t: TestApp;
afterEach(() => t?.close());

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string; security?: unknown[]; requestBody?: { required?: boolean }; responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

async function served(): Promise<Doc> {
  t = await testApp({ TESSERA_FEED_SECRET: 'a feed secret of sixteen bytes+', TESSERA_METRICS_TOKEN: 'metrics' });
  return (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as Doc;
}

const fake = (statusCode: number, type: string, body: string): LightMyRequestResponse =>
  ({ statusCode, headers: { 'content-type': type }, body }) as unknown as LightMyRequestResponse;

describe('the conformance check', () => {
  it('fails an undocumented status, media type or shape, and passes what is documented', async () => {
    const checker = new Conformance(await served());
    const problem = JSON.stringify({ type: 'urn:tessera:problem:unauthenticated', title: 'x', status: 401, code: 'unauthenticated' });
    expect(checker.problem('GET', '/v1/me', fake(401, 'application/problem+json; charset=utf-8', problem))).toBeNull();
    expect(checker.problem('GET', '/v1/me', fake(401, 'application/json', problem))).toMatch(/media type application\/json not documented/);
    expect(checker.problem('GET', '/v1/me', fake(401, 'application/problem+json', '{"code":"unauthenticated"}'))).toMatch(/does not match/);
    expect(checker.problem('GET', '/v1/me', fake(200, 'application/json', '{"id":"x"}'))).toMatch(/does not match/);
    expect(checker.problem('GET', '/healthz', fake(302, 'text/html', ''))).toMatch(/status not documented/);
    expect(checker.problem('POST', '/v1/nowhere', fake(200, 'application/json', '{}'))).toMatch(/not in the OpenAPI document/);
    expect(checker.checked).toBe(6);
  });

  it('runs on every answer of the HTTP suites: an answer the document does not allow fails the test', async () => {
    const doc = await served();
    // The same app, checked against a document that forgot /healthz: its answer now breaks the contract.
    const forgetful = new Conformance({ ...doc, paths: Object.fromEntries(Object.entries(doc.paths).filter(([path]) => path !== '/healthz')) });
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(forgetful.problem('GET', '/healthz', res)).toMatch(/not in the OpenAPI document/);
  });
});

describe('the served OpenAPI document', () => {
  it('is OpenAPI 3.1 with a shared Problem schema, and every operation has an operationId, security and problem+json errors', async () => {
    const doc = await served();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas.Problem).toBeDefined();
    const ids = new Set<string>();
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(operation.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
        expect(ids.has(operation.operationId!), `${where}: unique operationId`).toBe(false);
        ids.add(operation.operationId!);
        expect(Array.isArray(operation.security), `${where}: security`).toBe(true);
        for (const [status, response] of Object.entries(operation.responses)) {
          if (!/^[45]/.test(status) || (path === '/readyz' && status === '503')) continue;
          expect(Object.keys(response.content ?? {}), `${where} ${status}`).toContain('application/problem+json');
          expect(response.content?.['application/problem+json']?.schema, `${where} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' });
        }
      }
    }
    expect(ids.size).toBeGreaterThanOrEqual(20);
  });

  it('documents /readyz 503 and /metrics 401, the operational responses’ shapes, and the optional revoke and refresh bodies', async () => {
    const doc = await served();
    expect(doc.paths['/readyz']!.get!.responses['503']!.content?.['application/json']?.schema).toBeDefined();
    expect(doc.paths['/metrics']!.get!.responses['401']).toBeDefined();
    for (const path of ['/healthz', '/readyz', '/metrics', '/.well-known/jwks.json']) {
      const ok = doc.paths[path]!.get!.responses['200']!;
      expect(Object.values(ok.content ?? {})[0]?.schema, path).toBeDefined();
    }
    for (const path of ['/v1/tokens/revoke', '/v1/tokens/refresh']) {
      expect(doc.paths[path]!.post!.requestBody?.required, path).toBe(false);
    }
    expect(doc.paths['/v1/me']!.get!.security).toEqual([{ bearer: [] }, { session: [] }, { accessCookie: [] }]);
    expect(doc.paths['/v1/users']!.post!.security).toEqual([]);
    const pair = doc.paths['/v1/tokens']!.post!.responses['200']!.content?.['application/json']?.schema as { required?: string[] };
    expect(pair.required).toEqual(['token_type', 'expires_in', 'refresh_expires_in']);
  });
});
