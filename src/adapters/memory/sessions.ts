import { type Session, sessionEnd, sessionIdleEnd } from '../../core/model.js';
import type { SessionStore } from '../../core/ports.js';
import { MemoryCredentials } from './credentials.js';

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new MemoryCredentials<Session>(sessionIdleEnd, sessionEnd);

  async createSession(session: Session, cap: number, now: number): Promise<string[]> {
    return this.#sessions.create(session, cap, now);
  }

  async getSession(id: string): Promise<Session | null> {
    return this.#sessions.get(id);
  }

  async touchSession(id: string, lastSeenAt: number): Promise<void> {
    // Lazy touches from several instances may arrive out of order: use never moves back.
    this.#sessions.update(id, (s) => (lastSeenAt > s.lastSeenAt ? { ...s, lastSeenAt } : null));
  }

  async revokeSession(id: string, reason: string, now: number): Promise<Session | null> {
    return this.#sessions.revoke(id, reason, now);
  }

  async listSessions(userId: string, now: number): Promise<Session[]> {
    return this.#sessions.list(userId, now);
  }

  async countLiveSessions(now: number): Promise<number> {
    return this.#sessions.countLive(now);
  }

  async purgeSessions(before: number): Promise<number> {
    return this.#sessions.purge(before);
  }
}
