import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../support/processes.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built binary (`npm test` builds dist/ first; when running vitest alone, run `npx tsc -p tsconfig.build.json`). */
export const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const PASSWORD = 'correct horse battery staple';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The parent's environment without any TESSERA_ setting, so that a developer's shell cannot leak in. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TESSERA_')));
  return { ...base, ...env };
}

/** Runs a child to its end, killing it (and failing) when it outlives `timeoutMs`. */
export function runChild(command: string, args: string[], options: { env: Record<string, string>; cwd: string; input?: string; timeoutMs?: number }): Promise<CliResult> {
  const child = spawn(command, args, { env: cleanEnv(options.env), cwd: options.cwd, stdio: 'pipe' });
  return collect(child, options.timeoutMs ?? 20_000, options.input);
}

export function collect(child: ChildProcess, timeoutMs: number, input?: string): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  if (input !== undefined) child.stdin?.end(input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A temporary directory with its own SQLite database, and the CLI bound to it. */
export interface Workspace {
  dir: string;
  dbPath: string;
  env: Record<string, string>;
  cli(args: string[], input?: string, env?: Record<string, string>): Promise<CliResult>;
  remove(): void;
}

export function workspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  const dbPath = join(dir, 't.db');
  const env = { TESSERA_DATABASE_URL: `sqlite:${dbPath}`, TESSERA_LOG_LEVEL: 'warn' };
  return {
    dir,
    dbPath,
    env,
    cli: (args, input, extra = {}) => runChild(process.execPath, [BIN, ...args], { env: { ...env, ...extra }, cwd: dir, input: input ?? '' }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}


export interface RunningServer {
  url: string;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
}

/** Starts the built server on the workspace's database and waits (at most 20 s) until /healthz answers. */
export async function startServer(ws: Workspace): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: cleanEnv({ ...ws.env, TESSERA_HOST: '127.0.0.1', TESSERA_PORT: String(port) }),
    cwd: ws.dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${stderr}`);
    const up = await fetch(`${url}/healthz`).then((res) => res.ok, () => false);
    if (up) return { url, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`the server did not answer within 20 s: ${stderr}`);
}

/** Polls `probe` until it returns true or `ms` pass; returns whether it did. For effects that travel through the feed. */
export async function eventually(probe: () => Promise<boolean>, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
