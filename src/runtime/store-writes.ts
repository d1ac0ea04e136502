import { isKitaruError, KitaruStoreError } from '../errors.js';
import type { CallRecord } from '../store/types.js';
import { type RunState, stopStarting } from './run-state.js';

/**
 * Writes a call's record. A store that cannot write (a full disk, a lost connection) stops the
 * execution: the call fails with the store's error, and so does the execution, whatever the flow
 * body does with it, because what ran can no longer be recorded.
 */
export function writeCall(run: RunState, record: CallRecord): Promise<void> | undefined {
  return startWrite(run, record)?.catch((err: unknown) => {
    throw storeFailed(run, err);
  });
}

/**
 * `writeCall` without the promise that notes a failure: the caller awaits the store's own promise
 * and passes what it rejects with to `storeFailed` (one promise less per call).
 */
export function startWrite(run: RunState, record: CallRecord): Promise<void> | undefined {
  try {
    return run.store.writeCall(run.execId, record);
  } catch (err) {
    throw storeFailed(run, err);
  }
}

/** Notes that the store failed (the first failure is the one reported) and stops the run. */
export function storeFailed(run: RunState, err: unknown): unknown {
  const e = isKitaruError(err, 'KitaruStoreError')
    ? err
    : new KitaruStoreError(`the store ${run.store.location} failed: ${(err as Error)?.message ?? err}`, {
        cause: err,
      });
  run.storeError ??= e;
  stopStarting(run);
  return e;
}
