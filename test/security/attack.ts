import { MemoryMailTransport } from '../../src/adapters/mail/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyServerOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { openSqliteStores } from '../../src/adapters/sqlite/index.js';
import { parseConfig } from '../../src/config.js';
import { ManualClock } from '../../src/core/clock.js';
import type { PasswordHasher, Stores } from '../../src/core/ports.js';
import type { Tessera } from '../../src/core/tessera.js';
import { buildHttp, openTessera } from '../../src/runtime.js';
import type { TestApp } from '../support/app.js';
import { enforceOpenApi } from '../support/conformance.js';

/**
 * Shared tools of the attack suite (test/security). Every attack goes through the real HTTP app and
 * asserts the exact status and problem code.
 */

export const b64 = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export const decodeSegment = (segment: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;

/** Asserts an RFC 9457 problem answer with this exact status and code. */
export function expectProblem(res: LightMyRequestResponse, status: number, code: string): void {
  expect({ status: res.statusCode, code: (res.json() as { code?: string }).code }).toEqual({ status, code });
  expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
}

export const bearer = (t: TestApp, token: string): Promise<LightMyRequestResponse> =>
  t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });

export const cookieHeader = (cookies: Record<string, string>): { cookie: string } => ({
  cookie: Object.entries(cookies)
    .map(([name, value]) => `${name}=${value}`)
    .join('; '),
});

/** A temporary folder for an SQLite file that the test can also open directly. */
export function tempDatabase(): { path: string; url: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-security-'));
  const path = join(dir, 'tessera.db');
  return { path, url: `sqlite:${path}`, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Stores on an SQLite file, for testApp's store factory. */
export const fileStores =
  (path: string) =>
  (clock: ManualClock): Promise<Stores> =>
    openSqliteStores(path, { clock });

export interface CustomApp {
  app: TestApp['app'];
  tessera: Tessera;
  stores: Stores;
  clock: ManualClock;
  advance(ms: number): void;
  close(): Promise<void>;
}

/**
 * The real app with what testApp does not let a test choose: the password hasher and the logger.
 * Same clock start, manual heartbeats and issuer as testApp.
 */
export async function customApp(options: {
  env?: Record<string, string>;
  stores?: (clock: ManualClock) => Promise<Stores>;
  hasher?: PasswordHasher;
  logger?: FastifyServerOptions['logger'];
  mailWorker?: 'auto' | 'manual';
}): Promise<CustomApp> {
  const clock = new ManualClock(Date.UTC(2026, 10, 27, 12));
  const config = parseConfig({ TESSERA_ISSUER: 'http://localhost:8080', ...options.env });
  const opened = await (options.stores ?? ((c: ManualClock) => openSqliteStores(':memory:', { clock: c })))(clock);
  const tessera = await openTessera(config, {
    clock,
    stores: opened,
    core: { heartbeats: 'manual', mailWorker: options.mailWorker ?? 'auto' },
    mail: new MemoryMailTransport(),
    ...(options.hasher ? { hasher: options.hasher } : {}),
  });
  await tessera.start({ upkeep: false });
  const app = await buildHttp(tessera, config, options.logger ?? false);
  await enforceOpenApi(app);
  return {
    app,
    tessera,
    stores: opened,
    clock,
    advance(ms) {
      clock.advance(ms);
      tessera.feedHeartbeat(clock.now());
    },
    async close() {
      await app.close();
      await tessera.close();
    },
  };
}

/** Records every call made through the wrapped object, as "label.method", in order. */
export function recording<T extends object>(target: T, label: string, log: string[]): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        log.push(`${label}.${String(property)}`);
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

/** Wraps every port of a store bundle so that its calls are recorded in `log`. */
export function recordingStores(stores: Stores, log: string[]): Stores {
  return {
    users: recording(stores.users, 'users', log),
    sessions: recording(stores.sessions, 'sessions', log),
    families: recording(stores.families, 'families', log),
    keys: recording(stores.keys, 'keys', log),
    limiter: recording(stores.limiter, 'limiter', log),
    audit: recording(stores.audit, 'audit', log),
    // Not recorded: only the feed's follower reads the log, in the background, whatever a request does.
    log: stores.log,
    bus: stores.bus && recording(stores.bus, 'bus', log),
    accountTokens: recording(stores.accountTokens, 'accountTokens', log),
    mail: recording(stores.mail, 'mail', log),
    factors: recording(stores.factors, 'factors', log),
    challenges: recording(stores.challenges, 'challenges', log),
    transact: (work) =>
      stores.transact((tx) =>
        work({
          users: recording(tx.users, 'tx.users', log),
          families: recording(tx.families, 'tx.families', log),
          accountTokens: recording(tx.accountTokens, 'tx.accountTokens', log),
          factors: recording(tx.factors, 'tx.factors', log),
          mail: recording(tx.mail, 'tx.mail', log),
          publish: (event, delivered) => {
            log.push('tx.publish');
            tx.publish(event, delivered);
          },
          audit: (entry) => {
            log.push('tx.audit');
            tx.audit(entry);
          },
        }),
      ),
    probe: () => stores.probe(),
    close: () => stores.close(),
  };
}

/** The value as text: what a grep over a stored row would see. */
export const flatten = (value: unknown): string => JSON.stringify(value);
