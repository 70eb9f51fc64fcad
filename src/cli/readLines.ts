import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export interface Line {
  /** 1-based, as an editor counts. */
  number: number;
  /** The line without its break; null when it ran past the length limit (its text is dropped). */
  text: string | null;
  /** Bytes of input up to the end of this line, for progress (an overlong line's dropped part aside). */
  offset: number;
}

/**
 * Splits a stream into lines. Pulling one chunk at a time keeps memory flat on a large file and lets
 * a slow consumer hold the stream back; a line over `maxLength` characters is reported, not buffered.
 */
export async function* readLines(stream: Readable, maxLength: number): AsyncGenerator<Line> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let overlong = false;
  let number = 0;
  let offset = 0;
  for await (const chunk of stream) {
    const parts = (pending + decoder.write(chunk as Buffer)).split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) {
      offset += Buffer.byteLength(part) + 1;
      yield { number: ++number, text: overlong || part.length > maxLength ? null : part.replace(/\r$/, ''), offset };
      overlong = false;
    }
    if (pending.length > maxLength) {
      overlong = true;
      pending = '';
    }
  }
  pending += decoder.end();
  offset += Buffer.byteLength(pending);
  if (pending !== '' || overlong) yield { number: ++number, text: overlong ? null : pending.replace(/\r$/, ''), offset };
}
