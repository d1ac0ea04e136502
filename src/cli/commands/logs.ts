import { getLogs } from '../../queries.js';
import type { CommandResult } from '../command-result.js';
import { type CliIO, storeOf } from '../io.js';
import { formatLog } from './inspect.js';

/**
 * `kitaru logs <exec-id> [--checkpoint <sel>]`: captured logs in time order, with each failed
 * attempt's error where the attempt ended (`stream: 'error'` in JSON).
 */
export async function logsCommand(
  io: CliIO,
  id: string,
  options: { checkpoint?: string },
): Promise<CommandResult> {
  const logs = await getLogs(storeOf(io), id, false, { callId: options.checkpoint, errors: true });
  if (io.json) return { exitCode: 0, document: { logs } };
  if (logs.length === 0) io.out('no logs');
  else io.out(logs.map((e) => (e.stream === 'error' ? io.color.red(formatLog(e)) : formatLog(e))).join('\n'));
  return { exitCode: 0 };
}
