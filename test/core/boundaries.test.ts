import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** STYLE.md habit 1: the core imports no driver, no framework, and never reads process.env. */
const CORE = new URL('../../src/core/', import.meta.url).pathname;
const FORBIDDEN = ['pg', 'ioredis', 'better-sqlite3', 'kysely', 'fastify', '@fastify/', 'prom-client', '@node-rs/argon2'];

const sources = readdirSync(CORE)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => ({ file, text: readFileSync(join(CORE, file), 'utf8') }));

/** Protocol libraries that compute and do no I/O: JOSE, TOTP (RFC 6238), WebAuthn, QR codes. */
const PROTOCOLS = ['jose', 'otpauth', '@simplewebauthn/server', 'qrcode'];

describe('the core boundary', () => {
  it('has files to check', () => {
    expect(sources.length).toBeGreaterThan(10);
  });

  it('allows the protocol libraries, never a driver or framework', () => {
    expect(PROTOCOLS.some((name) => FORBIDDEN.includes(name))).toBe(false);
  });

  it.each(sources)('$file imports nothing outside the core but node: and the protocol libraries, and reads no environment', ({ file, text }) => {
    const imports = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((match) => match[1]!);
    for (const specifier of imports) {
      expect(FORBIDDEN.some((name) => specifier === name || specifier.startsWith(name.endsWith('/') ? name : `${name}/`))).toBe(false);
      if (specifier.startsWith('.')) {
        // A relative import must stay inside src/core: the core never imports upward (http/, verify/, adapters/).
        const target = resolve(dirname(join(CORE, file)), specifier);
        expect(target.startsWith(CORE), `${file} imports ${specifier}`).toBe(true);
      } else {
        expect(specifier.startsWith('node:') || PROTOCOLS.includes(specifier), `${file} imports ${specifier}`).toBe(true);
      }
    }
    expect(text).not.toMatch(/process\.env/);
  });

  it('catches an upward import', () => {
    const target = resolve(CORE, '../verify/tokenVerifier.js');
    expect(target.startsWith(CORE)).toBe(false);
  });
});
