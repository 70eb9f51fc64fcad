import { once } from 'node:events';
import { openSqliteStores } from '../../src/adapters/sqlite/index.js';
import { systemClock } from '../../src/core/clock.js';
import { T0, makeSession } from './fixtures.js';

/**
 * A second process on the same SQLite file, as the CLI is while the server runs. It prints `ready`,
 * waits for a line on stdin, writes for DURATION_MS, logs an event for user TAG, and prints its round count.
 * Usage: vite-node sqliteWriter.ts FILE DURATION_MS USER_ID TAG
 */
const [file = '', duration = '0', userId = '', tag = 'child'] = process.argv.slice(2);
const stores = await openSqliteStores(file, { clock: systemClock });
process.stdout.write('ready\n');
await once(process.stdin, 'data');
let rounds = 0;
for (const end = Date.now() + Number(duration); Date.now() < end; rounds++) {
  await stores.audit.append({ at: T0 + rounds, event: 'login_success', userId, ip: null, userAgent: tag, reason: null });
  await stores.sessions.createSession(makeSession({ userId, createdAt: T0 + rounds }), 5, T0 + rounds);
  await stores.limiter.hit('shared', 60_000, T0);
}
await stores.transact(async (tx) => tx.publish({ type: 'user', userId: tag, at: Date.now(), notBefore: null }, true));
await stores.close();
process.stdout.write(`rounds ${rounds}\n`);
process.stdin.destroy();
