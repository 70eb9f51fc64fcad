import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { openTessera } from '../../src/runtime.js';
import { BIN, PASSWORD, collect, workspace } from './harness.js';

// Each test runs the built binary several times, about a second each, slower when the suite runs in parallel.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const ws = workspace();
beforeAll(async () => {
  const { code } = await ws.cli(['user', 'create', 'alice', '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`);
  expect(code).toBe(0);
});
afterAll(() => ws.remove());

/** Checks a password with the core's login check, in this process, on the CLI's database. */
async function canLogIn(username: string, password: string): Promise<boolean> {
  const tessera = await openTessera(parseConfig(ws.env));
  try {
    await tessera.logInWithSession(username, password, false, undefined, { ip: '127.0.0.1', userAgent: 'test' });
    return true;
  } catch {
    return false;
  } finally {
    await tessera.close();
  }
}

const create = (name: string, password: string, ...options: string[]) => ws.cli(['user', 'create', name, ...options, '--password-stdin'], password);

describe('tessera user create', () => {
  it('creates a user from --password-stdin, a plain user by default', async () => {
    const { code, stdout, stderr } = await create('bob', `${PASSWORD}\n`);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toMatch(/^created user bob \(id [0-9a-f-]{36}\)\n$/);
  });

  it('refuses a taken name, whatever its case, with exit 1', async () => {
    const { code, stdout, stderr } = await create('ALICE', PASSWORD);
    expect([code, stdout, stderr]).toEqual([1, '', 'tessera: the username "ALICE" is taken\n']);
  });

  it('prints every field error of the policy, exit 1', async () => {
    const weak = await create('x!', 'short\n');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toBe(
      'tessera: the account details break the policy\n' +
        '  username: must be at least 3 characters (too_short)\n' +
        '  password: must be at least 15 characters (too_short)\n',
    );
    const common = await create('carol', 'passwordpassword\n');
    expect(common.stderr).toContain('  password: is on a list of commonly breached passwords (too_common)\n');
    const named = await create('dave', 'dave-has-a-long-password\n');
    expect(named.stderr).toContain('  password: must not contain the user name (contains_username)\n');
  });

  it('refuses an empty --password-stdin, an unknown role, and a terminal-less prompt, exit 1', async () => {
    expect(await create('erin', '')).toMatchObject({ code: 1, stderr: 'tessera: no password on stdin\n' });
    expect(await create('erin', '\n')).toMatchObject({ code: 1, stderr: 'tessera: no password on stdin\n' });
    expect(await create('erin', PASSWORD, '--role', 'root')).toMatchObject({ code: 1, stderr: 'tessera: unknown role "root": expected user or admin\n' });
    const prompt = await ws.cli(['user', 'create', 'erin'], PASSWORD);
    expect(prompt).toMatchObject({ code: 1, stderr: 'tessera: stdin is not a terminal: pipe the password with --password-stdin\n' });
    expect((await ws.cli(['user', 'list'])).stdout).not.toContain('erin');
  });

  it('takes the line without its one line break (LF or CRLF) as the password', async () => {
    expect((await create('grace', `${PASSWORD}\r\n`)).code).toBe(0);
    expect(await canLogIn('grace', PASSWORD)).toBe(true);
    expect((await create('judy', `${PASSWORD}\n\n`)).code).toBe(0);
    expect(await canLogIn('judy', PASSWORD)).toBe(false);
    expect(await canLogIn('judy', `${PASSWORD}\n`)).toBe(true);
  });
});

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Runs `tessera user create NAME` on a pseudo-terminal (util-linux `script`), answering the prompts. */
function createOnTerminal(name: string, answers: string[]) {
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} user create ${name}`;
  const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { ...process.env, ...ws.env }, cwd: ws.dir, stdio: 'pipe' });
  let seen = '';
  const pending = [...answers];
  child.stdout.on('data', (chunk: Buffer) => {
    seen += chunk.toString();
    // Answer each prompt once it shows: only then is the terminal in raw mode, with echo off.
    if (pending.length > 0 && /(Password for \S+|Repeat it): $/.test(seen)) {
      seen = '';
      child.stdin.write(`${pending.shift()}\r`);
    }
  });
  return collect(child, 20_000);
}

describe.skipIf(!hasScript)('tessera user create on a terminal', () => {
  it('asks twice with hidden input', async () => {
    const { code, stdout } = await createOnTerminal('heidi', [PASSWORD, PASSWORD]);
    expect(code).toBe(0);
    expect(stdout).toContain('Password for heidi: ');
    expect(stdout).toContain('Repeat it: ');
    expect(stdout).toMatch(/created user heidi \(id /);
    expect(stdout).not.toContain(PASSWORD);
  });

  it('refuses two different answers, exit 1', async () => {
    const { code, stdout } = await createOnTerminal('ivan', [PASSWORD, `${PASSWORD}!`]);
    expect(code).toBe(1);
    expect(stdout).toContain('tessera: the passwords do not match');
  });
});

describe('tessera user role, disable, enable', () => {
  it('changes the role, says when it demotes, and reports a no-op', async () => {
    expect(await ws.cli(['user', 'role', 'bob', 'admin'])).toMatchObject({ code: 0, stdout: 'bob: user -> admin\n' });
    expect(await ws.cli(['user', 'role', 'bob', 'admin'])).toMatchObject({ code: 0, stdout: 'bob is already admin\n' });
    expect(await ws.cli(['user', 'role', 'BOB', 'user'])).toMatchObject({ code: 0, stdout: 'bob: admin -> user (access tokens issued before now are refused)\n' });
  });

  it('refuses an unknown role and an unknown user, exit 1', async () => {
    expect(await ws.cli(['user', 'role', 'bob', 'root'])).toMatchObject({ code: 1, stdout: '', stderr: 'tessera: unknown role "root": expected user or admin\n' });
    expect(await ws.cli(['user', 'role', 'nobody', 'user'])).toMatchObject({ code: 1, stdout: '', stderr: 'tessera: no user named "nobody"\n' });
    expect(await ws.cli(['user', 'disable', 'nobody'])).toMatchObject({ code: 1, stderr: 'tessera: no user named "nobody"\n' });
  });

  it('disables and enables', async () => {
    expect(await ws.cli(['user', 'disable', 'bob'])).toMatchObject({ code: 0, stdout: 'bob: disabled (logins, sessions and access tokens are refused)\n' });
    expect((await ws.cli(['user', 'list'])).stdout).toMatch(/ bob +user +disabled /);
    expect(await ws.cli(['user', 'enable', 'bob'])).toMatchObject({ code: 0, stdout: 'bob: enabled\n' });
    expect((await ws.cli(['user', 'list'])).stdout).toMatch(/ bob +user +active /);
  });
});

describe('tessera user list', () => {
  it('prints a table, oldest first', async () => {
    const { code, stdout } = await ws.cli(['user', 'list']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +USERNAME +ROLE +STATUS +CREATED$/);
    expect(lines[1]).toMatch(/^[0-9a-f-]{36} +alice +admin +active +\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    expect(lines.slice(1).map((line) => line.split(/ +/)[1])).toEqual(['alice', 'bob', 'grace', 'judy', ...(hasScript ? ['heidi'] : [])]);
  });

  it('pages with --limit and --after, and prints JSON with --json', async () => {
    const first = await ws.cli(['user', 'list', '--limit', '1', '--json']);
    const page = JSON.parse(first.stdout) as { users: Array<Record<string, unknown>>; next: string | null };
    expect(page.users).toEqual([{ id: expect.any(String), username: 'alice', role: 'admin', disabled: false, createdAt: expect.stringMatching(/Z$/) }]);
    expect(page.next).toBe(page.users[0]?.id);
    const second = JSON.parse((await ws.cli(['user', 'list', '--limit', '1', '--after', String(page.next), '--json'])).stdout) as typeof page;
    expect(second.users.map((user) => user.username)).toEqual(['bob']);
    const text = await ws.cli(['user', 'list', '--limit', '1']);
    expect(text.stdout).toContain(`more: tessera user list --limit 1 --after ${page.next}\n`);
  });

  it('refuses a bad --limit, exit 1', async () => {
    expect(await ws.cli(['user', 'list', '--limit', '0'])).toMatchObject({ code: 1, stderr: 'tessera: --limit expects a whole number from 1 to 10000 (got "0")\n' });
  });
});

describe('tessera user reset-factors', () => {
  it('removes every factor, revokes the user’s credentials, and audits it; an unknown name is exit 1', async () => {
    expect((await create('dora', `${PASSWORD}\n`)).code).toBe(0);
    const tessera = await openTessera(parseConfig(ws.env));
    await tessera.start({ upkeep: false });
    let sessionToken: string;
    try {
      const dora = (await tessera.findUserByName('dora'))!;
      const login = await tessera.logInWithSession('dora', PASSWORD, false, undefined, { ip: '127.0.0.1', userAgent: 'test' });
      sessionToken = 'token' in login ? login.token : '';
      await tessera.validateSession(sessionToken);
      const { code, stdout, stderr } = await ws.cli(['user', 'reset-factors', 'dora']);
      expect([code, stderr]).toEqual([0, '']);
      expect(stdout).toBe('dora: every second factor removed; every session and token revoked\n');
      await vi.waitFor(async () => expect((await tessera.validateSession(sessionToken).catch((e: { code?: string }) => e.code)) ?? 'valid').toBe('session_revoked'), { timeout: 10_000 });
      expect((await tessera.auditTail(5)).map((e) => e.event)).toContain('factors_reset');
      expect((await tessera.factorStatus(dora.id)).totp).toBe('none');
    } finally {
      await tessera.close();
    }
    const unknown = await ws.cli(['user', 'reset-factors', 'nobody']);
    expect(unknown.code).toBe(1);
  });
});
