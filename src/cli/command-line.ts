import { Command } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import type { CommandResult, JsonDocument } from './command-result.js';
import { cancelCommand } from './commands/cancel.js';
import { diffCommand } from './commands/diff.js';
import { gcCommand } from './commands/gc.js';
import { inspectCommand } from './commands/inspect.js';
import { listCommand } from './commands/list.js';
import { logsCommand } from './commands/logs.js';
import { replayCommand } from './commands/replay.js';
import { inputCommand, resumeCommand } from './commands/resume.js';
import { runCommand } from './commands/run.js';
import { schedulesCommand } from './commands/schedules.js';
import { uiCommand } from './commands/ui.js';
import { workerCommand } from './commands/worker.js';
import type { CliIO } from './io.js';
import type { Interrupts } from './signals.js';

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
  kitaru input 01jx approval '{"approved":true}'   answer a wait, then resume the execution
  kitaru resume 01jx                                continue a waiting or crashed execution
  kitaru cancel 01jx                                stop an execution, recorded cancelled
  kitaru gc --older-than 30d --keep-last 100        delete old ended executions (--dry-run first)
  kitaru ui --open                                  look at executions in the browser
  kitaru logs 01jx --checkpoint fetch               captured output of one call
  kitaru run flows/hello.ts --id order-42          an id of your own: run again, it reports order-42
  kitaru run flows/hello.ts --queue --store postgres://localhost/app   queue it for a worker
  kitaru worker --concurrency 8 --store postgres://localhost/app       run queued executions
  kitaru schedules                                  the flows kitaru.crontab starts, and when

