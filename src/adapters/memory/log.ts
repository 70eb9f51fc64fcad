import type { FeedMessage, RevocationEvent } from '../../core/model.js';
import type { RevocationLog } from '../../core/ports.js';

interface Row {
  message: FeedMessage;
  delivered: boolean;
}

const copy = ({ id, event }: FeedMessage): FeedMessage => ({ id, event: { ...event } });

/** The revocation log in memory; instances of one simulated deployment share it, as they share a database. */
export class MemoryRevocationLog implements RevocationLog {
  readonly #rows: Row[] = [];
  #head = 0;

  /** Appends committed events; the memory transaction calls it once the work has succeeded. */
  append(events: ReadonlyArray<{ event: RevocationEvent; delivered: boolean }>): FeedMessage[] {
    return events.map(({ event, delivered }) => {
      const message = { id: ++this.#head, event: { ...event } };
      this.#rows.push({ message, delivered });
      return copy(message);
    });
  }

  async after(after: number, limit: number): Promise<FeedMessage[]> {
    return this.#rows.filter((r) => r.message.id > after).slice(0, limit).map((r) => copy(r.message));
  }

  async head(): Promise<number> {
    return this.#head;
  }

  async since(sinceTime: number, upTo: number): Promise<FeedMessage[]> {
    return this.#rows.filter((r) => r.message.event.at >= sinceTime && r.message.id <= upTo).map((r) => copy(r.message));
  }

  async undelivered(before: number, limit: number): Promise<FeedMessage[]> {
    return this.#rows.filter((r) => !r.delivered && r.message.event.at < before).slice(0, limit).map((r) => copy(r.message));
  }

  async markDelivered(ids: readonly number[]): Promise<void> {
    const set = new Set(ids);
    for (const row of this.#rows) if (set.has(row.message.id)) row.delivered = true;
  }

  async trim(before: number): Promise<void> {
    for (let i = this.#rows.length - 1; i >= 0; i--) {
      const row = this.#rows[i];
      if (row && row.delivered && row.message.event.at < before) this.#rows.splice(i, 1);
    }
  }
}
