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

/** A stored value on one line, decoded so rich values read naturally, cut at `max` characters. */
export function formatValue(stored: unknown, max = 200): string {
  const text = inspect(decodeValue(stored), {
    depth: 4,
    breakLength: Number.POSITIVE_INFINITY,
    colors: false,
  });
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Plain columns, padded; ANSI colour codes do not count towards width. */
export function table(headers: string[], rows: string[][], color: ChalkInstance): string {
  const width = (s: string) => stripVTControlCharacters(s).length;
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - width(c))))
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
