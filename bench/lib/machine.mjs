// What the run happened on, and which cores the server and the load generator get.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

function has(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore', timeout: 2000 });
    return true;
  } catch {
    return false;
  }
}

/** The CPUs this process may run on, from the kernel's affinity list (e.g. "0-1" or "0,2,4-5"). */
function allowedCpus() {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\s*(.+)$/m);
    if (!line) return [];
    return line[1].split(',').flatMap((part) => {
      const [from, to = from] = part.split('-').map(Number);
      return Array.from({ length: to - from + 1 }, (_, i) => from + i);
    });
  } catch {
    return [];
  }
}

/**
 * The server gets one core, as a single Node process uses one; the load generator gets the rest.
 * With fewer than 2 cores (or no taskset) nothing is pinned, and the results say so.
 */
export function planCores() {
  const cpus = allowedCpus();
  if (cpus.length < 2 || !has('taskset')) {
    return { pinned: false, server: null, load: null, loadThreads: 1, serverCpuCount: os.availableParallelism() };
  }
  const [server, ...rest] = cpus;
  // wrk needs about one thread per core it gets; more than 4 only adds context switches at 64 connections.
  return { pinned: true, server: String(server), load: rest.join(','), loadThreads: Math.min(rest.length, 4), serverCpuCount: 1 };
}

/** wrk when installed (it costs the least CPU per request), autocannon from bench/peers otherwise. */
export function pickLoadGenerator(forced) {
  if (forced === 'autocannon' || (forced !== 'wrk' && !has('wrk'))) return 'autocannon';
  return 'wrk';
}

function wrkVersion() {
  // wrk prints its version and exits 1 when given no URL.
  const { stdout = '' } = spawnSync('wrk', ['--version'], { encoding: 'utf8', timeout: 2000 });
  return stdout.match(/^wrk (\S+)/)?.[1] ?? 'unknown';
}

export function describeMachine(cores, loadGenerator) {
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadGenerator: loadGenerator === 'wrk' ? `wrk ${wrkVersion()}` : 'autocannon',
    serverCpus: cores.server,
    loadCpus: cores.load,
  };
}
