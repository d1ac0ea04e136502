import { loadFlowFile, pickFlow } from '../../loader.js';
import { argsCountWarning } from '../args-warning.js';
import type { CommandResult } from '../command-result.js';
import { type CliIO, storeOf } from '../io.js';
import { checkWaitOption, idOptionsOf, parseFlowArgs } from '../parse-input.js';
import { createProgress, loadSpinner } from '../render/progress.js';
import type { Interrupts } from '../signals.js';
import { announcing, finishRun } from './finish-run.js';
import { queueAndReport } from './queued.js';

/** Options of `kitaru run`. */
export interface RunCommandOptions {
  flow?: string;
  args?: string;
  argsFile?: string;
  queue?: boolean;
  wait?: boolean;
  /** A progress line for every call, none folded into counts. */
  verbose?: boolean;
  /** The execution's id, instead of a generated one. */
  id?: string;
  /** When `--id` exists: attach (the default) or fail. */
  onConflict?: string;
}

/** `kitaru run <file>`: loads the file in this process and runs one of its flows (or queues it). */
export async function runCommand(
  io: CliIO,
  file: string,
  options: RunCommandOptions,
  listen: () => Interrupts,
): Promise<CommandResult> {
  checkWaitOption(options);
  const ids = idOptionsOf(options);
  const given = parseFlowArgs(options.args, options.argsFile);
  if (!options.queue) await loadSpinner(io);
  const def = pickFlow(await loadFlowFile(file), options.flow);
  const warning = given && argsCountWarning(def.name, def.fn, given);
  if (warning) io.err(io.color.yellow(`warning: ${warning}`));
  const args = given?.values ?? [];
  const store = storeOf(io);
  if (options.queue) {
    const what = { def, args, ...ids };
    return queueAndReport(io, store, options.wait ? listen : undefined, `flow ${def.name}`, what);
  }
  const progress = await createProgress(io, { verbose: Boolean(options.verbose) });
  const observer = announcing(io, progress.observer, () => `flow ${def.name}`);
  const handle = def.start({ args, store, observer, ...ids });
  const verbose = Boolean(options.verbose);
  return finishRun(io, store, handle, progress, listen(), { askWaits: true, verbose });
}
