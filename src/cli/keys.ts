import type { Tessera } from '../core/tessera.js';
import { parseCommandArgs } from './args.js';
import type { Command, CommandGroup } from './command.js';
import { formatTable, print, printJson, when } from './output.js';
import { withTessera } from './withTessera.js';

interface KeyView {
  kid: string;
  alg: string;
  createdAt: string;
  retiredAt: string;
  signing: boolean;
  /** When the key leaves the JWKS; null while it signs. */
  publishedUntil: string | null;
}

/** The keys as the keyring itself describes them, so the times shown are the ones the server keeps. */
async function keyViews(tessera: Tessera): Promise<KeyView[]> {
  return (await tessera.describeKeys()).map((key) => ({
    kid: key.kid,
    alg: key.alg,
    createdAt: when(key.createdAt),
    retiredAt: when(key.retiredAt),
    signing: key.signing,
    publishedUntil: key.publishedUntil === null ? null : when(key.publishedUntil),
  }));
}

const LIST_USAGE = `Usage: tessera keys list [--json]

Lists the stored signing keys, newest first: the one that signs, and retired ones that stay in the
JWKS until the tokens they signed have expired.`;

const list: Command = {
  usage: LIST_USAGE,
  async run(args, config) {
    const { values } = parseCommandArgs(args, { json: { type: 'boolean' } }, [], LIST_USAGE);
    const views = await withTessera(config, keyViews);
    if (values.json) {
      printJson({ keys: views });
      return 0;
    }
    const now = Date.now();
    const published = (v: KeyView): string =>
      v.publishedUntil === null ? 'yes' : Date.parse(v.publishedUntil) > now ? `until ${v.publishedUntil}` : 'no';
    const rows = views.map((v) => [v.kid, v.alg, v.createdAt, v.retiredAt, v.signing ? 'yes' : 'no', published(v)]);
    print(views.length === 0 ? 'no stored keys' : formatTable(['KID', 'ALG', 'CREATED', 'RETIRED', 'SIGNS', 'IN JWKS'], rows));
    if (config.signingAlg === 'HS256') print('HS256 signs with TESSERA_HS256_SECRET, which is never stored or published');
    return 0;
  },
};

const ROTATE_USAGE = `Usage: tessera keys rotate

Makes a new signing key (TESSERA_SIGNING_ALG). Running servers sign with it within 30 s; the old
key stays in the JWKS until every token it signed has expired.`;

const rotate: Command = {
  usage: ROTATE_USAGE,
  async run(args, config) {
    parseCommandArgs(args, {}, [], ROTATE_USAGE);
    const { key, until } = await withTessera(config, async (tessera) => {
      const key = await tessera.rotateKeys(null);
      return { key, until: when(key.createdAt + tessera.lifetimes.keyRetainMs) };
    });
    print(`new signing key ${key.kid} (${key.alg})`);
    print(`older keys stay in the JWKS until ${until}`);
    return 0;
  },
};

export const keysCommands: CommandGroup = {
  summary: 'list and rotate the signing keys',
  verbs: { list, rotate },
};
