import { type Command, CommanderError } from 'commander';
import { isKitaruError } from '../errors.js';
import { type ActionContext, addCommands, rootCommand } from './command-line.js';
import type { CommandResult, JsonDocument } from './command-result.js';
import { createIO } from './io.js';
import { type Interrupts, type ListenOptions, listenForSignals } from './signals.js';
import { processTerminal, type Terminal } from './terminal.js';

/** Exit code of any error other than a flow's failure: bad usage, unknown id, store errors. */
const ERROR_EXIT = 2;

/** Options of `createProgram`. */
export interface ProgramOptions {
  /** Where SIGINT/SIGTERM come from and how a second one ends the process. @default the process */
  signals?: ListenOptions;
}

/** The `kitaru` command line over one terminal. */
export interface CliProgram {
  /** Runs one invocation (`argv` as `process.argv`) and returns its exit code. Never exits the process. */
  run(argv: string[]): Promise<number>;
}

/** Global options as commander parses them. */
interface GlobalFlags {
  dir?: string;
  store?: string;
  json?: boolean;
  color: boolean;
}

/**
 * One invocation: which command runs, whether stdout is for JSON, the one document printed, and
 * what to undo at the end (signal listeners, stdout diverted for user code).
 */
function createInvocation(terminal: Terminal, options: ProgramOptions, argv: string[]) {
  let interrupts: Interrupts | undefined;
  let restoreStdout: (() => void) | undefined;
  const inv = {
    command: 'kitaru',
    json: argv.includes('--json'),
    /** What commander said of bad usage, kept in JSON mode for the error document. */
    usage: '',
    printed: false,
    exitCode: 0,
    print(document: JsonDocument): void {
      inv.printed = true;
      terminal.out(`${JSON.stringify({ command: inv.command, ...document })}\n`);
    },
    listen: (): Interrupts => (interrupts ??= listenForSignals(options.signals)),
    async act(cmd: Command, action: (ctx: ActionContext) => Promise<CommandResult>): Promise<void> {
      const g = cmd.optsWithGlobals() as GlobalFlags;
      const io = createIO(terminal, {
        json: Boolean(g.json),
        noColor: g.color === false,
        dir: g.dir,
        storeUrl: g.store,
      });
      inv.json = io.json;
      if (io.json) restoreStdout = terminal.divertUserStdout?.();
      const result = await action({ io, listen: inv.listen, announce: inv.print });
      inv.exitCode = result.exitCode;
      if (io.json && result.document) inv.print(result.document);
    },
    close(): void {
      interrupts?.dispose();
      restoreStdout?.();
    },
  };
  return inv;
}

type Invocation = ReturnType<typeof createInvocation>;

/** The one place errors become exit codes: 2, with a JSON error document or a message on stderr. */
function fail(inv: Invocation, terminal: Terminal, err: unknown): number {
  if (err instanceof CommanderError) return failUsage(inv, err);
  const known = isKitaruError(err);
  const e = err as Error;
  const message = e?.message ?? String(err);
  if (inv.json && !inv.printed) inv.print({ error: { type: known ? e.name : 'Error', message } });
  else {
    terminal.err(`kitaru: error: ${message}\n`);
    // A stack is for errors kitaru did not expect (bugs), or on demand.
    if (!known || terminal.env.KITARU_DEBUG) terminal.err(`${e?.stack ?? ''}\n`);
  }
  return ERROR_EXIT;
}

/** Commander's usage errors: it wrote its message to stderr already, except in JSON mode. */
function failUsage(inv: Invocation, err: CommanderError): number {
  if (err.exitCode === 0) return 0; // --help, --version
  const message = inv.usage.replace(/^error: /, '').trim() || err.message;
  if (inv.json && !inv.printed) inv.print({ error: { type: 'KitaruUsageError', message } });
  return ERROR_EXIT;
}

function configure(program: Command, inv: Invocation, terminal: Terminal): Command {
  return program
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => terminal.out(text),
      writeErr: (text) => {
        if (inv.json) inv.usage += text;
        else terminal.err(text);
      },
      getOutHelpWidth: () => terminal.stdout.columns || 80,
      getErrHelpWidth: () => terminal.stderr.columns || 80,
    })
    .hook('preAction', (_root, action) => {
      inv.command = action.name();
    });
}

/**
 * The `kitaru` program over `terminal`: commands write their progress and text through it, and
 * return an exit code and (with `--json`) a document, which the program prints. Tests pass their
 * own terminal to run commands in process.
 */
export function createProgram(terminal: Terminal, options: ProgramOptions = {}): CliProgram {
  return {
    async run(argv) {
      const inv = createInvocation(terminal, options, argv);
      const program = configure(rootCommand(), inv, terminal);
      addCommands(program, inv.act);
      try {
        await program.parseAsync(argv);
        return inv.exitCode;
      } catch (err) {
        return fail(inv, terminal, err);
      } finally {
        inv.close();
      }
    },
  };
}

/** Runs the CLI with `argv` (as `process.argv`) on this process' terminal; returns the exit code. */
export function runCli(argv: string[]): Promise<number> {
  return createProgram(processTerminal()).run(argv);
}
