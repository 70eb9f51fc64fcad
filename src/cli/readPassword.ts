import { CliError } from './cliError.js';
import { promptHidden } from './promptHidden.js';

/** Far above the longest password the policy allows (256 code points), so that a stray file is refused early. */
const MAX_STDIN_BYTES = 4096;

/**
 * The password piped on stdin (`--password-stdin`), without the one line break that `echo` or a
 * here-string adds. Reading it from stdin keeps it out of the process list and the shell history.
 */
export async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_STDIN_BYTES) throw new CliError(`the password on stdin is longer than ${MAX_STDIN_BYTES} bytes`);
    chunks.push(buffer);
  }
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (password === '') throw new CliError('no password on stdin');
  return password;
}

/** Asks twice on the terminal, hidden; refuses when stdin is not a terminal, rather than hang or echo. */
export async function promptNewPassword(username: string): Promise<string> {
  if (!process.stdin.isTTY) throw new CliError('stdin is not a terminal: pipe the password with --password-stdin');
  const password = await promptHidden(`Password for ${username}: `);
  if (password === '') throw new CliError('no password given');
  if ((await promptHidden('Repeat it: ')) !== password) throw new CliError('the passwords do not match');
  return password;
}
