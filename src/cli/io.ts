import { Chalk, type ChalkInstance } from 'chalk';
import { KitaruUsageError } from '../errors.js';
import { isPostgresUrl, resolveStore } from '../store/drivers.js';
import type { Store } from '../store/store.js';

/** What every command gets: global options and the two output streams. */
export interface CliIO {
  json: boolean;
  /** The store folder given with --dir, if any (repeated in suggested commands). */
  dir: string | undefined;
  /** The database given with --store, if any. */
  storeUrl: string | undefined;
  color: ChalkInstance;
  /** The command's result: stdout. */
  out(text: string): void;
  /** Progress, warnings and errors: stderr. */
  err(text: string): void;
  /** Whether a spinner may be shown. */
  interactive: boolean;
  /** Width, in columns, that long table lines are cut to: the terminal's, else 120. */
  width: number;
}

/** Line width when stdout is not a terminal: lines stay readable in a log or a pager. */
const PIPED_WIDTH = 120;

/** Colour level from --no-color, NO_COLOR, FORCE_COLOR and whether stderr is a terminal. */
export function colorLevel(noColor: boolean, isTTY: boolean): 0 | 1 {
  if (noColor || ('NO_COLOR' in process.env && process.env.NO_COLOR !== '')) return 0;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined) return force === '0' || force === 'false' ? 0 : 1;
  return isTTY ? 1 : 0;
}

/**
 * Builds the IO of one CLI invocation. With `json`, anything user code writes to stdout is sent
 * to stderr, so that stdout carries exactly one JSON document.
 */
export function createIO(options: {
  json: boolean;
  noColor: boolean;
  dir: string | undefined;
  storeUrl: string | undefined;
}): CliIO {
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  if (options.json) {
    process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  }
  const level = options.json ? 0 : colorLevel(options.noColor, Boolean(process.stderr.isTTY));
  return {
    json: options.json,
    dir: options.dir,
    storeUrl: options.storeUrl,
    color: new Chalk({ level }),
    out: (text) => {
      stdoutWrite(text.endsWith('\n') ? text : `${text}\n`);
    },
    err: (text) => {
      process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    // A spinner needs a real terminal with a width (a zero-column pty would make it misdraw).
    interactive:
      !options.json && Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0 && !process.env.CI,
    width: (process.stdout.isTTY && process.stdout.columns) || PIPED_WIDTH,
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
