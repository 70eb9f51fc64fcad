import type { Config } from '../config.js';

/** One command line form, such as `tessera user create`. */
export interface Command {
  /** The synopsis and options, shown by `--help` and after a usage error. */
  usage: string;
  /** Returns the exit code. Throws CliError, AuthError or ConfigError for an operator's mistake. */
  run(args: string[], config: Readonly<Config>): Promise<number>;
}

/** A noun with verbs, such as `tessera user`. */
export interface CommandGroup {
  summary: string;
  verbs: Readonly<Record<string, Command>>;
}
