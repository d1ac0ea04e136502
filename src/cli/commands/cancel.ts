import { cancelExecution } from '../../cancel.js';
import { getExecution } from '../../queries.js';
import { parseDurationOption } from '../../runtime/duration.js';
import type { CommandResult } from '../command-result.js';
import { type CliIO, storeOf } from '../io.js';

/** Options of `kitaru cancel`. */
export interface CancelCommandOptions {
  /** How long to wait for a running execution to be recorded cancelled (a duration). */
  timeout: string;
}

/**
 * `kitaru cancel <exec-id>`: ends a queued, waiting or crashed execution as cancelled at once;
 * stops a running one through its process (SIGINT) or its worker, and waits until it is recorded.
 */
export async function cancelCommand(
  io: CliIO,
  id: string,
  options: CancelCommandOptions,
): Promise<CommandResult> {
  const timeoutMs = parseDurationOption(options.timeout, '--timeout');
  const store = storeOf(io);
  const { execId, was } = await cancelExecution(store, id, { timeoutMs });
  const execution = await getExecution(store, execId, false);
  if (io.json) return { exitCode: 0, document: { execution } };
  io.out(`execution ${execId} · ${io.color.yellow('cancelled')} (it was ${was})`);
  return { exitCode: 0 };
}
