import { type ErrorRecord, errorToRecord } from '../errors.js';
import { decodeValue } from '../serialization.js';
import { awaitStopped, effectiveStatusOf } from '../store/await-stop.js';
import type { Store } from '../store/store.js';
import type { ExecutionRecord } from '../store/types.js';
import { existsError } from './caller-ids.js';
import type { RunState } from './run-state.js';
import { checkSameStart } from './same-start.js';
import type { ExecutionOutcome } from './types.js';

/** How long an execution whose creation another process just won may take to become readable. */
const CREATING_MS = 10_000;

/**
 * The execution an id names, once readable: one whose creation another process has just won may
 * take a moment. A `KitaruStateError` when it was started differently (another flow, other
 * arguments, another replay: see `startDifferences`): an id is an idempotency key.
 */
export async function existingSameStart(store: Store, wanted: ExecutionRecord): Promise<ExecutionRecord> {
  const existing = await awaitStopped(store, wanted.id, { missingMs: CREATING_MS, until: () => true });
  checkSameStart(existing, wanted);
  return existing;
}

/**
 * The run's id names an execution that exists (another process created it first, or earlier):
 * nothing runs here. With `attach`, waits for that execution to stop and reports it as this run's
 * outcome (refused when it was started differently); with `fail`, refuses with a `KitaruStateError`.
 */
export async function attachTo(
  run: RunState,
  wanted: ExecutionRecord,
  onConflict: 'attach' | 'fail',
): Promise<ExecutionOutcome> {
  const { execId, store } = run;
  let first: ExecutionRecord;
  try {
    if (onConflict === 'fail') throw existsError(execId);
    first = await existingSameStart(store, wanted);
  } catch (err) {
    const error = errorToRecord(err);
    return { execId, status: 'failed', waits: [], value: undefined, error, cause: err, refused: true };
  }
  run.observer.executionAttached?.({ execId, flowName: first.flow.name, status: effectiveStatusOf(first) });
  const record = await awaitStopped(store, execId, { missingMs: CREATING_MS });
  const status = effectiveStatusOf(record);
  const base = { execId, waits: [], value: undefined, cause: undefined, attached: true as const };
  if (status === 'completed') return { ...base, status, value: decodeValue(record.output), error: null };
  if (status === 'waiting') return { ...base, status, waits: record.waits ?? [], error: null };
  if (status === 'cancelled') return { ...base, status, error: record.error };
  const error: ErrorRecord = record.error ?? {
    type: 'KitaruExecutionError',
    message: `execution ${execId} ${status}: its process is gone. Resume it with \`kitaru resume ${execId}\`.`,
    stack: null,
  };
  return { ...base, status: 'failed', error };
}
