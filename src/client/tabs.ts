/**
 * What tabs of one origin tell each other: new tokens, new expiry times, sign-outs. BroadcastChannel
 * where there is one; otherwise the `storage` event (a key written and removed at once). No lock:
 * Tessera converges concurrent refreshes of one token by itself (API.md, "Tokens", reuse interval).
 */
export type TabMessage =
  | { type: 'tokens'; access?: string; refresh?: string; expiresAt: number; csrf?: string; user?: unknown }
  | { type: 'signedIn'; user: unknown; expiresAt: number | null; csrf?: string; access?: string; refresh?: string }
  | { type: 'signedOut'; reason: string }
  | { type: 'hello' };

export interface TabBus {
  post(message: TabMessage): void;
  close(): void;
}

interface StorageLike {
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}
interface WindowLike {
  localStorage?: StorageLike;
  addEventListener(type: 'storage', listener: (event: { key: string | null; newValue: string | null }) => void): void;
  removeEventListener(type: 'storage', listener: (event: { key: string | null; newValue: string | null }) => void): void;
}

/** Opens the bus named `name`, or a silent one where neither mechanism exists (Node, a worker without either). */
export function openTabBus(name: string, onMessage: (message: TabMessage) => void): TabBus {
  const id = Math.random().toString(36).slice(2);
  if (typeof BroadcastChannel === 'function') {
    const channel = new BroadcastChannel(name);
    channel.onmessage = (event: MessageEvent) => onMessage(event.data as TabMessage);
    return { post: (message) => channel.postMessage(message), close: () => channel.close() };
  }
  const win = (globalThis as { window?: WindowLike }).window;
  const storage = win?.localStorage;
  if (!win || !storage) return { post: () => undefined, close: () => undefined };
  const key = `${name}:message`;
  const listener = (event: { key: string | null; newValue: string | null }) => {
    if (event.key !== key || !event.newValue) return;
    const { from, message } = JSON.parse(event.newValue) as { from: string; message: TabMessage };
    if (from !== id) onMessage(message);
  };
  win.addEventListener('storage', listener);
  return {
    post(message) {
      // The value lives only between these two calls; other tabs see it in their storage event.
      storage.setItem(key, JSON.stringify({ from: id, message, nonce: Math.random() }));
      storage.removeItem(key);
    },
    close: () => win.removeEventListener('storage', listener),
  };
}
