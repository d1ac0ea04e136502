import { createInterface } from 'node:readline';

/**
 * What a CLI invocation writes to and knows of its terminal. The real one wraps the process'
 * streams (`processTerminal`); tests pass their own to run commands in process and read the output.
 */
export interface Terminal {
  /** Writes `text` as is to standard output. */
  out(text: string): void;
  /** Writes `text` as is to standard error. */
  err(text: string): void;
  /** Whether stdout is a terminal, and its width in columns (0 when unknown). */
  readonly stdout: StreamFacts;
  /** Whether stderr is a terminal, and its width in columns (0 when unknown). */
  readonly stderr: StreamFacts;
  /** Whether stdin is a terminal (a person may be asked a question). */
  readonly stdin?: { readonly isTTY: boolean };
  /**
   * Writes `prompt` to stderr and reads one line from stdin, without its line end; null at the end
   * of input (Ctrl-D), or when `signal` aborts first (the prompt is given up, stdin let go).
   */
  readLine?(prompt: string, signal?: AbortSignal): Promise<string | null>;
  /** The environment: NO_COLOR, FORCE_COLOR, CI, KITARU_DEBUG are read from it. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The stream a spinner draws on (stderr); a terminal without one never shows a spinner. */
  readonly spinnerStream?: NodeJS.WritableStream;
  /**
   * With `--json`: sends what user code writes to stdout to stderr instead, so that stdout
   * carries the JSON document only. Returns the function that undoes it.
   */
  divertUserStdout?(): () => void;
}

/** Facts about one output stream. */
export interface StreamFacts {
  readonly isTTY: boolean;
  readonly columns: number;
}

function factsOf(stream: NodeJS.WriteStream): StreamFacts {
  return {
    get isTTY() {
      return Boolean(stream.isTTY);
    },
    get columns() {
      return stream.columns ?? 0;
    },
  };
}

/**
 * The one place that takes stdout over: until the returned function is called, writes to
 * `process.stdout` (console.log of user code, say) go to stderr.
 */
export function divertProcessStdout(): () => void {
  const original = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  return () => {
    process.stdout.write = original;
  };
}

/** One line of this process' stdin, after `prompt` on stderr; null at the end of input or on abort. */
function readProcessLine(prompt: string, signal?: AbortSignal): Promise<string | null> {
  // Not a readline "terminal": the terminal's own line editing applies, Ctrl-C stays a SIGINT
  // for the command's handlers, and Ctrl-D at the start of a line ends the input.
  const rl = createInterface({ input: process.stdin, terminal: false });
  process.stderr.write(prompt);
  return new Promise((resolve) => {
    let answered = false;
    const abandon = () => rl.close();
    signal?.addEventListener('abort', abandon, { once: true });
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.once('close', () => {
      signal?.removeEventListener('abort', abandon);
      if (!answered) resolve(null);
    });
    if (signal?.aborted) abandon();
  });
}

/** The terminal of this process: its stdout and stderr, its environment. */
export function processTerminal(): Terminal {
  // Bound now, so that the JSON document still reaches the real stdout while it is diverted.
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  return {
    out: (text) => {
      stdoutWrite(text);
    },
    err: (text) => {
      process.stderr.write(text);
    },
    stdin: {
      get isTTY() {
        return Boolean(process.stdin.isTTY);
      },
    },
    readLine: readProcessLine,
    stdout: factsOf(process.stdout),
    stderr: factsOf(process.stderr),
    env: process.env,
    spinnerStream: process.stderr,
    divertUserStdout: divertProcessStdout,
  };
}
