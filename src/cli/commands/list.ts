import { listExecutions } from '../../queries.js';
import type { CommandResult } from '../command-result.js';
import { type CliIO, storeOf } from '../io.js';
import { parseCount } from '../parse-input.js';
import { formatDuration, formatTime, paintStatus, table } from '../render/format.js';

/** `kitaru list [--flow] [--status] [--limit]`: newest first, 50 by default. */
export async function listCommand(
  io: CliIO,
  options: { flow?: string; status?: string; limit?: string },
): Promise<CommandResult> {
  const filter = {
    limit: options.limit === undefined ? 50 : parseCount(options.limit, '--limit'),
    ...(options.flow === undefined ? {} : { flow: options.flow }),
    ...(options.status === undefined ? {} : { status: options.status }),
  };
  const { executions, warnings } = await listExecutions(storeOf(io), filter, false);
  for (const w of warnings) io.err(io.color.yellow(`warning: ${w}`));
  if (io.json) return { exitCode: 0, document: { executions, count: executions.length } };
  if (executions.length === 0) {
    io.out('no executions');
    return { exitCode: 0 };
  }
  const rows = executions.map((e) => [
    e.id,
    e.flow.name,
    paintStatus(e.status, io.color),
    String(e.checkpointCount),
    formatTime(e.createdAt),
    formatDuration(e.durationMs),
    e.originalExecId ? `replay of ${e.originalExecId}` : '',
  ]);
  io.out(table(['id', 'flow', 'status', 'calls', 'created', 'duration', ''], rows, io.color));
  return { exitCode: 0 };
}
