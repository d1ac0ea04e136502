import { KitaruUsageError } from '../errors.js';

/** A counting semaphore: `acquire()` resolves to a release function once a slot is free. */
export function createGate(limit: number): () => Promise<() => void> {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new KitaruUsageError(`concurrency must be an integer >= 1, got ${JSON.stringify(limit)}.`);
  }
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    active--;
    const next = waiting.shift();
    if (next) {
      active++;
      next();
    }
  };
  return () => {
    if (active < limit) {
      active++;
      return Promise.resolve(release);
    }
    return new Promise((resolve) => waiting.push(() => resolve(release)));
  };
}
