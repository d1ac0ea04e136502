import { Command, CommanderError } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { isKitaruError } from '../errors.js';
import { diffCommand } from './commands/diff.js';
import { inspectCommand } from './commands/inspect.js';
import { listCommand } from './commands/list.js';
import { logsCommand } from './commands/logs.js';
import { replayCommand } from './commands/replay.js';
import { runCommand } from './commands/run.js';
import { uiCommand } from './commands/ui.js';
import { workerCommand } from './commands/worker.js';
import { type CliIO, createIO } from './io.js';
import { type SignalWatch, watchSignals } from './signals.js';

const EXAMPLES = `
Examples:
  kitaru run flows/hello.ts --args '"world"'       run a flow (a JSON array is spread as arguments)
  kitaru inspect 01jx --attempts                    every call and attempt of an execution (id prefix)
  kitaru replay 01jx                                run again, reusing what completed
  kitaru replay 01jx --from summarize               run summarize and everything after it again
  kitaru replay 01jx --override checkpoint.fetch='"cached"'
  kitaru diff 01jx 01jy                             what a replay changed, call by call
  kitaru diff 01jx 01jy --changed                   only the calls that differ
  kitaru list --status failed                       executions, newest first
  kitaru ui --open                                  look at executions in the browser
  kitaru logs 01jx --checkpoint fetch               captured output of one call
  kitaru run flows/hello.ts --queue --store postgres://localhost/app   queue it for a worker
  kitaru worker --concurrency 8 --store postgres://localhost/app       run queued executions

The store is --store (a postgres:// URL), else --dir, else KITARU_STORE, else KITARU_DIR,
else the nearest .kitaru/ upwards, else ./.kitaru.
Exit codes: 0 ok, 1 the flow failed, 2 bad usage or store error, 130 SIGINT, 143 SIGTERM.`;

