import { signedIn } from '../../src/core/logins.js';
import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { isAuthError } from '../../src/core/errors.js';
import type { Tessera } from '../../src/core/tessera.js';
import { serviceAvailable } from '../support/services.js';
import type { FaultMode } from './faultyStores.js';
import { type Backend, CLIENT, Harness, PASSWORD, memoryBackend, postgresRedisBackend, sqliteBackend, verdict } from './harness.js';
import { type Prepared, SCENARIOS } from './scenarios.js';

/**
 * Issue 10's proof: for every use case that revokes, fail each write, publish and commit it makes,
 * in turn (before it, after it, and as an outage that lasts to the end of the request), then check
 * the invariants of docs/architecture.md:
 * - the answer is success or 503, nothing else; after a success the change is recorded (I1);
 * - the record and the instance agree at once, or within a second for a commit whose answer was lost:
 *   everything the change ends is refused, or nothing is; never a half state (I2);
 * - the relay completes what was owed: session tombstones exist exactly when the change is recorded (I2);
 * - an instance started afterwards on the same stores agrees with the record (I3);
 * - retrying the request converges on the full change (I2).
 * TESSERA_FAULT_REPORT=FILE appends a table of every failure point and what was seen there.
 */
const MODES: FaultMode[] = ['before', 'after', 'outage'];
const both = (await serviceAvailable('postgres')) && (await serviceAvailable('redis'));
const BACKENDS: Backend[] = [memoryBackend, sqliteBackend, ...(both ? [postgresRedisBackend] : [])];
const report: string[] = [];

type Outcome = 'done' | 'unavailable' | string;

/** How a use case ended: `done` (its success, or the refusal it gives by design), 503, or another code. */
async function outcomeOf(work: Promise<unknown>, doneAs: string | undefined, alsoDone: string[] = []): Promise<Outcome> {
  try {
    await work;
    return 'done';
  } catch (error) {
    if (!isAuthError(error)) return `unexpected: ${String(error)}`;
    if (error.code === doneAs || alsoDone.includes(error.code)) return 'done';
    return error.code;
  }
}

/** What an instance says against what the record says; empty when they agree. */
async function disagreements(tessera: Tessera, p: Prepared, recorded: boolean): Promise<string[]> {
  const problems: string[] = [];
  for (const probe of p.doomed) {
    const seen = await verdict(probe.check(tessera));
    if (seen !== (recorded ? 'refused' : 'accepted')) problems.push(`${probe.name} ${seen} (recorded: ${recorded})`);
  }
  for (const probe of p.kept) {
    const seen = await verdict(probe.check(tessera));
    if (seen !== 'accepted') problems.push(`${probe.name} (kept) ${seen}`);
  }
  if (p.agrees && !(await p.agrees(tessera, recorded))) problems.push('the instance disagrees with the record');
  return problems;
}

