import { CliError } from './cliError.js';

const ENTER = new Set(['\r', '\n', '\u0004']);
const CTRL_C = '\u0003';
const BACKSPACE = new Set(['\u007f', '\b']);

/**
 * Reads one line from the terminal without echoing it, so that a password never shows on screen or
 * in a terminal's scrollback. The prompt goes to stderr, keeping stdout for results.
 */
export function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error: Error | null): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (ENTER.has(char)) return finish(null);
        if (char === CTRL_C) return finish(new CliError('cancelled'));
        // Drop a whole code point, so that a backspace never leaves half a surrogate pair.
        value = BACKSPACE.has(char) ? Array.from(value).slice(0, -1).join('') : value + char;
      }
    };
    // Without this, a terminal that goes away would leave nothing to wait for, and exit 0.
    const onEnd = (): void => finish(new CliError('the terminal closed before the password was entered'));
    stdin.on('data', onData);
    stdin.once('end', onEnd);
  });
}
