import { Chalk, type ChalkInstance } from 'chalk';
import { KitaruUsageError } from '../errors.js';
import { isPostgresUrl, resolveStore } from '../store/drivers.js';
import type { Store } from '../store/store.js';
import type { Terminal } from './terminal.js';

/** What every command gets: global options and the two output streams. */
export interface CliIO {
  json: boolean;
  /** The store folder given with --dir, if any (repeated in suggested commands). */
  dir: string | undefined;
  /** The database given with --store, if any. */
  storeUrl: string | undefined;
  color: ChalkInstance;
  /** The command's result: stdout. A line end is added when missing. */
  out(text: string): void;
  /** Progress, warnings and errors: stderr. A line end is added when missing. */
  err(text: string): void;
  /** Where a spinner may draw; undefined when none may be shown (no terminal, CI, --json). */
  spinner: SpinnerTarget | undefined;
  /**
   * Asks a person at the terminal: `prompt` on stderr, one line read from stdin (null at Ctrl-D,
   * or once `signal` aborts: the question is given up).
   * Present only when stdin and stderr are terminals and --json is off.
   */
  ask: ((prompt: string, signal?: AbortSignal) => Promise<string | null>) | undefined;
  /** Width, in columns, that long table lines are cut to: the terminal's, else 120. */
  width: number;
}

/** A terminal stream a spinner draws on, and its current width. */
export interface SpinnerTarget {
  stream: NodeJS.WritableStream;
  readonly columns: number;
}

/** The global options of one invocation. */
export interface GlobalOptions {
  json: boolean;
  noColor: boolean;
  dir: string | undefined;
  storeUrl: string | undefined;
}

/** Line width when stdout is not a terminal: lines stay readable in a log or a pager. */
const PIPED_WIDTH = 120;

type Env = Readonly<Record<string, string | undefined>>;

/** Colour level from --no-color, NO_COLOR, FORCE_COLOR and whether stderr is a terminal. */
export function colorLevel(noColor: boolean, isTTY: boolean, env: Env): 0 | 1 {
  if (noColor || ('NO_COLOR' in env && env.NO_COLOR !== '')) return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force === '0' || force === 'false' ? 0 : 1;
  return isTTY ? 1 : 0;
}

function spinnerOf(terminal: Terminal, json: boolean): SpinnerTarget | undefined {
  const stream = terminal.spinnerStream;
  const { stderr } = terminal;
  // A spinner needs a real terminal with a width (a zero-column pty would make it misdraw).
  if (json || !stream || !stderr.isTTY || stderr.columns <= 0 || terminal.env.CI) return undefined;
  return {
    stream,
    get columns() {
      return stderr.columns;
    },
  };
}

function askOf(terminal: Terminal, json: boolean): CliIO['ask'] {
  const { readLine } = terminal;
  if (json || !readLine || !terminal.stdin?.isTTY || !terminal.stderr.isTTY) return undefined;
  return (prompt, signal) => readLine(prompt, signal);
}

const line = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);

/** Builds the IO of one CLI invocation over `terminal`. With `json`, nothing is coloured. */
export function createIO(terminal: Terminal, options: GlobalOptions): CliIO {
  const level = options.json ? 0 : colorLevel(options.noColor, terminal.stderr.isTTY, terminal.env);
  return {
    json: options.json,
    dir: options.dir,
    storeUrl: options.storeUrl,
    color: new Chalk({ level }),
    out: (text) => terminal.out(line(text)),
    err: (text) => terminal.err(line(text)),
    spinner: spinnerOf(terminal, options.json),
    ask: askOf(terminal, options.json),
    width: (terminal.stdout.isTTY && terminal.stdout.columns) || PIPED_WIDTH,
  };
}

/** The store a command works on: `--store`, else `--dir`, else the environment (see resolveStore). */
export function storeOf(io: CliIO): Store {
  if (io.storeUrl !== undefined && !isPostgresUrl(io.storeUrl)) {
    throw new KitaruUsageError(
      `--store takes a postgres:// URL, got "${io.storeUrl}"; for a folder use --dir.`,
    );
  }
  // --store wins over --dir; KITARU_STORE yields to --dir.
  if (io.storeUrl !== undefined) return resolveStore({ url: io.storeUrl });
  const url = process.env.KITARU_STORE;
  return resolveStore({ ...(io.dir === undefined ? {} : { dir: io.dir }), ...(url ? { url } : {}) });
}
