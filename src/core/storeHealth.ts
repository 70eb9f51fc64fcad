import type { Clock } from './clock.js';
import { SECOND } from './clock.js';

/** What the common causes of a store failure mean, by the code drivers give them. */
const CAUSES: ReadonlyArray<[RegExp, string]> = [
  [/^SQLITE_FULL$|^53100$|^ENOSPC$/, 'the disk is full'],
  [/^SQLITE_READONLY|^25006$|^READONLY\b|^EROFS$/, 'the database is read-only'],
  [/^EACCES$|^EPERM$|^SQLITE_PERM$|^SQLITE_AUTH$/, 'permission is denied'],
  [/^28P01$|^28000$|^NOAUTH\b|^WRONGPASS\b/, 'the credentials are refused'],
  [/^3D000$|^3F000$/, 'the database or schema does not exist'],
  [/^SQLITE_CANTOPEN/, 'the database file cannot be opened'],
  [/^ENOENT$/, 'its directory does not exist and cannot be made'],
  [/^SQLITE_IOERR/, 'a disk I/O error'],
  [/^SQLITE_(BUSY|LOCKED)/, 'the database is locked by another writer'],
  [/^SQLITE_CORRUPT|^SQLITE_NOTADB/, 'the database file is damaged'],
  [/^ECONNREFUSED$/, 'the connection was refused'],
  [/^(ECONNRESET|EPIPE|57P01|08\d{3})$/, 'the connection was lost'],
  [/^(ETIMEDOUT|TIMEOUT)$/, 'it timed out'],
  [/^ENOTFOUND$|^EAI_AGAIN$/, 'its host name does not resolve'],
  [/^OOM\b/, 'it is out of memory'],
];

/** The code of an error or of the first cause in its chain that has one (a driver's, or a message's first word). */
export function causeCode(error: unknown): string | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'unavailable') return code;
    if (e.message === 'Command timed out') return 'TIMEOUT';
    if (/^(READONLY|OOM|NOAUTH|WRONGPASS)\b/.test(e.message)) return e.message.split(' ', 1)[0] ?? null;
    if (e.message === 'Connection is closed.' || /enableOfflineQueue/.test(e.message)) return 'ECONNRESET';
  }
  return null;
}

/** "the disk is full (SQLITE_FULL)": what an operator reads in a 503's detail and in the log. */
export function describeCause(error: unknown): string {
  const code = causeCode(error);
  if (code === null) return 'it did not answer';
  const meaning = CAUSES.find(([pattern]) => pattern.test(code))?.[1] ?? 'it failed';
  return `${meaning} (${code})`;
}

/** What an operator can do about a cause, for start-up errors. */
const HINTS: ReadonlyArray<[RegExp, string]> = [
  [/^SQLITE_FULL$|^53100$|^ENOSPC$/, 'free space on the disk that holds the database'],
  [/^SQLITE_READONLY|^EROFS$|^EACCES$|^EPERM$|^SQLITE_CANTOPEN|^ENOENT$/, 'check that the database file and its directory exist and are writable by this user, on a file system mounted read-write'],
  [/^25006$|^READONLY\b/, 'point the URL at the primary, not a read-only replica'],
  [/^ECONNREFUSED$|^ENOTFOUND$|^EAI_AGAIN$|^TIMEOUT$|^ETIMEDOUT$/, 'check that the server runs and that the host and port in the URL are right'],
  [/^28P01$|^28000$|^NOAUTH\b|^WRONGPASS\b/, 'check the user and password in the URL'],
  [/^3D000$/, 'create the database, or fix its name in the URL'],
];

export function hintFor(error: unknown): string | null {
  const code = causeCode(error);
  return code === null ? null : (HINTS.find(([pattern]) => pattern.test(code))?.[1] ?? null);
}

/** How long a failure keeps /readyz at 503 after it happened: a full disk may still take small writes. */
export const FAILURE_WINDOW_MS = 5 * SECOND;

export interface StoreFailure {
  store: string;
  at: number;
  cause: string;
}

/** The last store failure this instance saw, for readiness: a store that just failed is not ready. */
export class StoreHealth {
  readonly #clock: Clock;
  #last: StoreFailure | null = null;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  failed(store: string, cause: unknown): void {
    this.#last = { store, at: this.#clock.now(), cause: describeCause(cause) };
  }

  /** The latest failure within the window, or null. */
  recent(): StoreFailure | null {
    const last = this.#last;
    return last && this.#clock.now() - last.at < FAILURE_WINDOW_MS ? last : null;
  }
}