The store is --store (a postgres:// URL), else --dir, else KITARU_STORE, else KITARU_DIR,
else the nearest .kitaru/ upwards, else ./.kitaru.
Exit codes: 0 ok, 1 the flow failed, 2 bad usage or store error, 3 the execution is waiting
(answer with kitaru input), 130 SIGINT, 143 SIGTERM.`;

/** What the program hands an action: the IO of this invocation and its signals. */
export interface ActionContext {
  io: CliIO;
  /** Starts listening for SIGINT/SIGTERM (once per invocation; the program stops listening). */
  listen: () => Interrupts;
  /** Prints the `--json` document before the command ends (`ui`, which runs until stopped). */
  announce: (document: JsonDocument) => void;
}

/** Runs one command's function with the context of `cmd`'s invocation, for the program to report. */
export type Act = (cmd: Command, action: (ctx: ActionContext) => Promise<CommandResult>) => Promise<void>;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const VERBOSE = 'a progress line for every call (else the calls after the first 50 are counted)';
const ID = 'the execution id, instead of a generated one ([A-Za-z0-9._:-], 1 to 100 characters)';
const ON_CONFLICT =
  'when --id exists: attach (wait for it and report it, running nothing; the default) or fail';
const ARGS = 'flow arguments: a JSON array is spread, any other JSON value is the one argument';

function addRun(program: Command, act: Act): void {
  program
    .command('run')
    .description('load a flow file and run its flow')
    .argument('<file>', 'flow file (.ts or .js)')
    .option('--flow <name>', 'which flow, when the file exports several')
    .option('--args <json>', ARGS)
    .option('--args-file <path>', 'file holding the --args JSON')
    .option('--queue', 'queue it for a worker (Postgres store) and print its id at once')
    .option('--wait', 'with --queue: wait for it to end and exit as run does')
    .option('--id <id>', ID)
    .option('--on-conflict <mode>', ON_CONFLICT)
    .option('--verbose', VERBOSE)
    .action((file: string, opts, cmd: Command) =>
      act(cmd, ({ io, listen }) => runCommand(io, file, opts, listen)),
    );
}

function addReplay(program: Command, act: Act): void {
  program
    .command('replay')
    .description('run an execution again as a new one, reusing the calls that completed')
    .argument('<exec-id>', 'execution id or unique prefix')
    .option('--from <call-id>', 'this call and every call after it run again')
    .option(
      '--override <checkpoint.call-id=json>',
      "replace a call's output, or a wait's answer with wait.<wait-id>=json (repeatable)",
      collect,
      [],
    )
    .option(
      '--overrides <json>',
      'all overrides at once: {"checkpoint.<call-id>": value, "wait.<id>": answer}',
    )
    .option('--args <json>', 'new flow arguments, as for run')
    .option('--args-file <path>', 'file holding the --args JSON')
    .option('--queue', 'queue the replay for a worker (Postgres store) and print its id at once')
    .option('--wait', 'with --queue: wait for it to end and exit as replay does')
    .option('--id <id>', ID)
    .option('--on-conflict <mode>', ON_CONFLICT)
    .option('--verbose', VERBOSE)
    .action((id: string, opts, cmd: Command) =>
      act(cmd, ({ io, listen }) => replayCommand(io, id, opts, listen)),
    );
}

function addWaits(program: Command, act: Act): void {
  program
    .command('input')
    .description('answer a wait of a waiting execution (the first answer wins), then resume it here')
    .argument('<exec-id>', 'execution id or unique prefix')
    .argument('<wait-id>', 'the wait, as `kitaru run` or `inspect` shows it')
    .argument('[json]', 'the answer, as JSON')
    .option('--file <path>', 'file holding the answer JSON')
    .option('--early', 'answer a wait the execution has not reached yet')
    .option('--no-resume', 'keep the answer only; resume later with kitaru resume')
    .option('--verbose', VERBOSE)
    .action((id: string, waitId: string, json: string | undefined, opts, cmd: Command) =>
      act(cmd, ({ io, listen }) => inputCommand(io, id, waitId, json, opts, listen)),
    );

  program
    .command('resume')
    .description('continue a waiting or crashed execution in place (completed calls are not run again)')
    .argument('<exec-id>', 'execution id or unique prefix')
    .option('--verbose', VERBOSE)
    .action((id: string, opts, cmd: Command) =>
      act(cmd, ({ io, listen }) => resumeCommand(io, id, opts, listen)),
    );

  program
    .command('cancel')
    .description(
      'cancel an execution: queued, waiting or crashed at once; running through its process or worker',
    )
    .argument('<exec-id>', 'execution id or unique prefix')
    .option('--timeout <duration>', 'how long to wait for a running execution to stop', '60s')
    .action((id: string, opts, cmd: Command) => act(cmd, ({ io }) => cancelCommand(io, id, opts)));
}

function addServers(program: Command, act: Act): void {
  program
    .command('ui')
    .description('a local page over the store: executions, timelines, calls, replay and diff')
    .option('--port <n>', 'port to listen on (0: any free port)', '7420')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--open', 'open the page in the default browser')
    .action((opts, cmd: Command) =>
      act(cmd, ({ io, listen, announce }) => uiCommand(io, opts, listen, announce)),
    );

  program
    .command('worker')
    .description('run queued executions (Postgres store) from the flow files of this checkout')
    .option('--concurrency <n>', 'executions at once', '4')
    .option('--lease <seconds>', "how long a silent worker's executions stay its own", '30')
    .option('--grace <seconds>', 'on SIGINT/SIGTERM, time to finish before handing work back', '30')
    .option(
      '--park-after <seconds>',
      'park longer sleeps as waiting; a job at the wake time resumes them',
      '30',
    )
    .action((opts, cmd: Command) => act(cmd, ({ io, listen }) => workerCommand(io, opts, listen)));

  program
    .command('schedules')
    .description(
      "the schedules of this project's kitaru.crontab (kept by the workers), with their next times",
    )
    .action((_opts, cmd: Command) => act(cmd, ({ io }) => schedulesCommand(io)));
}

function addReaders(program: Command, act: Act): void {
  program
    .command('inspect')
    .description('an execution and a table of its calls; --attempts for every attempt, error and log')
    .argument('<exec-id>', 'execution id or unique prefix')
    .option('--attempts', 'every attempt with its error and logs')
    .action((id: string, opts, cmd: Command) => act(cmd, ({ io }) => inspectCommand(io, id, opts)));

  program
    .command('diff')
    .description('compare two executions of one flow (say, a run and its replay) call by call')
    .argument('<a>', 'execution id or unique prefix')
    .argument('<b>', 'execution id or unique prefix')
    .option('--changed', 'only the calls that differ (changed, only in a, only in b)')
    .action((a: string, b: string, opts, cmd: Command) => act(cmd, ({ io }) => diffCommand(io, a, b, opts)));

  program
    .command('list')
    .description('executions, newest first')
    .option('--flow <name>', 'only this flow')
    .option('--status <status>', 'queued, running, waiting, completed, failed, cancelled or crashed')
    .option('--limit <n>', 'at most n executions', '50')
    .action((opts, cmd: Command) => act(cmd, ({ io }) => listCommand(io, opts)));

  program
    .command('logs')
    .description('captured logs of an execution, in order')
    .argument('<exec-id>', 'execution id or unique prefix')
    .option('--checkpoint <call-id>', "only this call's logs")
    .action((id: string, opts, cmd: Command) => act(cmd, ({ io }) => logsCommand(io, id, opts)));
}

function addGc(program: Command, act: Act): void {
  program
    .command('gc')
    .description('delete ended executions (never running, waiting or queued ones), each all or nothing')
    .option('--older-than <duration>', 'only those that ended longer ago than this (30d, 12h, 90m)')
    .option('--status <status...>', 'only these statuses: completed, failed, cancelled, crashed')
    .option('--keep-last <n>', 'spare the newest n of those that match')
    .option('--all', 'every ended execution (needed when no other filter is given)')
    .option('--dry-run', 'say what would be deleted, delete nothing')
    .action((opts, cmd: Command) => act(cmd, ({ io }) => gcCommand(io, opts)));
}

/** The root of `kitaru`'s command line: global options and help. Configure it before `addCommands`. */
export function rootCommand(): Command {
  return new Command('kitaru')
    .description(
      'Durable workflows for TypeScript: every checkpoint recorded in .kitaru/, replay from any step.',
    )
    .version(pkg.version, '-V, --version', 'print the version')
    .option('--dir <path>', 'store folder (default: KITARU_DIR, nearest .kitaru/, ./.kitaru)')
    .option('--store <url>', 'a PostgreSQL database instead of a folder (default: KITARU_STORE)')
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--no-color', 'no colour (NO_COLOR and FORCE_COLOR are honoured too)')
    .addHelpText('after', EXAMPLES);
}

/**
 * Adds the commands, their arguments, options and help; `act` runs them. They inherit the root's
 * settings (output, exit override) as it is configured at this point.
 */
export function addCommands(program: Command, act: Act): void {
  addRun(program, act);
  addReplay(program, act);
  addWaits(program, act);
  addServers(program, act);
  addReaders(program, act);
  addGc(program, act);
}
