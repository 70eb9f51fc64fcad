/**
 * An operator's mistake (a bad argument, an unknown user): the CLI prints the message on one line and
 * exits 1, followed by the command's usage when `usage` is set.
 */
export class CliError extends Error {
  override name = 'CliError';
  readonly usage: string | undefined;

  constructor(message: string, usage?: string) {
    super(message);
    this.usage = usage;
  }
}
