import { inspect, stripVTControlCharacters } from 'node:util';
import type { ChalkInstance } from 'chalk';
import { clip, statusTone, type Tone } from '../../../ui/format.js';
import { decodeValue } from '../../serialization.js';
import type { WaitInfo } from '../../store/types.js';

// Durations, statuses and times read the same on the page: one module, shared with it.
export { formatDuration, formatTime } from '../../../ui/format.js';

const ONE_LINE = { depth: 4, breakLength: Number.POSITIVE_INFINITY, colors: false } as const;

/** A stored value on one line, decoded so rich values read naturally, cut at `max` characters. */
export function formatValue(stored: unknown, max = 200): string {
  return clip(inspect(decodeValue(stored), ONE_LINE), max);
}

/** A call's stored input (its arguments) on one line, as a call reads: `('agents', 3)`. */
export function formatInput(stored: unknown, max = Number.POSITIVE_INFINITY): string {
  const args = decodeValue(stored);
  if (!Array.isArray(args)) return '-'; // not stored: the arguments could not be encoded
  return clip(`(${args.map((a) => inspect(a, ONE_LINE)).join(', ')})`, max);
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
  const fit = (c: string) => (width(c) <= room ? c : clip(stripVTControlCharacters(c), room));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === last ? fit(c) : c + ' '.repeat((widths[i] ?? 0) - width(c))))
      .join('  ')
      .trimEnd();
  return [color.bold(line(headers)), ...rows.map(line)].join('\n');
}

const TONE_COLORS = { ok: 'green', bad: 'red', warn: 'yellow', info: 'cyan' } as const satisfies Record<
  Tone,
  keyof ChalkInstance
>;

/** Colours a status word by its tone (the page colours it the same way). */
export function paintStatus(status: string, color: ChalkInstance): string {
  return color[TONE_COLORS[statusTone(status)]](status);
}

/** The command that replays an execution, with `--dir` if one was given. */
export function replayCommand(execId: string, dir: string | undefined): string {
  return `kitaru replay ${execId}${dir ? ` --dir ${JSON.stringify(dir)}` : ''}`;
}

/** The command that answers a wait, with `--dir` if one was given. */
export function inputCommand(execId: string, waitId: string, dir: string | undefined): string {
  return `kitaru input ${execId} ${waitId} '<json>'${dir ? ` --dir ${JSON.stringify(dir)}` : ''}`;
}

/** Who takes a parked sleep up at its wake time: the workers (queue mode), or `kitaru resume`. */
export function parkedSleepHint(execId: string, queue: boolean): string {
  return queue ? 'the workers resume it then' : `resume it then: kitaru resume ${execId}`;
}

/** The lines that show what a waiting execution waits for, and the commands that answer it. */
export function waitLines(
  execId: string,
  waits: readonly WaitInfo[],
  dir: string | undefined,
  color: ChalkInstance,
  queue = false,
): string[] {
  const lines: string[] = [];
  for (const w of waits) {
    if (w.kind === 'sleep') {
      lines.push(`sleep ${w.id}: until ${w.wakeAt}; ${parkedSleepHint(execId, queue)}`);
      continue;
    }
    lines.push(
      `wait ${w.id}: ${w.question ?? '(no question)'}${w.deadline ? color.dim(` (deadline ${w.deadline})`) : ''}`,
    );
    if (w.rejected) {
      const issues = w.rejected.issues.map((i) => `${i.path ? `${i.path}: ` : ''}${i.message}`).join('; ');
      lines.push(color.yellow(`  the last answer was refused: ${issues}`));
    }
    lines.push(`  answer it: ${inputCommand(execId, w.id, dir)}`);
  }
  return lines;
}
