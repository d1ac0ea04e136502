import { existsSync, readFileSync } from 'node:fs';
import { basename, extname, join, normalize } from 'node:path';
import { KitaruUsageError } from '../errors.js';
import { parseDuration } from '../runtime/duration.js';
import { loadPeer } from '../store/postgres/load-peer.js';
import { tokenize } from './crontab-tokens.js';

/** The schedules' file, at the project root. */
export const CRONTAB_FILE = 'kitaru.crontab';

/** A schedule's name: what its executions' ids start with (`<name>@<tick time>`). */
const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** One line of `kitaru.crontab`: a flow that the workers start on a cron schedule. */
export interface Schedule {
  /** `--name`, else the flow file's base name (with `.<flow>` after it when `--flow` is given). */
  name: string;
  /** The cron expression: five fields (minute hour day-of-month month day-of-week), in UTC. */
  cron: string;
  /** The flow file, relative to the project root. */
  file: string;
  /** `--flow`: which flow of the file; null for its default (or only) flow. */
  flow: string | null;
  /** `--args` (a JSON array is spread, any other value is the one argument). @default [] */
  args: unknown[];
  /** `--backfill`: at worker start, ticks missed up to this long ago (ms) are run. @default 0 */
  backfillMs: number;
  /** Its line in `kitaru.crontab`, from 1. */
  line: number;
}

/** Tells whether a moment (its UTC minute) is a tick of a cron expression. */
export type CronMatcher = (at: Date) => boolean;

/** What reading the crontab needs from graphile-worker: its cron parser. */
export interface CronParser {
  /** A matcher for a cron expression; throws a message saying what is wrong with it. */
  matcher(cron: string): CronMatcher;
}

/** graphile-worker's own cron parser and matcher (UTC, as its cron runs). */
export async function graphileCronParser(): Promise<CronParser> {
  const gw = await loadPeer('graphile-worker');
  return {
    matcher(cron) {
      const item = gw.parseCronItem({ task: 'kitaru_schedule', match: cron }, 'the cron expression');
      return (at) =>
        item.match({
          min: at.getUTCMinutes(),
          hour: at.getUTCHours(),
          date: at.getUTCDate(),
          month: at.getUTCMonth() + 1,
          dow: at.getUTCDay(),
        });
    },
  };
}

/** A parsed `kitaru.crontab`. */
export interface Crontab {
  /** The file (absolute path). */
  path: string;
  schedules: Schedule[];
  /** Each schedule's matcher, by name. */
  matchers: Map<string, CronMatcher>;
}

/** The line's options and how many values each takes. */
const OPTIONS = ['--flow', '--args', '--name', '--backfill'] as const;
type Option = (typeof OPTIONS)[number];

function optionsOf(tokens: string[]): Map<Option, string> {
  const found = new Map<Option, string>();
  for (let i = 0; i < tokens.length; i += 2) {
    const option = tokens[i] as Option;
    const value = tokens[i + 1];
    if (!OPTIONS.includes(option)) {
      throw new Error(`unknown option "${option}" (the options are ${OPTIONS.join(', ')})`);
    }
    if (value === undefined) throw new Error(`${option} needs a value`);
    if (found.has(option)) throw new Error(`${option} is given twice`);
    found.set(option, value);
  }
  return found;
}

function argsOf(text: string | undefined): unknown[] {
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`--args is not valid JSON (${(err as Error).message})`);
  }
  return Array.isArray(value) ? value : [value];
}

/** The name a line without `--name` gets: the file's base name, and the flow's after a dot. */
function defaultName(file: string, flow: string | null): string {
  const base = basename(file, extname(file));
  return `${base}${flow === null ? '' : `.${flow}`}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
}

function nameOf(given: string | undefined, file: string, flow: string | null): string {
  if (given === undefined) return defaultName(file, flow);
  if (!NAME.test(given)) {
    throw new Error(`--name "${given}" is not a schedule name: 1 to 64 of A-Z a-z 0-9 . _ -`);
  }
  return given;
}

/** One non-blank, non-comment line; throws a message saying what is wrong with it. */
function parseLine(text: string, line: number, root: string, parser: CronParser) {
  const tokens = tokenize(text);
  if (tokens.length < 6 || tokens[5]?.startsWith('--')) {
    throw new Error('expected <minute> <hour> <day> <month> <weekday> <flow file> [options]');
  }
  const cron = tokens.slice(0, 5).join(' ');
  const matcher = parser.matcher(cron);
  const file = normalize(tokens[5] as string);
  const options = optionsOf(tokens.slice(6));
  if (!existsSync(join(root, file))) throw new Error(`flow file not found: ${file}`);
  const flow = options.get('--flow') ?? null;
  const backfill = options.get('--backfill');
  const schedule: Schedule = {
    name: nameOf(options.get('--name'), file, flow),
    cron,
    file,
    flow,
    args: argsOf(options.get('--args')),
    backfillMs: backfill === undefined ? 0 : parseDuration(backfill, '--backfill'),
    line,
  };
  return { schedule, matcher };
}

/** A one-line error naming the line, its number and its text. */
function lineError(line: number, text: string, err: unknown): KitaruUsageError {
  const problem = (err as Error).message.replace(/\.$/, '');
  return new KitaruUsageError(`${CRONTAB_FILE} line ${line} (${text}): ${problem}`, { cause: err });
}

/**
 * Parses the crontab `text` (flow files relative to `root`); a `KitaruUsageError` naming the first
 * bad line. Blank lines and lines starting with `#` are skipped.
 */
export function parseCrontab(text: string, root: string, parser: CronParser): Omit<Crontab, 'path'> {
  const schedules: Schedule[] = [];
  const matchers = new Map<string, CronMatcher>();
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    let parsed: ReturnType<typeof parseLine>;
    try {
      parsed = parseLine(text, i + 1, root, parser);
    } catch (err) {
      throw lineError(i + 1, text, err);
    }
    const { schedule, matcher } = parsed;
    const twin = schedules.find((s) => s.name === schedule.name);
    if (twin) {
      const problem = `schedule name "${schedule.name}" is taken by line ${twin.line}; give this line --name <name>`;
      throw lineError(i + 1, text, new Error(problem));
    }
    schedules.push(schedule);
    matchers.set(schedule.name, matcher);
  }
  return { schedules, matchers };
}

/** Reads `kitaru.crontab` in `root`; null when there is none. */
export async function readCrontab(root: string): Promise<Crontab | null> {
  const path = join(root, CRONTAB_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KitaruUsageError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return { path, ...parseCrontab(text, root, await graphileCronParser()) };
}
