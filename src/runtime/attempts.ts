import { setTimeout as sleep } from 'node:timers/promises';
import { type ErrorRecord, errorToRecord, isDeterministic, KitaruCancelledError } from '../errors.js';
import { encodeValue, type Json } from '../serialization.js';
import type { AttemptRecord, CallRecord, LogEntry } from '../store/types.js';
import { timedOut, withinTimeout } from './abort.js';
import { isoTime } from './clock.js';
import { retryDelay } from './options.js';
import type { RunState } from './run-state.js';
import { runInScope } from './state.js';
import { writeCall } from './store-writes.js';
import type { AttemptScope, CheckpointDef } from './types.js';

/**
 * The longest a run keeps the event loop waiting, in milliseconds: shorter would split the writes
 * of a fan-out of slow synchronous calls into more groups (test/store/json-folder.test.ts), and a
 * signal waits at most this long of CPU before it is seen. Two immediates make one turn
 * that always passes the loop's poll phase, where signals are read: a call that follows one that
 * ran in a poll-phase callback (an I/O completion) would otherwise go on to the check phase first.
 */
const YIELD_EVERY_MS = 50;

/** One attempt as it ended: its record, and the value (completed) or error (failed). */
interface Tried {
  attempt: AttemptRecord;
  value: unknown;
  output: Json;
  error: unknown;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * The record of an attempt that did not end by itself: cancelled with its execution, or lost with
 * the worker that ran it. Its error says which.
 */
export function interruptedAttempt(
  attempt: number,
  startedAt: string,
  error: ErrorRecord,
  logs: LogEntry[] = [],
): AttemptRecord {
  return { attempt, status: 'failed', startedAt, endedAt: isoTime(), error, logs };
}

/** Read through a call, so that TypeScript does not narrow the phase across an await. */
function isClosed(run: RunState): boolean {
  return run.phase === 'closed';
}

function cancelled(run: RunState, callId: string): KitaruCancelledError {
  return new KitaruCancelledError(`call ${callId} was cancelled with execution ${run.execId}.`);
}

/**
 * Synchronous checkpoints and writes never leave the microtask queue: before a call starts, let
 * the event loop turn when it last did more than 50 ms ago, so that a SIGINT/SIGTERM (or
 * `kitaru cancel`) that came meanwhile is seen before the call runs, and timers are not held up.
 */
function yieldNowAndThen(run: RunState): Promise<void> | undefined {
  const now = Date.now();
  if (now - run.lastYield < YIELD_EVERY_MS) return undefined;
  // Noted now, not once the turn is over: the other calls a fan-out starts meanwhile go on
  // together (one turn per period, and their records one group), not a turn each.
  run.lastYield = now;
  return new Promise<void>((resolve) => setImmediate(setImmediate, resolve));
}

/** Runs the checkpoint function once, in its own scope, and stores nothing yet. */
async function tryOnce(
  run: RunState,
  def: CheckpointDef,
  record: CallRecord,
  args: unknown[],
  attempt: number,
): Promise<Tried> {
  const callId = record.id;
  const scope: AttemptScope = { kind: 'attempt', run: run.api, callId, attempt, logs: [] };
  const turn = yieldNowAndThen(run);
  if (turn) await turn;
  if (isClosed(run)) throw cancelled(run, callId); // cancelled while the event loop turned
  const startedAt = Date.now();
  if (run.onAttemptStart) await run.onAttemptStart(record, attempt, isoTime(startedAt));
  run.inflight.set(callId, { record, scope, startedAt });
  run.observer.callStarted?.({ execId: run.execId, callId, attempt });
  let value: unknown;
  let output: Json = null;
  let error: unknown;
  let ok = false;
  try {
    value = settle(runInScope(scope, def.fn, args), def, scope, startedAt);
    if (isThenable(value)) value = await value;
    output = encodeValue(value, 'output', `checkpoint ${callId}`);
    ok = true;
  } catch (err) {
    error = err;
  }
  run.inflight.delete(callId);
  return { attempt: attemptRecord(attempt, startedAt, ok, error, scope.logs), value, output, error };
}

/**
 * The attempt's value once it settles, held to the checkpoint's timeout: a synchronous value needs
 * no extra turn of the microtask queue, and one that came past the timeout is discarded.
 */
function settle(value: unknown, def: CheckpointDef, scope: AttemptScope, startedAt: number): unknown {
  const ms = def.timeoutMs;
  if (isThenable(value)) return ms === null ? value : withinTimeout(value, ms, scope);
  if (ms !== null && Date.now() - startedAt > ms) throw timedOut(scope, ms);
  return value;
}

function attemptRecord(
  attempt: number,
  startedAt: number,
  ok: boolean,
  error: unknown,
  logs: LogEntry[],
): AttemptRecord {
  return {
    attempt,
    status: ok ? 'completed' : 'failed',
    startedAt: isoTime(startedAt),
    endedAt: isoTime(),
    error: ok ? null : errorToRecord(error),
    logs,
  };
}

/** A failure found before running (inputs that cannot be stored), as one failed attempt. */
function failedBeforeRunning(attempt: number, error: unknown): Tried {
  return {
    attempt: attemptRecord(attempt, Date.now(), false, error, []),
    value: undefined,
    output: null,
    error,
  };
}

/** The attempts this call has made so far (a resumed call or a flow retry goes on with them). */
function attemptsOf(run: RunState, callId: string): AttemptRecord[] {
  let attempts = run.attempts.get(callId);
  if (!attempts) {
    attempts = [];
    if (run.retainForRetry) run.attempts.set(callId, attempts);
  }
  return attempts;
}

/**
 * Runs the attempts of an executed call, writing the call's record after each one. `preError` is
 * a failure found before running (inputs that cannot be stored): recorded as one failed attempt.
 */
export async function runAttempts(
  run: RunState,
  def: CheckpointDef,
  record: CallRecord,
  args: unknown[],
  preError?: unknown,
): Promise<unknown> {
  const callId = record.id;
  const attempts = attemptsOf(run, callId);
  record.attempts = attempts;
  // A resumed call goes on with its recorded attempts: its retry budget never starts again.
  const used = run.budgetUsed.get(callId) ?? 0;
  run.budgetUsed.delete(callId);
  const started = Date.now();
  for (let i = 0; ; i++) {
    const number = attempts.length + 1;
    const tried =
      preError === undefined
        ? await tryOnce(run, def, record, args, number)
        : failedBeforeRunning(number, preError);
    await recordAttempt(run, record, tried);
    const ok = tried.attempt.status === 'completed';
    const decided = ok ? { retry: false, error: undefined } : decide(run, def, tried.error, used + i);
    report(run, record, tried, decided.retry, started);
    if (ok) return tried.value;
    if (!decided.retry) throw failed(run, callId, decided.error);
    const delay = retryDelay(def.retryDelayMs, def.backoffFactor, i + 1);
    if (delay > 0) await sleep(delay);
    if (isClosed(run)) throw cancelled(run, callId);
  }
}

/** Adds an attempt to its call's record and writes the record (unless the run was cancelled). */
async function recordAttempt(run: RunState, record: CallRecord, tried: Tried): Promise<void> {
  if (isClosed(run)) throw cancelled(run, record.id);
  record.attempts.push(tried.attempt);
  record.status = tried.attempt.status;
  record.output = tried.output;
  const written = writeCall(run, record);
  if (written) await written;
}

/** Whether an error may be retried: one from user code, while the flow attempt goes on. */
function retryable(run: RunState, error: unknown): boolean {
  return !isDeterministic(error) && run.phase === 'running';
}

/**
 * Whether a failed attempt is retried (`retriesUsed` of the budget gone), and the error the call
 * fails with if not: the attempt's, or the one a throwing `retryIf` threw.
 */
function decide(
  run: RunState,
  def: CheckpointDef,
  error: unknown,
  retriesUsed: number,
): { retry: boolean; error: unknown } {
  if (retriesUsed >= def.retries || !retryable(run, error)) return { retry: false, error };
  if (!def.retryIf) return { retry: true, error };
  try {
    return { retry: Boolean(def.retryIf(error)), error };
  } catch (thrown) {
    return { retry: false, error: thrown };
  }
}

/** The error a call fails with, noted so that `execution.error` can name the call. */
function failed(run: RunState, callId: string, error: unknown): unknown {
  if (typeof error === 'object' && error !== null) run.failedCalls.set(error, callId);
  return error;
}

/** Tells the observer how an attempt ended, and how the call ended when it did. */
function report(run: RunState, record: CallRecord, tried: Tried, willRetry: boolean, started: number): void {
  const ok = tried.attempt.status === 'completed';
  if (ok) {
    if (run.retainForRetry) run.completed.set(record.id, { inputHash: record.inputHash, value: tried.value });
  } else {
    run.observer.attemptFailed?.({
      execId: run.execId,
      callId: record.id,
      attempt: tried.attempt.attempt,
      error: tried.attempt.error as ErrorRecord,
      willRetry,
    });
  }
  if (ok || !willRetry) {
    run.observer.callEnded?.({
      execId: run.execId,
      callId: record.id,
      name: record.name,
      type: record.type,
      status: tried.attempt.status,
      origin: 'executed',
      reason: record.reason,
      attempts: record.attempts.length,
      durationMs: Date.now() - started,
      error: tried.attempt.error,
    });
  }
}

/** Records every attempt in flight as failed with a `KitaruCancelledError`. */
export async function recordCancelledAttempts(run: RunState, signal: string): Promise<void> {
  // A snapshot: attempts that the cancel aborted leave the map as they unwind.
  const inflight = [...run.inflight.values()];
  run.inflight.clear();
  for (const { record, scope, startedAt } of inflight) {
    const error = { type: 'KitaruCancelledError', message: `attempt cancelled by ${signal}`, stack: null };
    record.attempts.push(interruptedAttempt(scope.attempt, isoTime(startedAt), error, scope.logs));
    record.status = 'failed';
    record.output = null;
    await writeCall(run, record);
  }
}
