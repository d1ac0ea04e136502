import type { CronMatcher } from './crontab.js';

const MINUTE = 60_000;
/** How far ahead to look: a little over four years, so that a tick on 29 February is found. */
const HORIZON = 4 * 366 * 24 * 60 + 1;

/**
 * The next `count` ticks of a schedule at or after `from` (rounded up to its minute), as graphile
 * worker's cron runs them: every minute that the matcher takes. Fewer when the expression has no
 * more within about four years (`0 0 31 2 *` has none).
 */
export function nextTicks(matcher: CronMatcher, from: Date, count: number): Date[] {
  const ticks: Date[] = [];
  const at = new Date(Math.ceil(from.getTime() / MINUTE) * MINUTE);
  for (let i = 0; i < HORIZON && ticks.length < count; i++) {
    if (matcher(at)) ticks.push(new Date(at));
    at.setTime(at.getTime() + MINUTE);
  }
  return ticks;
}
