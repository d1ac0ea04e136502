import { getLogs } from '../../queries.js';
import { type CliIO, storeOf } from '../io.js';
import { formatLog } from './inspect.js';

/** `kitaru logs <exec-id> [--checkpoint <sel>]`: captured logs in time order. */
export async function logsCommand(io: CliIO, id: string, options: { checkpoint?: string }): Promise<number> {
  const logs = await getLogs(storeOf(io), id, false, options.checkpoint);
  if (io.json) io.out(JSON.stringify({ command: 'logs', logs }));
  else io.out(logs.length ? logs.map(formatLog).join('\n') : 'no logs');
  return 0;
}
