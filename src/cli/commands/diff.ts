import { diffExecutions } from '../../diff.js';
import { getExecution } from '../../queries.js';
import type { CommandResult } from '../command-result.js';
import { type CliIO, storeOf } from '../io.js';
import { formatDuration, formatValue, paintStatus, table } from '../render/format.js';

/**
 * `kitaru diff <a> <b> [--changed]`: two executions of one flow (say, a run and its replay), call
 * by call. `--changed` leaves out the calls that are the same, in the JSON document too; `counts`
 * still counts every call.
 */
export async function diffCommand(
  io: CliIO,
  idA: string,
  idB: string,
  options: { changed?: boolean } = {},
): Promise<CommandResult> {
  const store = storeOf(io);
  const full = diffExecutions(await getExecution(store, idA, false), await getExecution(store, idB, false));
  const diff = options.changed ? { ...full, calls: full.calls.filter((d) => d.change !== 'same') } : full;
  if (io.json) return { exitCode: 0, document: { diff } };
  const c = io.color;
  const mark = {
    same: c.dim('same'),
    changed: c.yellow('changed'),
    'only-a': c.red('only in a'),
    'only-b': c.green('only in b'),
  };
  const rows = diff.calls.map((d) => [
    d.id,
    mark[d.change],
    `${d.a ? d.a.origin : '-'} → ${d.b ? d.b.origin : '-'}`,
    d.change === 'changed' ? `${formatValue(d.a?.output, 30)} → ${formatValue(d.b?.output, 30)}` : '',
    `${formatDuration(d.a?.durationMs ?? null)} → ${formatDuration(d.b?.durationMs ?? null)}`,
  ]);
  const n = diff.counts;
  io.out(
    [
      `${c.bold('a')} ${diff.a.id}  ${paintStatus(diff.a.status, c)}`,
      `${c.bold('b')} ${diff.b.id}  ${paintStatus(diff.b.status, c)}`,
      `flow ${diff.flow}: ${n.same} same, ${n.changed} changed, ${n['only-a']} only in a, ${n['only-b']} only in b; ` +
        `output ${diff.outputChanged ? c.yellow('changed') : 'the same'}`,
      '',
      rows.length
        ? table(['call', 'change', 'origin', 'output', 'duration'], rows, c)
        : c.dim('no call differs'),
    ].join('\n'),
  );
  return { exitCode: 0 };
}
