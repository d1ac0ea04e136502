// Timing helpers: every figure is a value per repetition (mostly a ratio measured within the
// repetition), reported as the median with the spread (min-max).

/** Milliseconds taken by `fn`. */
export async function time(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** The median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** One benchmark figure: a value per repetition plus context values. */
export interface Figure {
  name: string;
  how: string;
  /** The value must be at most this. */
  target: number;
  /** `x` for a ratio, `ms` for an absolute time. */
  unit: 'x' | 'ms';
  values: number[];
  context: Record<string, number[]>;
}

export function figure(name: string, how: string, target: number, unit: 'x' | 'ms' = 'x'): Figure {
  return { name, how, target, unit, values: [], context: {} };
}

/** Records one repetition's value and context values. */
export function record(f: Figure, value: number, context: Record<string, number> = {}): void {
  f.values.push(value);
  for (const [k, v] of Object.entries(context)) (f.context[k] ??= []).push(v);
}

/**
 * Runs each measurement in order, then again in reverse order (a-b-c-c-b-a), and returns each
 * one's sum of two: on a machine whose speed drifts during the repetition, all see the same drift.
 * A measurement returns its own milliseconds (use `time` to time a whole function).
 */
export async function sandwich(...fns: Array<() => number | Promise<number>>): Promise<number[]> {
  const sums = fns.map(() => 0);
  const order = [...fns.keys(), ...[...fns.keys()].reverse()];
  for (const i of order) sums[i] = (sums[i] as number) + (await (fns[i] as () => number | Promise<number>)());
  return sums;
}
