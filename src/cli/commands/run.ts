import { loadFlowFile, pickFlow } from '../../loader.js';
import { type CliIO, storeOf } from '../io.js';
import { parseFlowArgs } from '../parse-input.js';
import { createProgress } from '../render/progress.js';
import type { SignalWatch } from '../signals.js';
import { finishRun } from './finish-run.js';

/** Options of `kitaru run`. */
export interface RunCommandOptions {
  flow?: string;
  args?: string;
  argsFile?: string;
}

/** `kitaru run <file>`: loads the file in this process and runs one of its flows. */
export async function runCommand(io: CliIO, file: string, options: RunCommandOptions, signals: SignalWatch) {
  const args = parseFlowArgs(options.args, options.argsFile) ?? [];
  const def = pickFlow(await loadFlowFile(file), options.flow);
  const store = storeOf(io);
  const progress = await createProgress(io);
  const handle = def.start({ args, store, observer: progress.observer });
  if (!io.json) io.out(`execution ${handle.execId} · flow ${def.name}`);
  return finishRun(io, store, handle, progress, signals, 'run');
}
