import { loadFlowFile, pickFlow } from '../../loader.js';
import { argsCountWarning } from '../args-warning.js';
import type { CommandResult } from '../command-result.js';
import { type CliIO, storeOf } from '../io.js';
import { parseFlowArgs } from '../parse-input.js';
import { createProgress } from '../render/progress.js';
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
}

/** `kitaru run <file>`: loads the file in this process and runs one of its flows (or queues it). */
export async function runCommand(
  io: CliIO,
  file: string,
  options: RunCommandOptions,
  listen: () => Interrupts,
): Promise<CommandResult> {
  const given = parseFlowArgs(options.args, options.argsFile);
  const def = pickFlow(await loadFlowFile(file), options.flow);
  const warning = given && argsCountWarning(def.name, def.fn, given);
  if (warning) io.err(io.color.yellow(`warning: ${warning}`));
  const args = given?.values ?? [];
  const store = storeOf(io);
  if (options.queue) {
    return queueAndReport(io, store, options.wait ? listen : undefined, `flow ${def.name}`, { def, args });
  }
  const progress = await createProgress(io, { verbose: Boolean(options.verbose) });
  const observer = announcing(io, progress.observer, () => `flow ${def.name}`);
  const handle = def.start({ args, store, observer });
  const verbose = Boolean(options.verbose);
  return finishRun(io, store, handle, progress, listen(), { askWaits: true, verbose });
}
