import { type ErrorRecord, errorToRecord } from '../errors.js';
import { decodeValue } from '../serialization.js';
import { awaitStopped, effectiveStatusOf } from '../store/await-stop.js';
import { existsError } from './caller-ids.js';
import type { RunState } from './run-state.js';
import type { ExecutionOutcome, FlowDef } from './types.js';

/** How long an execution whose creation another process just won may take to become readable. */
const CREATING_MS = 10_000;

/**
 * The run's id names an execution that exists (another process created it first, or earlier):
 * nothing runs here. With `attach`, waits for that execution to stop and reports it as this run's
 * outcome; with `fail`, refuses with a `KitaruStateError`.
 */
export async function attachTo(
  run: RunState,
  def: FlowDef,
  onConflict: 'attach' | 'fail',
): Promise<ExecutionOutcome> {
  const { execId, store } = run;
  if (onConflict === 'fail') {
    const err = existsError(execId);
    const error = errorToRecord(err);
    return { execId, status: 'failed', waits: [], value: undefined, error, cause: err, refused: true };
  }
  const first = await store.getExecution(execId).catch(() => null);
  run.observer.executionAttached?.({
    execId,
    flowName: first?.flow.name ?? def.name,
    status: first ? effectiveStatusOf(first) : 'running',
  });
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
