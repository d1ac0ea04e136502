import { setTimeout as sleep } from 'node:timers/promises';
import { isKitaruError, KitaruTimeoutError } from '../errors.js';
import { effectiveStatus, hasEnded } from './liveness.js';
import type { Store } from './store.js';
import type { ExecutionRecord, ExecutionStatus } from './types.js';

/** Whether an execution has stopped: ended, waiting, or crashed (nothing will move it on its own). */
export function hasStopped(status: ExecutionStatus): boolean {
  return hasEnded(status) || status === 'waiting' || status === 'crashed';
}

/** The status a reader should show (`crashed` for a running record whose process is gone). */
export function effectiveStatusOf(record: ExecutionRecord): ExecutionStatus {
  return effectiveStatus(record);
}

/** Options of `awaitStopped`. */
export interface AwaitStopOptions {
  /** Give up with `KitaruTimeoutError` after this long (ms). @default no limit */
  timeoutMs?: number;
  /** Stops the waiting (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
  /**
   * How long an execution may be missing before that is an error (ms): one whose creation another
   * process has just won may not be readable yet. @default 0
   */
  missingMs?: number;
  /** Longest time between two reads (ms): the store's notices wake the waiter sooner. @default 1000 */
  pollMs?: number;
  /**
   * Which statuses (of which records) end the waiting.
   * @default `hasStopped`: ended, waiting or crashed
   */
  until?: (status: ExecutionStatus, record: ExecutionRecord) => boolean;
}

/**
 * Waits until execution `id` (an exact id) has stopped, and resolves to its record. The store's
 * `changed` (fs.watch on a folder, LISTEN/NOTIFY on Postgres) wakes the waiter when a status is
 * written; a slow poll covers what no notice reports (a process that died).
 */
export async function awaitStopped(
  store: Store,
  id: string,
  options: AwaitStopOptions = {},
): Promise<ExecutionRecord> {
  const start = Date.now();
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : start + options.timeoutMs;
  const missingUntil = start + (options.missingMs ?? 0);
  const until = options.until ?? hasStopped;
  const next = nextChange(store, id, options.pollMs ?? (store.changed ? 1000 : 100), options.signal);
  for (;;) {
    // Asked for before the read, so a status written in between still wakes the waiter.
    const change = next(deadline - Date.now());
    const record = await readOrMissing(store, id, missingUntil);
    if (record && until(effectiveStatus(record), record)) return record;
    if (Date.now() >= deadline) throw timedOut(id, record, options.timeoutMs ?? 0);
    await change;
  }
}

/** A function that waits for the next notice of a change, or at most `pollMs` (or what is left). */
function nextChange(store: Store, id: string, pollMs: number, signal: AbortSignal | undefined) {
  const aborted = signal ? abortPromise(signal) : undefined;
  return (left: number): Promise<void> => {
    const ms = Math.max(1, Math.min(pollMs, left));
    const change = store.changed ? store.changed(id, ms) : sleep(ms);
    if (!aborted) return change;
    const either = Promise.race([change, aborted]);
    either.catch(() => {}); // a read that failed first leaves nobody to hear of the abort
    return either;
  };
}

async function readOrMissing(
  store: Store,
  id: string,
  missingUntil: number,
): Promise<ExecutionRecord | null> {
  try {
    return await store.getExecution(id);
  } catch (err) {
    if (isKitaruError(err, 'KitaruNotFoundError') && Date.now() < missingUntil) return null;
    throw err;
  }
}

function timedOut(id: string, record: ExecutionRecord | null, ms: number): KitaruTimeoutError {
  const status = record ? effectiveStatus(record) : 'not readable yet';
  return new KitaruTimeoutError(
    `execution ${id} did not stop within ${ms} ms (it is ${status}). Wait longer, or follow it with \`kitaru inspect ${id}\`.`,
  );
}

function abortPromise(signal: AbortSignal): Promise<never> {
  const p = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  p.catch(() => {}); // rejected after the waiting is over: nobody needs to hear of it
  return p;
}
