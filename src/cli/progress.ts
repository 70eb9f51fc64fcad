/** What the import has done so far. */
export interface ImportCounts {
  lines: number;
  created: number;
  taken: number;
  invalid: number;
}

const BAR_WIDTH = 24;
const TTY_REDRAW_MS = 100;
const LOG_EVERY_MS = 2000;

/**
 * The import's progress on stderr: on a terminal one line redrawn in place with \r, otherwise a line
 * every two seconds, so that a log stays readable. The share done is by bytes of the file read.
 */
export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #totalBytes: number;
  readonly #started = Date.now();
  #lastDraw = 0;
  #bytes = 0;

  constructor(stream: NodeJS.WriteStream, totalBytes: number) {
    this.#stream = stream;
    this.#totalBytes = totalBytes;
  }

  update(counts: ImportCounts, bytes: number): void {
    // Lines finish out of order; the share shown never goes back.
    this.#bytes = Math.max(this.#bytes, bytes);
    const now = Date.now();
    if (now - this.#lastDraw < (this.#stream.isTTY ? TTY_REDRAW_MS : LOG_EVERY_MS)) return;
    this.#lastDraw = now;
    this.#draw(counts, this.#bytes, false);
  }

  finish(counts: ImportCounts): void {
    this.#draw(counts, this.#totalBytes, true);
  }

  #draw(counts: ImportCounts, bytes: number, last: boolean): void {
    const share = this.#totalBytes === 0 ? 1 : Math.min(1, bytes / this.#totalBytes);
    const seconds = Math.max((Date.now() - this.#started) / 1000, 0.001);
    const done = counts.created + counts.taken + counts.invalid;
    const status = `${Math.floor(share * 100)}%  ${counts.created} created, ${counts.taken} taken, ${counts.invalid} invalid  ${Math.round(done / seconds)}/s`;
    if (!this.#stream.isTTY) {
      this.#stream.write(`import: ${status}\n`);
      return;
    }
    const filled = Math.round(share * BAR_WIDTH);
    // \x1b[K clears what a longer previous line left behind.
    this.#stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${status}\x1b[K${last ? '\n' : ''}`);
  }
}
