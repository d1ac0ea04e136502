import { prepareReplay, startPreparedReplay } from '../../replay.js';
import type { ReplayOptions } from '../../runtime/replay-plan.js';
import { argsCountWarning } from '../args-warning.js';
import type { CommandResult } from '../command-result.js';
import { type CliIO, storeOf } from '../io.js';
import { checkWaitOption, idOptionsOf, parseFlowArgs, parseOverrides } from '../parse-input.js';
import { createProgress, loadSpinner } from '../render/progress.js';
import type { Interrupts } from '../signals.js';
import { announcing, finishRun } from './finish-run.js';
import { queueAndReport } from './queued.js';

/** Options of `kitaru replay`. */
export interface ReplayCommandOptions {
  from?: string;
  override: string[];
  overrides?: string;
  args?: string;
  argsFile?: string;
  queue?: boolean;
  wait?: boolean;
  /** A progress line for every call, none folded into counts. */
  verbose?: boolean;
  /** The new execution's id, instead of a generated one. */
  id?: string;
  /** When `--id` exists: attach (the default) or fail. */
  onConflict?: string;
}

/** `kitaru replay <exec-id>`: a new execution that reuses what the source completed (design §3). */
export async function replayCommand(
  io: CliIO,
  id: string,
  options: ReplayCommandOptions,
  listen: () => Interrupts,
): Promise<CommandResult> {
  checkWaitOption(options);
  const ids = idOptionsOf(options);
  const plan: ReplayOptions = { overrides: parseOverrides(options.override, options.overrides) };
  const given = parseFlowArgs(options.args, options.argsFile);
  if (given !== undefined) plan.args = given.values;
  if (options.from !== undefined) plan.from = options.from;
  const store = storeOf(io);
  const onWarning = (m: string) => io.err(io.color.yellow(`warning: ${m}`));
  if (!options.queue) await loadSpinner(io);
  const prepared = await prepareReplay(store, id, plan, onWarning);
  const warning = given && argsCountWarning(prepared.def.name, prepared.def.fn, given);
  if (warning) onWarning(warning);
  if (options.queue) {
    const label = `replay of ${prepared.sourceExecId}`;
    return queueAndReport(io, store, options.wait ? listen : undefined, label, {
      def: prepared.def,
      args: prepared.args,
      plan: prepared.plan,
      ...ids,
    });
  }
  const progress = await createProgress(io, { verbose: Boolean(options.verbose) });
  const observer = announcing(io, progress.observer, (e) => `replay of ${e.sourceExecId}`);
  const handle = startPreparedReplay(store, prepared, { observer, onWarning, ...ids });
  return finishRun(io, store, handle, progress, listen());
}
