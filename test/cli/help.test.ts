import { MIGRATIONS } from '../contracts/fixtures.js';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { workspace } from './harness.js';

// Each test runs the built binary several times, about a second each, slower when the suite runs in parallel.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const ws = workspace();
afterAll(() => ws.remove());

describe('tessera help', () => {
  it('lists every command with `help`, `--help` and no arguments, exit 0', async () => {
    for (const args of [['help'], ['--help'], []]) {
      const { code, stdout, stderr } = await ws.cli(args);
      expect(code).toBe(0);
      expect(stderr).toBe('');
      for (const form of ['serve', 'migrate', 'user create USERNAME', 'user role USERNAME ROLE', 'user disable USERNAME', 'user enable USERNAME', 'user list', 'user import FILE', 'sessions list USERNAME', 'sessions revoke USERNAME', 'keys list', 'keys rotate', 'audit verify', 'audit tail']) {
        expect(stdout).toContain(`tessera ${form}`);
      }
    }
  });

  it('shows one command’s usage with --help, `help COMMAND` or `help NOUN`', async () => {
    const create = await ws.cli(['user', 'create', '--help']);
    expect(create.code).toBe(0);
    expect(create.stdout).toMatch(/^Usage: tessera user create USERNAME \[--role user\|admin\] \[--password-stdin\]/);
    expect((await ws.cli(['help', 'user', 'create'])).stdout).toBe(create.stdout);
    const noun = await ws.cli(['help', 'sessions']);
    expect(noun.stdout).toContain('tessera sessions list USERNAME');
    expect(noun.stdout).toContain('tessera sessions revoke USERNAME');
    const keys = await ws.cli(['keys', '--help']);
    expect(keys.code).toBe(0);
    expect(keys.stdout).toBe((await ws.cli(['help', 'keys'])).stdout);
  });

  it('needs no valid settings to show help', async () => {
    const { code } = await ws.cli(['audit', 'tail', '--help'], '', { TESSERA_PORT: 'not a port' });
    expect(code).toBe(0);
  });

  it('answers an unknown command with a one-line message, the usage and exit 1', async () => {
    const { code, stdout, stderr } = await ws.cli(['frobnicate']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe('tessera: unknown command "frobnicate"');
    expect(stderr).toContain('Usage: tessera <command>');
  });

  it('answers an unknown verb, a missing verb, an unknown option and a missing argument with exit 1', async () => {
    const verb = await ws.cli(['user', 'delete', 'alice']);
    expect([verb.code, verb.stderr.split('\n')[0]]).toEqual([1, 'tessera: unknown command "user delete"']);
    expect(verb.stderr).toContain('tessera user create USERNAME');
    const none = await ws.cli(['keys']);
    expect([none.code, none.stderr.split('\n')[0]]).toEqual([1, 'tessera: missing a command after "keys"']);
    const option = await ws.cli(['keys', 'list', '--yaml']);
    expect(option.code).toBe(1);
    expect(option.stderr.split('\n')[0]).toMatch(/^tessera: Unknown option '--yaml'/);
    const missing = await ws.cli(['user', 'role', 'alice']);
    expect([missing.code, missing.stderr.split('\n')[0]]).toEqual([1, 'tessera: missing ROLE']);
    const extra = await ws.cli(['keys', 'rotate', 'now']);
    expect([extra.code, extra.stderr.split('\n')[0]]).toEqual([1, 'tessera: unexpected argument "now"']);
  });

  it('names the variable of a bad setting, exit 1, without a stack', async () => {
    const { code, stderr } = await ws.cli(['user', 'list'], '', { TESSERA_DATABASE_URL: 'mysql://x' });
    expect(code).toBe(1);
    expect(stderr).toBe('tessera: TESSERA_DATABASE_URL: expected sqlite:PATH or postgres://... (got "mysql://x")\n');
  });

  it('fails with exit 1 and one line naming the database, the cause and what to do when it cannot be opened', async () => {
    // A directory where the database file should be: SQLite cannot open it.
    const { code, stderr } = await ws.cli(['user', 'list'], '', { TESSERA_DATABASE_URL: `sqlite:${ws.dir}` });
    expect(code).toBe(1);
    expect(stderr).toBe(
      `tessera: cannot open the database sqlite:${ws.dir}: the database file cannot be opened (SQLITE_CANTOPEN); check that the database file and its directory exist and are writable by this user, on a file system mounted read-write\n`,
    );
  });
});

describe('tessera migrate', () => {
  it('applies the migrations on a new database, then reports the schema current', async () => {
    const fresh = workspace();
    try {
      const first = await fresh.cli(['migrate']);
      expect(first.code).toBe(0);
      const applied = MIGRATIONS('sqlite').map((name) => `applied ${name}\n`).join('');
      expect(applied).toContain('applied 001_init.sql\n');
      expect(first.stdout).toBe(`${applied}the schema of sqlite:${fresh.dbPath} is now current\n`);
      const second = await fresh.cli(['migrate']);
      expect(second.code).toBe(0);
      expect(second.stdout).toBe(`the schema of sqlite:${fresh.dbPath} is current\n`);
    } finally {
      fresh.remove();
    }
  });
});