interface GlobalOptions {
  dir?: string;
  store?: string;
  json?: boolean;
  color: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Runs the CLI with `argv` (as `process.argv`); returns the exit code. Never calls `process.exit`. */
export async function runCli(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  // --json sends user output to stderr by replacing stdout.write (see createIO); keep the real one.
  const realWrite = process.stdout.write;
  const writeOut = realWrite.bind(process.stdout);
  let command = 'kitaru';
  let exitCode = 0;
  let signals: SignalWatch | undefined;
  let commanderMessage = '';
  const ioFor = (cmd: Command): CliIO => {
    const g = cmd.optsWithGlobals() as GlobalOptions;
    return createIO({ json: Boolean(g.json), noColor: g.color === false, dir: g.dir, storeUrl: g.store });
  };
  const program = new Command('kitaru')
    .description(
      'Durable workflows for TypeScript: every checkpoint recorded in .kitaru/, replay from any step.',
    )
    .version(pkg.version, '-V, --version', 'print the version')
    .option('--dir <path>', 'store folder (default: KITARU_DIR, nearest .kitaru/, ./.kitaru)')
    .option('--store <url>', 'a PostgreSQL database instead of a folder (default: KITARU_STORE)')
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--no-color', 'no colour (NO_COLOR and FORCE_COLOR are honoured too)')
    .addHelpText('after', EXAMPLES)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeErr: (text) => {
        if (json) commanderMessage += text;
        else process.stderr.write(text);
      },
    });
  const watch = () => {
    signals = watchSignals();
    return signals;
  };
  program.hook('preAction', (_root, action) => {
    command = action.name();
  });

  program
    .command('run')
    .description('load a flow file and run its flow')
    .argument('<file>', 'flow file (.ts or .js)')
    .option('--flow <name>', 'which flow, when the file exports several')
    .option(
      '--args <json>',
      'flow arguments: a JSON array is spread, any other JSON value is the one argument',
    )
    .option('--args-file <path>', 'file holding the --args JSON')
    .option('--queue', 'queue it for a worker (Postgres store) and print its id at once')
    .option('--wait', 'with --queue: wait for it to end and exit as run does')
    .option('--verbose', 'a progress line for every call (else the calls after the first 50 are counted)')
    .action(async (file: string, opts, cmd: Command) => {
      exitCode = await runCommand(ioFor(cmd), file, opts, watch);
    });

  program
    .command('replay')
    .description('run an execution again as a new one, reusing the calls that completed')
    .argument('<exec-id>', 'execution id or unique prefix')
    .option('--from <call-id>', 'this call and every call after it run again')
    .option('--override <checkpoint.call-id=json>', "replace a call's output (repeatable)", collect, [])
    .option('--overrides <json>', 'all overrides at once: {"checkpoint.<call-id>": value}')
    .option('--args <json>', 'new flow arguments, as for run')
    .option('--args-file <path>', 'file holding the --args JSON')
    .option('--queue', 'queue the replay for a worker (Postgres store) and print its id at once')
    .option('--wait', 'with --queue: wait for it to end and exit as replay does')
    .option('--verbose', 'a progress line for every call (else the calls after the first 50 are counted)')
    .action(async (id: string, opts, cmd: Command) => {
      exitCode = await replayCommand(ioFor(cmd), id, opts, watch);
    });

  program
    .command('ui')
    .description('a local page over the store: executions, timelines, calls, replay and diff')
    .option('--port <n>', 'port to listen on (0: any free port)', '7420')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--open', 'open the page in the default browser')
    .action(async (opts, cmd: Command) => {
      exitCode = await uiCommand(ioFor(cmd), opts, watch);
    });

  program
    .command('worker')
    .description('run queued executions (Postgres store) from the flow files of this checkout')
    .option('--concurrency <n>', 'executions at once', '4')
    .option('--lease <seconds>', "how long a silent worker's executions stay its own", '30')
    .option('--grace <seconds>', 'on SIGINT/SIGTERM, time to finish before handing work back', '30')
    .action(async (opts, cmd: Command) => {
      exitCode = await workerCommand(ioFor(cmd), opts);
    });

  program
    .command('inspect')
    .description('an execution and a table of its calls; --attempts for every attempt, error and log')
    .argument('<exec-id>', 'execution id or unique prefix')
    .option('--attempts', 'every attempt with its error and logs')
    .action(async (id: string, opts, cmd: Command) => {
      exitCode = await inspectCommand(ioFor(cmd), id, opts);
    });

  program
    .command('diff')
    .description('compare two executions of one flow (say, a run and its replay) call by call')
    .argument('<a>', 'execution id or unique prefix')
    .argument('<b>', 'execution id or unique prefix')
    .option('--changed', 'only the calls that differ (changed, only in a, only in b)')
    .action(async (a: string, b: string, opts, cmd: Command) => {
      exitCode = await diffCommand(ioFor(cmd), a, b, opts);
    });

  program
    .command('list')
    .description('executions, newest first')
    .option('--flow <name>', 'only this flow')
    .option('--status <status>', 'queued, running, completed, failed, cancelled or crashed')
    .option('--limit <n>', 'at most n executions', '50')
    .action(async (opts, cmd: Command) => {
      exitCode = await listCommand(ioFor(cmd), opts);
    });

  program
    .command('logs')
    .description('captured logs of an execution, in order')
    .argument('<exec-id>', 'execution id or unique prefix')
    .option('--checkpoint <call-id>', "only this call's logs")
    .action(async (id: string, opts, cmd: Command) => {
      exitCode = await logsCommand(ioFor(cmd), id, opts);
    });

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0;
      if (json) {
        const message = commanderMessage.replace(/^error: /, '').trim() || err.message;
        writeOut(`${JSON.stringify({ command, error: { type: 'KitaruUsageError', message } })}\n`);
      }
      return 2;
    }
    const known = isKitaruError(err);
    const e = err as Error;
    const type = known ? e.name : 'Error';
    if (json) writeOut(`${JSON.stringify({ command, error: { type, message: e.message } })}\n`);
    else {
      process.stderr.write(`kitaru: error: ${e.message ?? String(err)}\n`);
      if (!known || process.env.KITARU_DEBUG) process.stderr.write(`${e.stack ?? ''}\n`);
    }
    return 2;
  } finally {
    signals?.dispose();
    process.stdout.write = realWrite;
  }
}
