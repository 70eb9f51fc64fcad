import type { Readable } from 'node:stream';
import { usernameKey } from '../core/credentialPolicy.js';
import { AuthError, isAuthError } from '../core/errors.js';
import type { Tessera } from '../core/tessera.js';

/** What an import needs: registration, by the same rules as HTTP. */
type Registrar = Pick<Tessera, 'register'>;
import { type ImportEntry, parseImportEntry } from './importEntry.js';
import type { ImportCounts } from './progress.js';
import { readLines } from './readLines.js';
import { TaskPool } from './taskPool.js';

export interface ImportSummary extends ImportCounts {
  /** Line numbers whose name was taken already, in the store or earlier in the file. */
  takenLines: number[];
  invalidLines: Array<{ line: number; reason: string }>;
}

export interface ImportOptions {
  /** Accounts created at once: the hasher's concurrency, so that hashing never waits in its queue. */
  concurrency: number;
  onProgress?: (counts: ImportCounts, bytes: number) => void;
}

/** Far above any valid line (a name of 64 and a password of 256 code points), so that junk is cut short. */
const MAX_LINE = 16 * 1024;
const RETRIES = 20;

/**
 * Creates users from JSON lines through `Tessera.register`, the same rules as HTTP registration, with
 * `concurrency` hashes in flight. A taken name is skipped and an invalid line is reported; any other
 * failure stops the import and is thrown once the accounts in flight are done.
 */
export async function importUsers(users: Registrar, input: Readable, options: ImportOptions): Promise<ImportSummary> {
  const summary: ImportSummary = { lines: 0, created: 0, taken: 0, invalid: 0, takenLines: [], invalidLines: [] };
  const pool = new TaskPool(options.concurrency);
  // Failures other than a taken name or an invalid line: the first one stops the import.
  const failures: unknown[] = [];
  const inFlight = new Map<string, Promise<boolean>>();
  for await (const { number, text, offset } of readLines(input, MAX_LINE)) {
    if (failures.length > 0) break;
    if (text?.trim() === '') continue;
    summary.lines++;
    const entry = text === null ? `longer than ${MAX_LINE} characters` : parseImportEntry(text);
    if (typeof entry === 'string') {
      summary.invalid++;
      summary.invalidLines.push({ line: number, reason: entry });
      continue;
    }
    const key = usernameKey(entry.username);
    await pool.add(() => {
      const created = createOne(users, entry, number, summary, inFlight.get(key));
      track(inFlight, key, created);
      return created.then(
        () => options.onProgress?.(summary, offset),
        (error: unknown) => void failures.push(error),
      );
    });
  }
  await pool.drain();
  if (failures.length > 0) throw failures[0];
  summary.takenLines.sort((a, b) => a - b);
  summary.invalidLines.sort((a, b) => a.line - b.line);
  return summary;
}

/**
 * A name repeated in the file goes to its first valid line, whichever hash finishes first: a later line
 * waits for an earlier one still in flight. Only lines in flight are kept, so memory stays flat.
 */
function track(inFlight: Map<string, Promise<boolean>>, key: string, created: Promise<boolean>): void {
  const settled = created.catch(() => false);
  inFlight.set(key, settled);
  void settled.then(() => inFlight.get(key) === settled && inFlight.delete(key));
}

/** Creates one user; true when it did. `earlier` is a line before it with the same name, still in flight. */
async function createOne(users: Registrar, entry: ImportEntry, line: number, summary: ImportSummary, earlier?: Promise<boolean>): Promise<boolean> {
  try {
    if (earlier && (await earlier)) throw new AuthError('username_taken');
    await registerPatiently(users, entry);
    summary.created++;
    return true;
  } catch (error) {
    if (isAuthError(error, 'username_taken')) {
      summary.taken++;
      summary.takenLines.push(line);
    } else if (isAuthError(error, 'validation_failed')) {
      summary.invalid++;
      const reasons = (error.errors ?? []).map((field) => `${field.field}: ${field.message} (${field.code})`);
      summary.invalidLines.push({ line, reason: reasons.join('; ') || error.message });
    } else {
      throw error;
    }
    return false;
  }
}

/**
 * The hasher refuses work when its queue is full; one hash it started on its own (the equal-work
 * dummy) can briefly take a slot the pool counted on, so a refusal is retried after a pause.
 */
async function registerPatiently(users: Registrar, entry: ImportEntry): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await users.register(entry.username, entry.password, null, entry.role);
      return;
    } catch (error) {
      if (!isAuthError(error, 'unavailable') || attempt >= RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
    }
  }
}
