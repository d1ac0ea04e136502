import { collectGarbage, type GcEntry, type GcOptions, type GcReport, gcFilter } from '../../retention.js';
import { parseDurationOption } from '../../runtime/duration.js';
import type { CommandResult } from '../command-result.js';
import { type CliIO, storeOf } from '../io.js';
import { parseCount } from '../parse-input.js';
import { formatTime, paintStatus, table } from '../render/format.js';

/** How many executions the text report names; the rest are counted. */
const SHOWN = 10;

/** What commander hands `gc`. */
interface GcFlags {
  olderThan?: string;
  status?: string[];
  keepLast?: string;
  all?: boolean;
  dryRun?: boolean;
}

/** The flags as gc options, checked before the store is opened (bad input writes nothing). */
function gcOptions(flags: GcFlags): GcOptions {
  const options: GcOptions = {
    ...(flags.olderThan === undefined
      ? {}
      : { olderThan: parseDurationOption(flags.olderThan, '--older-than') }),
    ...(flags.status === undefined ? {} : { status: flags.status.flatMap((s) => s.split(',')) }),
    ...(flags.keepLast === undefined ? {} : { keepLast: parseCount(flags.keepLast, '--keep-last') }),
    all: flags.all === true,
    dryRun: flags.dryRun === true,
  };
  gcFilter(options);
  return options;
}

/** `3 completed, 1 failed`. */
function byStatus(entries: GcEntry[]): string {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.status, (counts.get(e.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function deletedLines(io: CliIO, report: GcReport): string[] {
  const { deleted, dryRun } = report;
  const verb = dryRun ? 'would delete' : 'deleted';
  if (deleted.length === 0) return [`${verb} no executions${dryRun ? ' (dry run)' : ''}`];
  const rows = deleted
    .slice(0, SHOWN)
    .map((e) => [e.id, e.flow, paintStatus(e.status, io.color), formatTime(e.createdAt)]);
  const lines = [
    `${verb} ${plural(deleted.length, 'execution')} (${byStatus(deleted)})${dryRun ? ', dry run: nothing was deleted' : ''}`,
    table(['id', 'flow', 'status', 'created'], rows, io.color, io.width),
  ];
  if (deleted.length > SHOWN) lines.push(io.color.dim(`... and ${deleted.length - SHOWN} more`));
  return lines;
}

function keptLines(io: CliIO, report: GcReport): string[] {
  const { kept } = report;
  if (kept.length === 0) return [];
  const rows = kept.slice(0, SHOWN).map((k) => [k.id, paintStatus(k.status, io.color), k.message]);
  const lines = [
    `kept ${plural(kept.length, 'execution')} that matched:`,
    table(['id', 'status', 'why'], rows, io.color, io.width),
  ];
  if (kept.length > SHOWN)
    lines.push(io.color.dim(`... and ${kept.length - SHOWN} more (--json lists them all)`));
  return lines;
}

/**
 * `kitaru gc [--older-than] [--status...] [--keep-last] [--all] [--dry-run]`: deletes ended
 * executions that match every filter, each all or nothing; with no filter at all, refuses.
 */
export async function gcCommand(io: CliIO, flags: GcFlags): Promise<CommandResult> {
  const options = gcOptions(flags);
  const report = await collectGarbage(storeOf(io), options);
  for (const w of report.warnings) io.err(io.color.yellow(`warning: ${w}`));
  const { deleted, kept, dryRun } = report;
  if (io.json) return { exitCode: 0, document: { deleted, kept, dryRun } };
  io.out([...deletedLines(io, report), ...keptLines(io, report)].join('\n'));
  return { exitCode: 0 };
}
