import { KitaruUsageError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** A duration: milliseconds, or a number and a unit (`'500ms'`, `'90s'`, `'10m'`, `'2h'`, `'3d'`). */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

/** Milliseconds of a duration; anything else is a `KitaruUsageError` naming the value and `what` it was for. */
export function parseDuration(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const m = PATTERN.exec(value.trim());
    if (m) return Number(m[1]) * (UNITS[m[2] as string] as number);
  }
  const shown = typeof value === 'string' ? `"${value}"` : String(value);
  throw new KitaruUsageError(
    `${what}: ${shown} is not a duration; give milliseconds (a number >= 0) or a string such as '500ms', '90s', '10m', '2h' or '3d'.`,
  );
}

/**
 * Milliseconds of a duration given on the command line (`--older-than`, `--timeout`): there a bare
 * number is refused, so the message names only what the command line takes.
 */
export function parseDurationOption(value: string, option: string): number {
  const m = PATTERN.exec(value.trim());
  if (m) return Number(m[1]) * (UNITS[m[2] as string] as number);
  throw new KitaruUsageError(
    `${option}: ${JSON.stringify(value)} is not a duration; give a number and a unit: 30d, 12h, 10m, 90s or 500ms.`,
  );
}
