// Child processes of the harness: servers, load generators and workers.
// Every child is tracked so that no server outlives the harness, whatever ends it.
import { spawn } from 'node:child_process';

const live = new Set();
// Output is kept as a bounded tail: servers may log per request for as long as a run lasts.
const STDOUT_TAIL = 65536;
const STDERR_TAIL = 4096;

function killGroup(child, signal) {
  try {
    // Each child leads its own process group, so wrappers (npm, sh) die with what they started.
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

process.once('exit', () => killAll());
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`\nbench: ${signal}, stopping child processes`);
    process.exit(130);
  });
}

/**
 * Starts `command` pinned to `cpus` (a taskset list such as "0" or "1-3"; null runs it unpinned).
 * Returns the child, its exit as a promise, the tail of its output, and `stop()`.
 */
export function spawnTracked(command, args, { cpus = null, env = {}, cwd } = {}) {
  const [file, argv] = cpus === null ? [command, args] : ['taskset', ['-c', cpus, command, ...args]];
  const child = spawn(file, argv, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  let stdout = '';
  let tail = '';
  child.stdout.on('data', (chunk) => {
    stdout = (stdout + chunk).slice(-STDOUT_TAIL);
  });
  child.stderr.on('data', (chunk) => {
    tail = (tail + chunk).slice(-STDERR_TAIL);
  });
  const exited = new Promise((resolve) => {
    child.once('error', (error) => {
      tail += `\n${error.message}`;
    });
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });

  /** SIGTERM, then SIGKILL if the process has not left within `graceMs`. */
  async function stop(graceMs = 3000) {
    if (!live.has(child)) return exited;
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  }

  return { child, exited, stop, stdout: () => stdout, stderrTail: () => tail };
}

/** Runs a command to its end, killing it after `timeoutMs`; resolves with its stdout or rejects with its stderr. */
export async function runToEnd(command, args, { timeoutMs, ...options }) {
  const proc = spawnTracked(command, args, options);
  const timer = setTimeout(() => proc.stop(), timeoutMs);
  const { code, signal } = await proc.exited;
  clearTimeout(timer);
  if (code !== 0) {
    const why = signal ? `killed by ${signal} (time limit ${timeoutMs} ms?)` : `exit code ${code}`;
    throw new Error(`${command} ${why}: ${proc.stderrTail().trim().slice(-600)}`);
  }
  return proc.stdout();
}

/** The process group ids of the children running now: the servers, when asked before a load. */
export function liveGroups() {
  return [...live].map((child) => child.pid);
}

/** Kills every child still running: after a scenario, whatever state it failed in. Returns how many. */
export function killAll() {
  for (const child of live) killGroup(child, 'SIGKILL');
  return live.size;
}
