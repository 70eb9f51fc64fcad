// Starts one server process for one run: on a free loopback port, pinned to the server core.
import { freePort, waitUntilAnswering } from './http.mjs';
import { spawnTracked } from './proc.mjs';

/**
 * @param {import('../scenarios/index.mjs').RunContext} ctx
 * @param {{ command?: string, args: string[], env?: Record<string, string> | ((port: number) => Record<string, string>),
 *   readyPath?: string, startTimeoutMs?: number }} options
 *   The port is passed as PORT; a server that reads another variable gets it from `env(port)`.
 *   It is ready once `readyPath` answers with any status.
 * @returns {Promise<{ origin: string, port: number, stop: () => Promise<void> }>}
 */
export async function startServer(ctx, { command = process.execPath, args, env = {}, readyPath = '/', startTimeoutMs = 20000 }) {
  const port = await freePort();
  const resolvedEnv = typeof env === 'function' ? env(port) : env;
  const proc = spawnTracked(command, args, {
    cpus: ctx.cores.server,
    // Production mode: Express and others skip development-only work in it, as deployments do.
    env: { NODE_ENV: 'production', PORT: String(port), ...resolvedEnv },
  });
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(origin + readyPath, proc, startTimeoutMs);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return {
    origin,
    port,
    stop: async () => {
      await proc.stop();
    },
  };
}
