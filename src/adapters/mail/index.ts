import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailTransport, OutgoingMail } from '../../core/lifecyclePorts.js';

const message = (from: string, mail: OutgoingMail) => ({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });

/** Mail over SMTP (TESSERA_SMTP_URL, e.g. `smtp://user:pass@host:587` or `smtps://…`), with nodemailer. */
export class SmtpMailTransport implements MailTransport {
  readonly describe: string;
  readonly #transporter: Transporter;
  readonly #from: string;

  constructor(url: string, from: string) {
    const parsed = new URL(url);
    this.describe = `${parsed.protocol}//${parsed.host}`;
    // Short timeouts: a worker waiting on a dead server only delays the next attempt; the queue keeps the mail.
    this.#transporter = nodemailer.createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 } as never);
    this.#from = from;
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.#transporter.sendMail(message(this.#from, mail));
  }
}

/**
 * The embedded default, with no SMTP server: each message becomes an `.eml` file in a directory, and
 * `onWritten` (the log) names the file and the message's first link, so a developer can follow it.
 */
export class FileMailTransport implements MailTransport {
  readonly describe: string;
  readonly #dir: string;
  readonly #from: string;
  readonly #onWritten: (path: string, mail: OutgoingMail, link: string | null) => void;
  readonly #builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

  constructor(dir: string, from: string, onWritten: (path: string, mail: OutgoingMail, link: string | null) => void = () => undefined) {
    this.#dir = resolve(dir);
    this.describe = this.#dir;
    this.#from = from;
    this.#onWritten = onWritten;
  }

  async send(mail: OutgoingMail): Promise<void> {
    const info = (await this.#builder.sendMail(message(this.#from, mail))) as { message: Buffer; messageId: string };
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    // The time, then the Message-ID's local part (a UUID): sorted by time, never two alike.
    const id = /^<?([^@>]+)/.exec(info.messageId)?.[1] ?? String(Date.now());
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${id.replace(/[^\w-]/g, '')}.eml`;
    const path = join(this.#dir, name);
    await writeFile(path, info.message, { mode: 0o600 });
    this.#onWritten(path, mail, /https?:\/\/\S+/.exec(mail.text)?.[0] ?? null);
  }
}

/** Keeps what it is given, for tests; `failing` makes every send reject, as a server that is down. */
export class MemoryMailTransport implements MailTransport {
  readonly describe = 'memory';
  readonly sent: OutgoingMail[] = [];
  failing = false;

  async send(mail: OutgoingMail): Promise<void> {
    if (this.failing) throw new Error('the mail server is down (simulated)');
    this.sent.push(mail);
  }

  /** The first link of the newest message to `to` whose subject matches. */
  linkTo(to: string, subject: RegExp): string | null {
    const mail = this.sent.findLast((m) => m.to === to && subject.test(m.subject));
    return mail ? (/https?:\/\/\S+/.exec(mail.text)?.[0] ?? null) : null;
  }
}
