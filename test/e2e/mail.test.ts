import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Started, freePort, start, startServer, tempDir, within } from '../support/processes.js';

// Processes: a real SMTP server (smtp-server) and `tessera serve`; generous bounds for a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const SINK = new URL('./smtpSink.mjs', import.meta.url).pathname;
const PASSWORD = 'correct horse battery staple';
let processes: Started[] = [];
afterEach(async () => {
  for (const p of processes) await p.stop();
  processes = [];
});

async function startSink(port: number, dir: string): Promise<Started> {
  const sink = start('node', [SINK, String(port), dir], {});
  processes.push(sink);
  await within(10_000, async () => sink.output().includes(`listening ${port}`), 'the SMTP server');
  return sink;
}

/** Every message the sink has received, parsed. */
async function inbox(dir: string): Promise<ParsedMail[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
  return Promise.all(files.map((f) => simpleParser(readFileSync(join(dir, f)))));
}

async function waitForMail(dir: string, subject: string): Promise<ParsedMail> {
  let found: ParsedMail | undefined;
  await within(60_000, async () => {
    found = (await inbox(dir)).find((m) => m.subject === subject);
    return found !== undefined;
  }, `a mail "${subject}"`);
  return found!;
}

const tokenOf = (mail: ParsedMail): string => {
  const link = /https?:\/\/\S+/.exec(mail.text ?? '')![0];
  expect(mail.html).toContain(`href="${link}"`);
  return new URLSearchParams(new URL(link).hash.slice(1)).get('token')!;
};

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('mail over a real SMTP server', () => {
  it('delivers the verification and reset mails; with the server down, mail waits in the queue and goes once it is back', async () => {
    const smtpPort = await freePort();
    const inboxDir = tempDir('tessera-inbox');
    let sink = await startSink(smtpPort, inboxDir);
    const server = await startServer({
      TESSERA_DATABASE_URL: `sqlite:${join(tempDir('tessera-mail'), 't.db')}`,
      TESSERA_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      TESSERA_MAIL_FROM: 'Tessera <auth@example.com>',
    });
    processes.push(server);
    expect((await post(`${server.url}/v1/users`, { username: 'alice', password: PASSWORD, email: 'alice@example.com' })).status).toBe(201);
    const verify = await waitForMail(inboxDir, 'Confirm your e-mail address');
    expect(verify.from?.value[0]).toMatchObject({ name: 'Tessera', address: 'auth@example.com' });
    expect(verify.to && 'text' in verify.to ? verify.to.text : '').toBe('alice@example.com');
    const verified = await post(`${server.url}/v1/email/verify`, { token: tokenOf(verify) });
    expect(await verified.json()).toEqual({ email: 'alice@example.com', emailVerified: true });

    // The SMTP server goes away: the reset request is still answered, and its mail waits.
    await sink.stop();
    const forgot = await post(`${server.url}/v1/password/forgot`, { identifier: 'alice@example.com' });
    expect(forgot.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await inbox(inboxDir)).filter((m) => m.subject === 'Reset your password')).toHaveLength(0);
    sink = await startSink(smtpPort, inboxDir);
    const reset = await waitForMail(inboxDir, 'Reset your password');
    expect((await post(`${server.url}/v1/password/reset`, { token: tokenOf(reset), newPassword: 'a brand new passphrase, rather long' })).status).toBe(204);
    const notice = await waitForMail(inboxDir, 'Your password was changed');
    expect(notice.text).toContain('every other session was signed out');
    const login = await post(`${server.url}/v1/session`, { username: 'alice', password: 'a brand new passphrase, rather long' });
    expect(login.status).toBe(200);
  });

  it('without SMTP (the embedded default), writes each message to ./data/outbox-like files and logs its link', async () => {
    const dir = tempDir('tessera-outbox');
    const server = await startServer({
      TESSERA_DATABASE_URL: `sqlite:${join(tempDir('tessera-mail'), 't.db')}`,
      TESSERA_MAIL_DIR: dir,
      TESSERA_LOG_LEVEL: 'info',
    });
    processes.push(server);
    await within(5_000, async () => server.output().includes(`mail to ${dir}`), 'the start-up line naming the mail directory');
    expect((await post(`${server.url}/v1/users`, { username: 'bob', password: PASSWORD, email: 'bob@example.com' })).status).toBe(201);
    await within(20_000, async () => readdirSync(dir).some((f) => f.endsWith('.eml')), 'an .eml file');
    const [file] = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    const mail = await simpleParser(readFileSync(join(dir, file!)));
    expect(mail.subject).toBe('Confirm your e-mail address');
    await within(5_000, async () => server.output().includes('/account/verify-email#token='), 'the logged link');
    const logged = /its link: (\S+?)"/.exec(server.output())?.[1] ?? '';
    expect(logged).toBe(/https?:\/\/\S+/.exec(mail.text ?? '')![0]);
    expect((await post(`${server.url}/v1/email/verify`, { token: tokenOf(mail) })).status).toBe(200);
  });
});