/** Waits up to `ms` (real time: the instance's follower polls every 20 ms here) for agreement. */
async function agreeWithin(tessera: Tessera, p: Prepared, recorded: boolean, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const problems = await disagreements(tessera, p, recorded);
    if (problems.length === 0 || Date.now() >= deadline) return problems;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function tombstoneProblems(h: Harness, p: Prepared, recorded: boolean): Promise<string[]> {
  const problems: string[] = [];
  for (const id of p.tombstones) {
    const revoked = (await h.stores.sessions.getSession(id))?.revokedAt != null;
    if (revoked !== recorded) problems.push(`session ${id.slice(0, 6)} tombstoned: ${revoked}, recorded: ${recorded}`);
  }
  return problems;
}

for (const backend of BACKENDS) {
  describe(`every failure point of every use case, on ${backend.name}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await Harness.open(backend, new ManualClock(Date.UTC(2026, 11, 1, 12)));
    });
    afterAll(() => h?.close());

    it('keeps a session refused while its tombstone is owed, however long the session store is away', async () => {
      const alice = await h.tessera.register(`away${Date.now().toString(36)}`, PASSWORD, null);
      const { token, session } = await h.tessera.logInWithSession(alice.username, PASSWORD, false, undefined, CLIENT).then(signedIn);
      h.faults.away('sessions.revokeSession');
      await h.tessera.logOut(session, CLIENT);
      // Well past the deny view's retention (the tokens in flight), with the relay failing all along.
      for (let minute = 0; minute < 20; minute++) {
        h.clock.advance(60_000);
        h.tessera.feedHeartbeat(h.clock.now()); // heartbeats prune what no token in flight needs
        await expect(h.tessera.relay()).rejects.toThrow();
      }
      expect((await h.stores.sessions.getSession(session.id))?.revokedAt).toBeNull();
      expect(await verdict(h.tessera.validateSession(token))).toBe('refused');
      h.faults.disarm();
      expect(await verdict(h.tessera.validateSession(token))).toBe('refused');
      await h.tessera.relay();
      expect((await h.stores.sessions.getSession(session.id))?.revokedAt).not.toBeNull();
      expect(await verdict((await h.fresh()).validateSession(token))).toBe('refused');
    });

    it.skipIf(backend !== postgresRedisBackend)('publishes the log to the stream again after Redis lost it: a verifier that starts then still refuses', async () => {
      const alice = await h.tessera.register(`lost${Date.now().toString(36)}`, PASSWORD, null);
      const pair = await h.tessera.logInWithTokens(alice.username, PASSWORD, 'body', CLIENT).then(signedIn);
      await h.tessera.revokeToken(pair.refreshToken, CLIENT);
      await h.relay(); // the stream is marked intact on a first pass
      const bus = h.stores.bus!;
      expect(await bus.intact()).toBe(true);
      await h.loseRedis!();
      expect(await bus.intact()).toBe(false);
      const replay = async (): Promise<{ sids: string[]; beats: number }> => {
        const seen = { sids: [] as string[], beats: 0 };
        const subscription = bus.subscribe(
          { onEvent: (m) => void (m.event.type === 'credential' && seen.sids.push(m.event.sid)), onHeartbeat: () => void seen.beats++ },
          { sinceTime: h.clock.now() - h.tessera.lifetimes.revocationRetainMs },
        );
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await subscription.close();
        return seen;
      };
      // A verifier starting now would find the stream empty: it sends no heartbeat, so it is not ready.
      expect(await replay()).toEqual({ sids: [], beats: 0 });
      await h.relay();
      expect(await bus.intact()).toBe(true);
      const after = await replay();
      expect(after.sids).toContain(pair.family.id);
      expect(after.beats).toBeGreaterThan(0);
    });

    for (const scenario of SCENARIOS) {
      it(scenario.name, async () => {
        const counting = await scenario.prepare(h);
        h.faults.arm(null);
        expect(await outcomeOf(counting.act(), counting.doneAs)).toBe('done');
        const points = [...h.faults.seen];
        h.faults.disarm();
        expect(points.length).toBeGreaterThan(0);

        for (let n = 1; n <= points.length; n++) {
          for (const mode of MODES) {
            const p = await scenario.prepare(h);
            h.faults.arm(n, mode);
            const outcome = await outcomeOf(p.act(), p.doneAs);
            const at = h.faults.hit ?? '(none)';
            h.faults.disarm();
            const where = `${scenario.name}, write ${n} (${at}) failed ${mode}`;
            expect(['done', 'unavailable'], where).toContain(outcome);

            const recorded = await p.recorded();
            if (outcome === 'done') {
              expect(recorded, `${where}: answered success, so it is recorded (I1)`).toBe(true);
              // A change holds on the instance that made it before its answer returns.
              expect(await disagreements(h.tessera, p, true), `${where}: holds here at once`).toEqual([]);
            }
            expect(await agreeWithin(h.tessera, p, recorded, 1000), `${where}: this instance agrees with the record (I2)`).toEqual([]);
            await h.relay();
            expect(await tombstoneProblems(h, p, recorded), `${where}: the relay completed what was owed (I2)`).toEqual([]);
            expect(await disagreements(await h.fresh(), p, recorded), `${where}: a fresh instance agrees (I3)`).toEqual([]);

            const retry = await outcomeOf(p.act(), p.doneAs, ['token_revoked']);
            expect(retry, `${where}: the retry`).toBe('done');
            expect(await p.recorded(), `${where}: the retry converged`).toBe(true);
            expect(await disagreements(h.tessera, p, true), `${where}: after the retry`).toEqual([]);
            await h.relay();
            expect(await tombstoneProblems(h, p, true), `${where}: after the retry, tombstones`).toEqual([]);
            expect(await disagreements(await h.fresh(), p, true), `${where}: after the retry, a fresh instance`).toEqual([]);
            report.push(`| ${backend.name} | ${scenario.name} | ${n} | \`${at}\` | ${mode} | ${outcome === 'done' ? '2xx' : '503'} | ${recorded ? 'all of it' : 'nothing'} | converged |`);
          }
        }
      }, 240_000);
    }
  });
}

afterAll(() => {
  const file = process.env.TESSERA_FAULT_REPORT;
  if (file && report.length > 0) {
    appendFileSync(file, ['| store | use case | write | where | failed | answer | what held | retry |', '|---|---|--:|---|---|---|---|---|', ...report, ''].join('\n'));
  }
});
