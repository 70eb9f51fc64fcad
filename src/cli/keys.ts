import type { KeyState } from '../core/keyring.js';
import type { Tessera } from '../core/tessera.js';
import { parseCommandArgs } from './args.js';
import type { Command, CommandGroup } from './command.js';
import { formatTable, print, printJson, when } from './output.js';
import { withTessera } from './withTessera.js';

interface KeyView {
  kid: string;
  alg: string;
  /** next (published, signs from activatesAt), active (signs), retiring (published until publishedUntil), retired. */
  state: KeyState;
  createdAt: string;
  activatesAt: string;
  retiredAt: string | null;
  /** When the key leaves the JWKS; null while no newer key is scheduled. */
  publishedUntil: string | null;
}

/** The keys as the keyring itself describes them, so the states and times shown are the ones the servers follow. */
async function keyViews(tessera: Tessera): Promise<KeyView[]> {
  return (await tessera.describeKeys()).map((key) => ({
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    createdAt: when(key.createdAt),
    activatesAt: when(key.activatesAt),
    retiredAt: key.retiredAt === null ? null : when(key.retiredAt),
    publishedUntil: key.publishedUntil === null ? null : when(key.publishedUntil),
  }));
}

const LIST_USAGE = `Usage: tessera keys list [--json]

Lists the stored signing keys, newest first, each with its state:
  next      published in the JWKS, signs from SIGNS FROM (once every cached JWKS has it)
  active    signs
  retiring  no longer signs; stays in the JWKS until the tokens it signed have expired
  retired   out of the JWKS; deleted at the next rotation`;

const list: Command = {
  usage: LIST_USAGE,
  async run(args, config) {
    const { values } = parseCommandArgs(args, { json: { type: 'boolean' } }, [], LIST_USAGE);
    const views = await withTessera(config, keyViews);
    if (values.json) {
      printJson({ keys: views });
      return 0;
    }
    const rows = views.map((v) => [v.kid, v.alg, v.state, v.createdAt, v.activatesAt, v.retiredAt ?? '-', v.publishedUntil ?? '-']);
    print(views.length === 0 ? 'no stored keys' : formatTable(['KID', 'ALG', 'STATE', 'CREATED', 'SIGNS FROM', 'STOPS SIGNING', 'IN JWKS UNTIL'], rows));
    if (config.signingAlg === 'HS256') print('HS256 signs with TESSERA_HS256_SECRET, which is never stored or published');
    return 0;
  },
};

const ROTATE_USAGE = `Usage: tessera keys rotate

Makes a new signing key (TESSERA_SIGNING_ALG), published in the JWKS at once. Running servers sign
with it once every verifier's cached JWKS has it (100 s: a key reload, the JWKS max-age of 60 s and
a margin); the key it replaces signs until then, and stays in the JWKS until every token it signed
has expired.`;

const rotate: Command = {
  usage: ROTATE_USAGE,
  async run(args, config) {
    parseCommandArgs(args, {}, [], ROTATE_USAGE);
    const { key, until } = await withTessera(config, async (tessera) => {
      const key = await tessera.rotateKeys(null);
      return { key, until: when(key.activatesAt + tessera.lifetimes.keyRetainMs) };
    });
    print(`new signing key ${key.kid} (${key.alg}), in the JWKS now, signing from ${when(key.activatesAt)}`);
    print(`the keys it replaces stay in the JWKS until ${until}`);
    return 0;
  },
};

export const keysCommands: CommandGroup = {
  summary: 'list and rotate the signing keys',
  verbs: { list, rotate },
};
