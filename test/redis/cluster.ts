import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from '../support/processes.js';

const run = promisify(execFile);

export interface ClusterNode {
  port: number;
  process: ChildProcess;
}

/**
 * A Redis Cluster of the test's own: three primaries and three replicas of Debian's redis-server in
 * cluster mode, on ports of their own (the cluster bus too, below the ephemeral range), joined with
 * `redis-cli --cluster create`. A primary killed fails over to its replica within a few seconds.
 */
export class TestCluster {
  readonly nodes: ClusterNode[];
  readonly #dir: string;

  private constructor(nodes: ClusterNode[], dir: string) {
    this.nodes = nodes;
    this.#dir = dir;
  }

  /** `host:port` of every node, for TESSERA_REDIS_CLUSTER. */
  get seeds(): string[] {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`);
  }

  static async start(): Promise<TestCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-cluster-'));
    const nodes: ClusterNode[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const [port, busPort] = [await freePort(), await freePort()];
        const home = join(dir, String(port));
        mkdirSync(home);
        const args = ['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
          '--cluster-node-timeout', '1000', '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0', '--cluster-require-full-coverage', 'no', '--dir', home, '--logfile', join(home, 'log')];
        nodes.push({ port, process: spawn('redis-server', args, { stdio: 'ignore' }) });
      }
      for (const node of nodes) await waitFor(() => ping(node.port), `redis-server on ${node.port}`);
      await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes']);
      const cluster = new TestCluster(nodes, dir);
      await waitFor(async () => (await Promise.all(nodes.map((n) => clusterOk(n.port)))).every(Boolean), 'cluster_state:ok on every node', 30_000);
      // A replica that never synced may not take over (its data is too old): wait until each one has.
      await waitFor(async () => (await Promise.all(nodes.map((n) => replicaReady(n.port)))).every(Boolean), 'every replica in sync', 30_000);
      return cluster;
    } catch (error) {
      for (const node of nodes) node.process.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The port of the primary serving `slot`, from CLUSTER SLOTS as a live node sees it. */
  async primaryOf(slot: number): Promise<number> {
    for (const node of this.#alive()) {
      const client = direct(node.port);
      try {
        const ranges = (await client.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        if (range) return range[2][1];
      } catch {
        // a node that is going away; ask another
      } finally {
        client.disconnect();
      }
    }
    throw new Error(`no node serves slot ${slot}`);
  }

  /** The slot a key hashes to. */
  async slotOf(key: string): Promise<number> {
    const client = direct(this.#alive()[0]!.port);
    try {
      return Number(await client.call('CLUSTER', 'KEYSLOT', key));
    } finally {
      client.disconnect();
    }
  }

  /** Ports of the current primaries. */
  async primaries(): Promise<number[]> {
    const client = direct(this.#alive()[0]!.port);
    try {
      const text = String(await client.call('CLUSTER', 'NODES'));
      // <id> <ip:port@bus> <flags> …: flags like `myself,master` or `master,fail`.
      return text
        .split('\n')
        .map((line) => line.split(' '))
        .filter((fields) => (fields[2] ?? '').split(',').includes('master') && !(fields[2] ?? '').includes('fail'))
        .map((fields) => Number(/:(\d+)@/.exec(fields[1] ?? '')?.[1]));
    } finally {
      client.disconnect();
    }
  }

  /** Kills one node at once (SIGKILL), as a crash would. */
  kill(port: number): void {
    this.nodes.find((n) => n.port === port)?.process.kill('SIGKILL');
  }

  #alive(): ClusterNode[] {
    return this.nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null);
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) node.process.kill('SIGKILL');
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

export function direct(port: number): Redis {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  return client;
}

const ping = (port: number) => asks(port, async (c) => (await c.ping()) === 'PONG');

/** Asks one node, on a connection of its own; false when it does not answer. */
async function asks(port: number, question: (client: Redis) => Promise<boolean>): Promise<boolean> {
  const client = direct(port);
  try {
    return await question(client);
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** True for a primary, or a replica whose link to its primary is up. */
const replicaReady = (port: number) => asks(port, async (c) => /role:master|master_link_status:up/.test(String(await c.info('replication'))));

const clusterOk = (port: number) => asks(port, async (c) => /cluster_state:ok/.test(String(await c.call('CLUSTER', 'INFO'))));

export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
