import type { CallOrigin } from '../../store/types.js';

/** Ended calls counted rather than printed, per checkpoint and origin: `✓ step x19,950`. */
export interface Fold {
  /** Counts one call; cheap enough for every call of a long loop. */
  add(origin: CallOrigin, name: string): void;
  /** Calls counted so far. */
  readonly size: number;
  /** The counts on one line, in the order the checkpoints first ended; `mark` draws an origin. */
  text(mark: (origin: CallOrigin) => string): string;
}

/** Creates an empty fold. */
export function createFold(): Fold {
  const counts: Record<CallOrigin, Map<string, number>> = {
    executed: new Map(),
    reused: new Map(),
    overridden: new Map(),
  };
  const order: [CallOrigin, string][] = [];
  let size = 0;
  return {
    add(origin, name) {
      size++;
      const byName = counts[origin];
      const n = byName.get(name);
      if (n === undefined) order.push([origin, name]);
      byName.set(name, (n ?? 0) + 1);
    },
    get size() {
      return size;
    },
    text(mark) {
      return order
        .map(
          ([origin, name]) =>
            `${mark(origin)} ${name} x${(counts[origin].get(name) ?? 0).toLocaleString('en-US')}`,
        )
        .join('  ');
    },
  };
}
