import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildBlocklist } from '../core/credentialPolicy.js';

/**
 * The bundled list of commonly breached passwords: the password dictionary of
 * @zxcvbn-ts/language-common (about 49,000 entries, well above ASVS's top 3,000), as a Set.
 */
export function loadBlocklist(): ReadonlySet<string> {
  const path = createRequire(import.meta.url).resolve('@zxcvbn-ts/language-common/src/passwords.json');
  return buildBlocklist(JSON.parse(readFileSync(path, 'utf8')) as string[]);
}
