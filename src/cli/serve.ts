import type { Config } from '../config.js';
import { loggerOptions } from '../logger.js';
import { buildHttp, openTessera } from '../runtime.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';

/**
 * `tessera serve`: assemble, follow the revocation feed, listen. SIGTERM and SIGINT stop accepting,
 * let requests in flight finish, then close the stores.
 */
export async function serve(config: Config): Promise<void> {
  const tessera = await openTessera(config);
  await tessera.start();
  const app = await buildHttp(tessera, config, loggerOptions(config.logLevel));
  let closing = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 10_000).unref();
    await app.close();
    await tessera.close();
    clearTimeout(timer);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  await app.listen({ host: config.host, port: config.port });
  const store = config.databaseUrl.replace(/\/\/[^@]*@/, '//***@');
  app.log.info(`Tessera listens on ${config.host}:${config.port} as issuer ${config.issuer} (store ${store}${config.redisUrl ? ', Redis' : ''})`);
}

const USAGE = `Usage: tessera serve

Serves the HTTP API on TESSERA_HOST:TESSERA_PORT (default 127.0.0.1:8080), with the stores of
TESSERA_DATABASE_URL (default sqlite:./data/tessera.db), until SIGTERM or SIGINT.`;

export const serveCommand: Command = {
  usage: USAGE,
  async run(args, config) {
    parseCommandArgs(args, {}, [], USAGE);
    await serve(config);
    return 0;
  },
};
