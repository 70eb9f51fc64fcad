import { describe, expect, it } from 'vitest';
import { decodeBase64url } from '../../src/core/crypto.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('decodeBase64url', () => {
  // The reference rule: a value is canonical when decoding and encoding again gives it back.
  const canonical = (text: string) => Buffer.from(text, 'base64url').toString('base64url') === text;

  it('accepts a last character exactly when its unused bits are zero, for every character', () => {
    for (const prefix of ['A', 'AA', 'AAAAA', 'AAAAAA']) {
      for (const last of ALPHABET) {
        const text = prefix + last;
        const decoded = decodeBase64url(text);
        expect(decoded !== null, `${text}`).toBe(canonical(text));
        if (decoded) expect(decoded.toString('base64url')).toBe(text);
      }
    }
  });

  it('refuses padding, the standard alphabet, whitespace and a length of 1 mod 4', () => {
    for (const text of ['AA==', 'A+', 'A/', 'AA A', ' AA', 'AA\n', 'AAAAA']) {
      expect(decodeBase64url(text), JSON.stringify(text)).toBeNull();
    }
  });
});
