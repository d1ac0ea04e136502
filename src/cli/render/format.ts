import { inspect, stripVTControlCharacters } from 'node:util';
import type { ChalkInstance } from 'chalk';
import { decodeValue } from '../../serialization.js';

/** `830ms`, `2.41s`, `3m05s`. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

const ONE_LINE = { depth: 4, breakLength: Number.POSITIVE_INFINITY, colors: false } as const;

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** A stored value on one line, decoded so rich values read naturally, cut at `max` characters. */
export function formatValue(stored: unknown, max = 200): string {
  return cut(inspect(decodeValue(stored), ONE_LINE), max);
}

/** A call's stored input (its arguments) on one line, as a call reads: `('agents', 3)`. */
export function formatInput(stored: unknown, max = Number.POSITIVE_INFINITY): string {
  const args = decodeValue(stored);
  if (!Array.isArray(args)) return '-'; // not stored: the arguments could not be encoded
  return cut(`(${args.map((a) => inspect(a, ONE_LINE)).join(', ')})`, max);
}

/** Narrowest the last column of a table is cut to, however wide the other columns are. */
const MIN_LAST_COLUMN = 24;

/**
 * Plain columns, padded; ANSI colour codes do not count towards width. The last column is cut
 * (with `…`) so that lines fit in `maxWidth`, though never below a few characters.
 */
export function table(
  headers: string[],
  rows: string[][],
  color: ChalkInstance,
  maxWidth = Number.POSITIVE_INFINITY,
): string {
  const width = (s: string) => stripVTControlCharacters(s).length;
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const last = headers.length - 1;
  const room = Math.max(maxWidth - widths.slice(0, last).reduce((sum, w) => sum + w + 2, 0), MIN_LAST_COLUMN);
  const fit = (c: string) => (width(c) <= room ? c : cut(stripVTControlCharacters(c), room));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === last ? fit(c) : c + ' '.repeat((widths[i] ?? 0) - width(c))))
      .join('  ')
      .trimEnd();
  return [color.bold(line(headers)), ...rows.map(line)].join('\n');
}

/** Colours a status word. */
export function paintStatus(status: string, color: ChalkInstance): string {
  switch (status) {
    case 'completed':
      return color.green(status);
    case 'failed':
    case 'crashed':
      return color.red(status);
    case 'cancelled':
      return color.yellow(status);
    default:
      return color.cyan(status);
  }
}

/** The command that replays an execution, with `--dir` if one was given. */
export function replayCommand(execId: string, dir: string | undefined): string {
  return `kitaru replay ${execId}${dir ? ` --dir ${JSON.stringify(dir)}` : ''}`;
}
