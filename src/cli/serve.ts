import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import { loggerOptions } from '../logger.js';
import { buildHttp, openTessera, redacted } from '../runtime.js';

/**
 * `tessera serve`: assemble, follow the revocation feed, listen. SIGTERM and SIGINT stop accepting,
 * let requests in flight finish, then close the stores.
 */
export async function serve(config: Config): Promise<void> {
  let log: FastifyBaseLogger | null = null;
  const tessera = await openTessera(config, {
    core: { onBackgroundError: (error, what) => log?.warn({ err: error }, `background: ${what}`) },
    // No SMTP server (the embedded default): say where each message went, and its link, to follow by hand.
    onMailWritten: (path, mail, link) => log?.info({ to: mail.to, path }, `mail "${mail.subject}" written to ${path}${link === null ? '' : `; its link: ${link}`}`),
  });
  await tessera.start();
  const app = await buildHttp(tessera, config, loggerOptions(config.logLevel));
  log = app.log;
  for (const warning of config.warnings) app.log.warn(warning);
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
  const listening = await app.listen({ host: config.host, port: config.port });
  app.log.info(`Tessera serves on ${config.issuer}, listening on ${listening} (store ${redacted(config.databaseUrl)}; mail to ${config.smtpUrl === null ? config.mailDir : redacted(config.smtpUrl)})`);
}
