// One attempt of a checkpoint call: run in its own scope, its value encoded, its record made.
import { errorToRecord, KitaruCancelledError } from '../errors.js';
import { encodeCallValue, type Json } from '../serialization.js';
import type { AttemptRecord, CallRecord, LogEntry } from '../store/types.js';
import { timedOut, withinTimeout } from './abort.js';
import { isoTime } from './clock.js';
import type { RunState } from './run-state.js';
import { runInScope } from './state.js';
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
export interface Tried {
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

/** Read through a call, so that TypeScript does not narrow the phase across an await. */
export function isClosed(run: RunState): boolean {
  return run.phase === 'closed';
}

export function cancelled(run: RunState, callId: string): KitaruCancelledError {
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

/**
 * Runs the checkpoint function once, in its own scope, and stores nothing yet. A synchronous
 * attempt that need not wait for anything comes back as it is, not as a promise: no extra turn of
 * the microtask queue, and no promise to make (each one costs more under AsyncLocalStorage).
 */
export function tryOnce(
  run: RunState,
  def: CheckpointDef,
  record: CallRecord,
  args: unknown[],
  attempt: number,
): Tried | Promise<Tried> {
  const turn = yieldNowAndThen(run);
  if (turn || run.onAttemptStart) return tryOnceLater(run, def, record, args, attempt, turn);
  if (isClosed(run)) throw cancelled(run, record.id);
  return attemptNow(run, def, record, args, attempt, Date.now());
}

/** `tryOnce` after letting the event loop turn, or telling the attempt start hook. */
async function tryOnceLater(
  run: RunState,
  def: CheckpointDef,
  record: CallRecord,
  args: unknown[],
  attempt: number,
  turn: Promise<void> | undefined,
): Promise<Tried> {
  if (turn) await turn;
  if (isClosed(run)) throw cancelled(run, record.id); // cancelled while the event loop turned
  const startedAt = Date.now();
  if (run.onAttemptStart) await run.onAttemptStart(record, attempt, isoTime(startedAt));
  return attemptNow(run, def, record, args, attempt, startedAt);
}

function attemptNow(
  run: RunState,
  def: CheckpointDef,
  record: CallRecord,
  args: unknown[],
  attempt: number,
  startedAt: number,
): Tried | Promise<Tried> {
  const callId = record.id;
  const scope: AttemptScope = { kind: 'attempt', run: run.api, callId, attempt, logs: [] };
  run.inflight.set(callId, { record, scope, startedAt });
  run.observer.callStarted?.({ execId: run.execId, callId, attempt });
  let value: unknown;
  try {
    value = settle(runInScope(scope, def.fn, args), def, scope, startedAt);
  } catch (err) {
    return ended(run, callId, scope, startedAt, false, undefined, err);
  }
  if (isThenable(value)) return awaitAttempt(run, callId, scope, startedAt, value);
  return ended(run, callId, scope, startedAt, true, value, undefined);
}

async function awaitAttempt(
  run: RunState,
  callId: string,
  scope: AttemptScope,
  startedAt: number,
  pending: PromiseLike<unknown>,
): Promise<Tried> {
  try {
    return ended(run, callId, scope, startedAt, true, await pending, undefined);
  } catch (err) {
    return ended(run, callId, scope, startedAt, false, undefined, err);
  }
}

/** The attempt as it ended: its value encoded (a value that cannot be stored fails it). */
function ended(
  run: RunState,
  callId: string,
  scope: AttemptScope,
  startedAt: number,
  ok: boolean,
  value: unknown,
  error: unknown,
): Tried {
  let output: Json = null;
  if (ok) {
    try {
      output = encodeCallValue(value, 'output', 'checkpoint', callId);
    } catch (err) {
      ok = false;
      error = err;
    }
  }
  run.inflight.delete(callId);
  return { attempt: attemptRecord(scope.attempt, startedAt, ok, error, scope.logs), value, output, error };
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
  const endMs = Date.now();
  const started = isoTime(startedAt);
  return {
    attempt,
    status: ok ? 'completed' : 'failed',
    startedAt: started,
    // Most small attempts end in the millisecond they started: the same string, made once.
    endedAt: endMs === startedAt ? started : isoTime(endMs),
    error: ok ? null : errorToRecord(error),
    logs,
  };
}

/** A failure found before running (inputs that cannot be stored), as one failed attempt. */
export function failedBefore(attempt: number, error: unknown): Tried {
  return {
    attempt: attemptRecord(attempt, Date.now(), false, error, []),
    value: undefined,
    output: null,
    error,
  };
}
