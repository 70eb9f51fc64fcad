import { signedIn } from '../../src/core/logins.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { openTessera } from '../../src/runtime.js';
import { PASSWORD, workspace } from './harness.js';

// Each test runs the built binary several times, about a second each, slower when the suite runs in parallel.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const ws = workspace();
afterAll(() => ws.remove());

const line = (value: unknown): string => JSON.stringify(value);
/** A password of each user's own that does not contain the name (hex holds no "n", "h", "i", "u"...). */
const secret = (name: string): string => `${PASSWORD} ${Buffer.from(name).toString('hex')}`;

/** Logs each user in with the core's check, on the CLI's database; returns the names that got in. */
async function whoCanLogIn(accounts: Array<[string, string]>): Promise<string[]> {
  const tessera = await openTessera(parseConfig(ws.env));
  try {
    const passed: string[] = [];
    for (const [username, password] of accounts) {
      const login = await tessera.logInWithSession(username, password, false, undefined, { ip: '127.0.0.1', userAgent: 'test' }).then(signedIn).catch(() => null);
      if (login) passed.push(`${login.user.username}:${login.user.role}`);
    }
    return passed;
  } finally {
    await tessera.close();
  }
}

describe('tessera user import', () => {
  it('creates the valid lines, skips taken and repeated names, reports invalid lines by number, exit 1', async () => {
    expect((await ws.cli(['user', 'create', 'taken', '--password-stdin'], PASSWORD)).code).toBe(0);
    const file = join(ws.dir, 'users.jsonl');
    const lines = [
      line({ username: 'ann', password: secret('ann') }),
      line({ username: 'ben', password: secret('ben'), role: 'admin' }),
      '',
      'this is not JSON',
      line({ username: 'TAKEN', password: PASSWORD }),
      line({ username: 'cy', password: 'short' }),
      line({ username: 'ann', password: `${PASSWORD} again` }),
      line({ username: 'dee', password: 123456789012345 }),
      line({ username: 'eve', password: secret('eve'), rol: 'admin' }),
      line({ username: 'fay', password: secret('fay'), role: 'root' }),
      line(['gus', PASSWORD]),
      line({ username: 'hal', password: secret('hal') }),
      line({ username: 'kim', password: 'short' }),
      line({ username: 'kim', password: secret('kim') }),
    ];
    // CRLF line ends and a last line without a break are read alike.
    writeFileSync(file, `${lines.join('\r\n')}\r\n${line({ username: 'ida', password: secret('ida') })}`);
    const { code, stdout, stderr } = await ws.cli(['user', 'import', file]);
    expect(code).toBe(1);
    expect(stdout).toBe(
      [
        '5 created, 2 skipped (name taken), 7 invalid, of 14 lines',
        'taken: lines 5, 7',
        'line 4: not valid JSON',
        'line 6: username: must be at least 3 characters (too_short); password: must be at least 15 characters (too_short)',
        'line 8: "password" must be a string',
        'line 9: unknown field "rol"',
        'line 10: "role" must be user or admin',
        'line 11: not a JSON object',
        'line 13: password: must be at least 15 characters (too_short)',
        '',
      ].join('\n'),
    );
    // Not a terminal: progress comes as plain lines, and the last says 100%.
    expect(stderr).toMatch(/^import: 100% {2}5 created, 2 taken, 7 invalid {2}\d+\/s$/m);
    expect(stderr).not.toContain('\r');
    expect(stderr.trimEnd().split('\n').at(-1)).toBe('tessera: 7 invalid lines were not imported');

    // A repeated name goes to its first valid line, in file order, however the hashing interleaves.
    const accounts: Array<[string, string]> = ['ann', 'ben', 'hal', 'kim', 'ida'].map((name) => [name, secret(name)]);
    expect(await whoCanLogIn([...accounts, ['ann', `${PASSWORD} again`]])).toEqual(['ann:user', 'ben:admin', 'hal:user', 'kim:user', 'ida:user']);
  });

  it('skips everything on a re-run, exit 0', async () => {
    const file = join(ws.dir, 'again.jsonl');
    writeFileSync(file, `${line({ username: 'ann', password: secret('ann') })}\n${line({ username: 'hal', password: secret('hal') })}\n`);
    const { code, stdout } = await ws.cli(['user', 'import', file]);
    expect(code).toBe(0);
    expect(stdout).toBe('0 created, 2 skipped (name taken), 0 invalid, of 2 lines\ntaken: lines 1, 2\n');
  });

  it('creates many users in parallel', async () => {
    const file = join(ws.dir, 'many.jsonl');
    const names = Array.from({ length: 40 }, (_, i) => `bulk${i}`);
    writeFileSync(file, names.map((name) => line({ username: name, password: secret(name) })).join('\n'));
    const { code, stdout } = await ws.cli(['user', 'import', file], '', { TESSERA_HASH_CONCURRENCY: '4', TESSERA_HASH_QUEUE: '0' });
    expect(code).toBe(0);
    expect(stdout).toBe('40 created, 0 skipped (name taken), 0 invalid, of 40 lines\n');
    const listed = JSON.parse((await ws.cli(['user', 'list', '--json', '--limit', '1000'])).stdout) as { users: Array<{ username: string }> };
    expect(listed.users.filter((user) => user.username.startsWith('bulk'))).toHaveLength(40);
  });

  it('refuses a missing file, exit 1', async () => {
    const { code, stderr } = await ws.cli(['user', 'import', join(ws.dir, 'missing.jsonl')]);
    expect(code).toBe(1);
    expect(stderr).toBe(`tessera: cannot read ${join(ws.dir, 'missing.jsonl')}: ENOENT\n`);
  });
});
