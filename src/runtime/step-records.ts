import { KitaruDivergenceError, KitaruWaitTimeoutError } from '../errors.js';
import { encodeValue, hashEncoded, type Json } from '../serialization.js';
import type { CallRecord } from '../store/types.js';
import { identifyCall, stepDef } from './call-identity.js';
import { isoTime } from './clock.js';
import { type RunState, stopStarting } from './run-state.js';
import { writeCall } from './store-writes.js';

/** The record of a `wait()` or `sleep()` call: its id in call order, its kind and its inputs. */
export function identifyStep(
  run: RunState,
  kind: 'wait' | 'sleep',
  name: string,
  input: unknown,
): CallRecord {
  const record = identifyCall(run, stepDef(name));
  record.kind = kind;
  record.input = encodeValue(input, 'input', `${kind} ${record.id}`);
  record.inputHash = hashEncoded(record.input);
  return record;
}

/** Fails the execution (whatever the body does): a resumed call came with other inputs than recorded. */
export function diverged(run: RunState, callId: string): KitaruDivergenceError {
  const err = new KitaruDivergenceError(
    `call ${callId} of execution ${run.execId} was made with other inputs than recorded before the ` +
      'execution was resumed: a resumed flow body must make the same calls with the same inputs. ' +
      `Run \`kitaru inspect ${run.execId}\` to see what was recorded, or replay it (kitaru replay ${run.execId}) to run it anew.`,
  );
  run.fatal ??= err;
  stopStarting(run);
  return err;
}

/** The error of a wait past its deadline with no answer and no default. */
export function timeoutError(
  run: RunState,
  callId: string,
  deadline: string | undefined,
): KitaruWaitTimeoutError {
  return new KitaruWaitTimeoutError(
    `wait ${callId} of execution ${run.execId} had no answer by its deadline${deadline ? ` ${deadline}` : ''}. ` +
      'Give the wait a default, or catch KitaruWaitTimeoutError in the flow.',
  );
}

/** The recorded wait or sleep of this id, checked against the inputs it is made with now. */
export function earlierStep(run: RunState, record: CallRecord): CallRecord | undefined {
  const earlier = run.waitRecords.get(record.id);
  if (earlier && earlier.inputHash !== record.inputHash) throw diverged(run, record.id);
  return earlier;
}

/**
 * Ends a wait or sleep's record as it is decided (`output` encoded, or `error` for a timeout),
 * writes it, and reports it. Resolves once it is written.
 */
export async function recordStep(
  run: RunState,
  record: CallRecord,
  output: Json,
  error: Error | null,
  startedAt: string,
): Promise<void> {
  record.status = error ? 'failed' : 'completed';
  record.output = output;
  const endedAt = isoTime();
  record.attempts = [
    {
      attempt: 1,
      status: record.status,
      startedAt,
      endedAt,
      error: error ? { type: error.name, message: error.message, stack: null } : null,
      logs: [],
    },
  ];
  await keepStep(run, record, 1, Date.parse(endedAt) - Date.parse(startedAt));
}

/**
 * Keeps a decided wait or sleep: known to later calls of the run, written, and reported (with
 * `attempts` made: 1 when decided here, 0 when reused). Resolves once it is written.
 */
export async function keepStep(
  run: RunState,
  record: CallRecord,
  attempts: number,
  durationMs: number,
): Promise<void> {
  run.waitRecords.set(record.id, record);
  const written = writeCall(run, record);
  if (written) await written;
  run.observer.callEnded?.({
    execId: run.execId,
    callId: record.id,
    name: record.name,
    type: record.kind ?? null,
    status: record.status,
    origin: record.origin,
    reason: record.reason,
    attempts,
    durationMs,
    error: record.attempts[0]?.error ?? null,
  });
}
