// CPU accounting from /proc, to tell a slow server from a crowded machine: the machine is shared,
// and other work on the server's core lowers a figure as surely as slow code does.
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const TICKS_PER_SECOND = 100; // USER_HZ, the unit of /proc times on every mainstream Linux build

/** Busy (user + nice + system) and total ticks of CPUs by /proc/stat name: `cpu` for all, or `cpu0`, `cpu1`... */
function cpuTicks(names) {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  let busy = 0;
  let total = 0;
  for (const name of names) {
    const line = lines.find((l) => l.startsWith(`${name} `));
    if (!line) throw new Error(`no ${name} in /proc/stat`);
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    busy += fields[0] + fields[1] + fields[2];
    total += fields.reduce((a, b) => a + b, 0);
  }
  return { busy, total };
}

/** The /proc/stat names of a taskset list such as "1" or "1,2,3" (the harness writes no ranges). */
const cpuNames = (list) => list.split(',').map((n) => `cpu${n}`);

/** The fields of /proc/PID/stat after the command name (which may hold spaces): state, ppid, pgrp... */
function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
}

/**
 * User + system ticks of the harness and of its children that have ended (cutime, cstime): over a
 * load, the load generator, which ends with it, plus the harness's own share.
 */
function harnessTicks() {
  const f = statFields('self');
  return f[11] + f[12] + f[13] + f[14];
}

/** User + system ticks of every process in the given process groups (a server and what it spawned). */
function groupTicks(pgids) {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const f = statFields(pid);
      if (pgids.includes(f[2])) ticks += f[11] + f[12];
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return ticks;
}

/** Share of all CPUs busy over `ms`; null where /proc/stat cannot be read. */
export async function cpuBusyShare(ms = 1000) {
  try {
    const before = cpuTicks(['cpu']);
    await sleep(ms);
    const after = cpuTicks(['cpu']);
    const total = after.total - before.total;
    return total > 0 ? (after.busy - before.busy) / total : 0;
  } catch {
    return null;
  }
}

/**
 * Starts measuring a load. `stop()`, called after the load generator has ended, returns the CPU
 * time (user + system, every thread, from /proc/PID/stat) and the cores the servers (`pgids`) used, and the share of the server's and of the load generator's CPUs that
 * other processes took meanwhile: crowding either side lowers the figure. Shares are null when
 * nothing is pinned.
 */
export function meterLoad(pgids, cores) {
  try {
    const started = process.hrtime.bigint();
    const servers = groupTicks(pgids);
    const harness = harnessTicks();
    const serverCpu = cores.pinned ? cpuTicks(cpuNames(cores.server)) : null;
    const loadCpu = cores.pinned ? cpuTicks(cpuNames(cores.load)) : null;
    const othersShare = (before, after, ours) => Math.max(0, after.busy - before.busy - ours) / Math.max(1, after.total - before.total);
    return {
      stop() {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const serverUsed = groupTicks(pgids) - servers;
        const loadUsed = harnessTicks() - harness;
        return {
          serverCpuSeconds: serverUsed / TICKS_PER_SECOND,
          serverCores: serverUsed / TICKS_PER_SECOND / seconds,
          othersOnServerCpu: serverCpu && othersShare(serverCpu, cpuTicks(cpuNames(cores.server)), serverUsed),
          othersOnLoadCpus: loadCpu && othersShare(loadCpu, cpuTicks(cpuNames(cores.load)), loadUsed),
        };
      },
    };
  } catch {
    return { stop: () => ({ serverCpuSeconds: null, serverCores: null, othersOnServerCpu: null, othersOnLoadCpus: null }) };
  }
}
