import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** STYLE.md habit 1: the core imports no driver, no framework, and never reads process.env. */
const CORE = new URL('../../src/core/', import.meta.url).pathname;
const FORBIDDEN = ['pg', 'ioredis', 'better-sqlite3', 'kysely', 'fastify', '@fastify/', 'prom-client', '@node-rs/argon2'];

const sources = readdirSync(CORE)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => ({ file, text: readFileSync(join(CORE, file), 'utf8') }));

describe('the core boundary', () => {
  it('has files to check', () => {
    expect(sources.length).toBeGreaterThan(10);
  });

  it.each(sources)('$file imports no driver or framework and reads no environment', ({ text }) => {
    const imports = [...text.matchAll(/from '([^']+)'/g)].map((match) => match[1]!);
    for (const specifier of imports) {
      expect(FORBIDDEN.some((name) => specifier === name || specifier.startsWith(name.endsWith('/') ? name : `${name}/`))).toBe(false);
      expect(specifier.startsWith('.') || specifier.startsWith('node:') || specifier === 'jose').toBe(true);
    }
    expect(text).not.toMatch(/process\.env/);
  });
});
