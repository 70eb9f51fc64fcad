import type { Clock } from './clock.js';
import { HOUR, MINUTE, SECOND } from './clock.js';
import type { MailJob, MailQueue, MailTransport, OutgoingMail } from './lifecyclePorts.js';

/** What Tessera writes to users; each message has a plain-text and an HTML part. */
export type MailMessage =
  | { kind: 'verify_email'; username: string; link: string; hours: number }
  | { kind: 'reset_password'; username: string; link: string; minutes: number }
  | { kind: 'password_changed'; username: string; at: string }
  | { kind: 'factor_changed'; username: string; change: 'added' | 'removed'; factor: string; at: string };

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const FACTOR_CHANGE = { added: 'added to your account', removed: 'removed from your account' } as const;

interface Template {
  subject: string;
  paragraphs: string[];
  link?: { href: string; label: string };
}

function template(message: MailMessage): Template {
  const hello = `Hello ${message.username},`;
  const notYou = 'If this was not you, reset your password now and contact your administrator.';
  switch (message.kind) {
    case 'verify_email':
      return {
        subject: 'Confirm your e-mail address',
        paragraphs: [hello, `Follow this link within ${message.hours} hours to confirm that this address is yours.`, 'If you did not ask for this, ignore this message.'],
        link: { href: message.link, label: 'Confirm this address' },
      };
    case 'reset_password':
      return {
        subject: 'Reset your password',
        paragraphs: [hello, `Follow this link within ${message.minutes} minutes to choose a new password. It works once.`, 'If you did not ask for this, ignore this message: your password stays as it is.'],
        link: { href: message.link, label: 'Choose a new password' },
      };
    case 'password_changed':
      return { subject: 'Your password was changed', paragraphs: [hello, `Your password was changed at ${message.at}, and every other session was signed out.`, notYou] };
    case 'factor_changed':
      return {
        subject: `A second factor was ${message.change}`,
        paragraphs: [hello, `${message.factor} was ${FACTOR_CHANGE[message.change]} at ${message.at}.`, notYou],
      };
  }
}

/** Renders a message for one address: plain text, and HTML with every value escaped. */
export function renderMail(to: string, message: MailMessage): OutgoingMail {
  const { subject, paragraphs, link } = template(message);
  const text = [...paragraphs.slice(0, 2), ...(link ? [link.href] : []), ...paragraphs.slice(2), '-- Tessera'].join('\n\n');
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`);
  if (link) body.splice(2, 0, `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p>`);
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">${body.join('')}<p>-- Tessera</p></body></html>`;
  return { to, subject, text, html };
}

/** What the worker does with a job that is not a rendered mail (a reset request, resolved off the request path). */
export type JobResolver = (job: MailJob) => Promise<void>;

const BATCH = 20;
/** A claimed job is the worker's for this long; after it, another instance may take it again. */
const LEASE_MS = 2 * MINUTE;

/** Back-off after the nth failed attempt: 10 s, doubling, at most an hour. A job is never dropped. */
export const retryDelay = (attempts: number): number => Math.min(10 * SECOND * 2 ** attempts, HOUR);

/**
 * Drains the durable mail queue: claims due jobs (so instances never send one twice), sends each or
 * resolves it, and records a failure with the next attempt's time. SMTP being down only delays mail.
 */
export class Mailer {
  readonly #queue: MailQueue;
  readonly #transport: MailTransport;
  readonly #clock: Clock;
  readonly #resolve: JobResolver;
  readonly #open: (payload: string) => string;
  #running: Promise<number> | null = null;

  constructor(deps: { queue: MailQueue; transport: MailTransport; clock: Clock; resolve: JobResolver; open?: (payload: string) => string }) {
    this.#open = deps.open ?? ((payload) => payload);
    this.#queue = deps.queue;
    this.#transport = deps.transport;
    this.#clock = deps.clock;
    this.#resolve = deps.resolve;
  }

  get describe(): string {
    return this.#transport.describe;
  }

  /** One pass over the due jobs; resolves with how many were done. A pass already running is joined. */
  drain(): Promise<number> {
    this.#running ??= this.#drain().finally(() => (this.#running = null));
    return this.#running;
  }

  async #drain(): Promise<number> {
    let done = 0;
    for (;;) {
      const now = this.#clock.now();
      const jobs = await this.#queue.claim(now, now + LEASE_MS, BATCH);
      // Until nothing is due: a resolved reset request queues its mail, which goes in the same pass.
      if (jobs.length === 0) return done;
      for (const job of jobs) if (await this.#run(job)) done++;
    }
  }

  async #run(job: MailJob): Promise<boolean> {
    try {
      const opened = { ...job, payload: this.#open(job.payload) };
      if (job.kind === 'mail') await this.#transport.send(JSON.parse(opened.payload) as OutgoingMail);
      else await this.#resolve(opened);
      await this.#queue.markSent(job.id, this.#clock.now());
      return true;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await this.#queue.markFailed(job.id, reason, this.#clock.now() + retryDelay(job.attempts));
      return false;
    }
  }
}
