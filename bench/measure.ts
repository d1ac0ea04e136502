// Timing helpers: every figure is a ratio within one repetition, reported as the median.

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

/** One benchmark figure: ratios per repetition plus context values. */
export interface Figure {
  name: string;
  how: string;
  target: number;
  ratios: number[];
  context: Record<string, number[]>;
}

export function figure(name: string, how: string, target: number): Figure {
  return { name, how, target, ratios: [], context: {} };
}

/** Records one repetition's ratio and context values. */
export function record(f: Figure, ratio: number, context: Record<string, number> = {}): void {
  f.ratios.push(ratio);
  for (const [k, v] of Object.entries(context)) (f.context[k] ??= []).push(v);
}
