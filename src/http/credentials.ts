import Bowser from 'bowser';
import type { CredentialView } from '../core/credentials.js';

/** A session or token family as the API shows it: times as ISO strings, the User-Agent parsed. */
export const credentialSchema = {
  type: 'object',
  required: ['id', 'kind', 'createdAt', 'lastSeenAt', 'expiresAt', 'ip', 'userAgent', 'current', 'device'],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['cookie', 'token'] },
    createdAt: { type: 'string', format: 'date-time' },
    lastSeenAt: { type: 'string', format: 'date-time', description: 'last use, recorded lazily (at most a minute late)' },
    expiresAt: { type: 'string', format: 'date-time' },
    ip: { type: 'string', description: 'the client address at sign-in' },
    userAgent: { type: 'string' },
    current: { type: 'boolean', description: 'the credential of this request' },
    device: {
      type: 'object',
      description: 'the User-Agent parsed (bowser); empty strings when it says nothing',
      required: ['browser', 'os', 'type', 'label'],
      properties: {
        browser: { type: 'string', description: 'name and major version, e.g. "Chrome 131"' },
        os: { type: 'string', description: 'e.g. "macOS", "Android 14"' },
        type: { type: 'string', description: 'desktop, mobile, tablet, tv, bot, or ""' },
        label: { type: 'string', description: 'one line for people, e.g. "Chrome 131 on macOS"' },
      },
    },
  },
} as const;

export interface Device {
  browser: string;
  os: string;
  type: string;
  label: string;
}

const seen = new Map<string, Device>();
const MEMO = 1_000;

/** Parses a User-Agent once (a small memo: lists repeat the same few agents). */
export function deviceOf(userAgent: string): Device {
  const known = seen.get(userAgent);
  if (known) return known;
  let device: Device = { browser: '', os: '', type: '', label: 'Unknown device' };
  if (userAgent) {
    const parsed = Bowser.parse(userAgent.slice(0, 512));
    const major = parsed.browser.version?.split('.')[0];
    const browser = parsed.browser.name ? `${parsed.browser.name}${major ? ` ${major}` : ''}` : '';
    const os = [parsed.os.name, parsed.os.name === 'Android' || parsed.os.name === 'iOS' ? parsed.os.version?.split('.')[0] : ''].filter(Boolean).join(' ');
    const label = browser && os ? `${browser} on ${os}` : browser || os || userAgent.slice(0, 60);
    device = { browser, os, type: parsed.platform.type ?? '', label };
  }
  if (seen.size >= MEMO) seen.delete(seen.keys().next().value as string);
  seen.set(userAgent, device);
  return device;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export const credentialJson = (c: CredentialView, currentId: string | null) => ({
  id: c.id,
  kind: c.kind,
  createdAt: iso(c.createdAt),
  lastSeenAt: iso(c.lastSeenAt),
  expiresAt: iso(c.expiresAt),
  ip: c.ip,
  userAgent: c.userAgent,
  current: c.id === currentId,
  device: deviceOf(c.userAgent),
});
