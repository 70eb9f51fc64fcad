import { toIso } from '../core/clock.js';

/** Writes one line of the command's result on stdout. */
export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Writes a value as one JSON document on stdout, for scripts (`--json`). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A time for humans and for JSON alike: ISO 8601 in UTC, or "-" when there is none. */
export const when = (ms: number | null): string => (ms === null ? '-' : toIso(ms));

/** Left-aligned columns separated by two spaces, with a header row. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
