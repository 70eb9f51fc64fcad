// bench/peers/ holds the libraries Tessera is compared with, outside the root package. A fresh
// clone has no bench/peers/node_modules: install it from the lock file before a scenario needs it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runToEnd } from './proc.mjs';

const PEERS_DIR = fileURLToPath(new URL('../peers/', import.meta.url));
const INSTALL_TIMEOUT_MS = 5 * 60_000;

export async function ensurePeers(log) {
  if (existsSync(`${PEERS_DIR}node_modules/.package-lock.json`)) return;
  log(`bench: installing ${PEERS_DIR} (npm ci)`);
  await runToEnd('npm', ['ci', '--no-audit', '--no-fund'], { cwd: PEERS_DIR, timeoutMs: INSTALL_TIMEOUT_MS });
}
