import { systemClock } from '../core/clock.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { print } from './output.js';

const USAGE = `Usage: tessera migrate

Applies the database migrations that have not run yet (TESSERA_DATABASE_URL). The server and every
other command also apply them when they open the database; this runs them on their own, as a
deployment step.`;

/** Hides the password of a postgres:// URL. */
const redact = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

export const migrateCommand: Command = {
  usage: USAGE,
  async run(args, config) {
    parseCommandArgs(args, {}, [], USAGE);
    // The stores alone: opening them migrates, and no signing key is made as a side effect.
    const { openStores } = await import('../runtime.js');
    const stores = await openStores(config, systemClock);
    const applied = stores.migrationsApplied ?? [];
    await stores.close();
    for (const name of applied) print(`applied ${name}`);
    print(applied.length === 0 ? `the schema of ${redact(config.databaseUrl)} is current` : `the schema of ${redact(config.databaseUrl)} is now current`);
    return 0;
  },
};
