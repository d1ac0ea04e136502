import { KitaruUsageError } from '../../errors.js';
import type { Schedule } from '../../queue/crontab.js';
import { projectRoot } from '../../store/project-root.js';
import type { CommandResult } from '../command-result.js';
import type { CliIO } from '../io.js';
import { table } from '../render/format.js';

/** How many coming ticks each schedule shows. */
const NEXT = 3;

/**
 * "Now" for the next ticks: the clock, or `KITARU_NOW` (an ISO time; internal, for tests that
 * check the times against a fixed clock).
 */
function now(): Date {
  const fixed = process.env.KITARU_NOW;
  if (fixed === undefined || fixed === '') return new Date();
  const at = new Date(fixed);
  if (Number.isNaN(at.getTime())) throw new KitaruUsageError(`KITARU_NOW is not a time: "${fixed}"`);
  return at;
}

/** A tick as the table shows it: UTC, to the minute. */
const shortTime = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;

function flowOf(s: Schedule): string {
  return s.flow === null ? s.file : `${s.file} · ${s.flow}`;
}

/**
 * `kitaru schedules`: the schedules of the project's `kitaru.crontab` (the workers keep them in
 * queue mode) with their next ticks. A bad line is an error naming it.
 */
export async function schedulesCommand(io: CliIO): Promise<CommandResult> {
  const { readCrontab } = await import('../../queue/crontab.js');
  const { nextTicks } = await import('../../queue/next-ticks.js');
  const root = projectRoot(process.cwd());
  const crontab = await readCrontab(root);
  const from = now();
  const schedules = (crontab?.schedules ?? []).map((s) => {
    const matcher = crontab?.matchers.get(s.name);
    const next = matcher ? nextTicks(matcher, from, NEXT).map((t) => t.toISOString()) : [];
    return { ...s, next };
  });
  if (io.json) {
    return { exitCode: 0, document: { file: crontab?.path ?? null, schedules, count: schedules.length } };
  }
  if (!crontab) {
    io.out(`no schedules: there is no kitaru.crontab in ${root}`);
    return { exitCode: 0 };
  }
  const rows = schedules.map((s) => [
    s.name,
    s.cron,
    flowOf(s),
    s.next.length ? s.next.map(shortTime).join(', ') : 'never (within four years)',
  ]);
  io.out(table(['schedule', 'cron (UTC)', 'flow', `next ${NEXT} (UTC)`], rows, io.color, io.width));
  io.err(io.color.dim(`${crontab.path} · the workers (kitaru worker) start these on time`));
  return { exitCode: 0 };
}
