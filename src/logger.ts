import type { FastifyServerOptions } from 'fastify';

/**
 * pino settings: credentials never reach the logs (ASVS 5.0 V16.2.5). Request bodies are not logged
 * at all; these paths cover headers and any object that carries a secret by name.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.refresh_token',
  '*.access_token',
  '*.token',
  '*.csrfToken',
];

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
}
