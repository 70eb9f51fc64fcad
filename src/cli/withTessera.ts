import type { Config } from '../config.js';
import type { Tessera } from '../core/tessera.js';

/**
 * Opens the core on the configured stores (which runs pending migrations), runs `work`, and closes it.
 * The CLI never calls `start()`: it follows no feed and runs no timers, so the process exits as soon
 * as the work is done. What it changes reaches running servers through the revocation log they poll.
 */
export async function withTessera<T>(config: Readonly<Config>, work: (tessera: Tessera) => Promise<T>): Promise<T> {
  // Loaded on use, so that help and usage errors answer without loading the drivers and the HTTP stack.
  const { openTessera } = await import('../runtime.js');
  const tessera = await openTessera(config);
  try {
    return await work(tessera);
  } finally {
    await tessera.close();
  }
}
