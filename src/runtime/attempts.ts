import { setTimeout as sleep } from 'node:timers/promises';
import { type ErrorRecord, isDeterministic } from '../errors.js';
import type { AttemptRecord, CallRecord, LogEntry } from '../store/types.js';
import { isoTime } from './clock.js';
import { retryDelay } from './options.js';
import type { RunState } from './run-state.js';
import { startWrite, storeFailed, writeCall } from './store-writes.js';
import { cancelled, failedBefore, isClosed, type Tried, tryOnce } from './try-attempt.js';
import type { CheckpointDef } from './types.js';

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
 * A first attempt that completes at once costs one promise (its write's), not an async function's.
 */
export function runAttempts(
  run: RunState,
  def: CheckpointDef,
  record: CallRecord,
  args: unknown[],
  preError?: unknown,
): Promise<unknown> {
  try {
    record.attempts = attemptsOf(run, record.id);
    // A resumed call goes on with its recorded attempts: its retry budget never starts again.
    const budget: Budget = { used: takeBudget(run, record.id), started: Date.now() };
    const first = nextTry(run, def, record, args, preError);
    if (first instanceof Promise || first.attempt.status !== 'completed')
      return moreAttempts(run, def, record, args, preError, budget, first);
    const written = recordAttempt(run, record, first);
    if (!written) return Promise.resolve(completed(run, record, first, budget));
    return written.then(
      () => completed(run, record, first, budget),
      (err: unknown) => {
        throw storeFailed(run, err);
      },
    );
  } catch (err) {
    return Promise.reject(err);
  }
}

/** What a call's attempts share: the retries its earlier runs used, and when this run began. */
interface Budget {
  used: number;
  started: number;
}

function nextTry(
  run: RunState,
  def: CheckpointDef,
  record: CallRecord,
  args: unknown[],
  preError: unknown,
): Tried | Promise<Tried> {
  const number = record.attempts.length + 1;
  return preError === undefined ? tryOnce(run, def, record, args, number) : failedBefore(number, preError);
}

/** A call whose attempt completed and was written: reported, and its value. */
function completed(run: RunState, record: CallRecord, tried: Tried, budget: Budget): unknown {
  report(run, record, tried, false, budget.started);
  return tried.value;
}

/** The attempts of a call from `first` on (one that waits, or fails and may be retried). */
async function moreAttempts(
  run: RunState,
  def: CheckpointDef,
  record: CallRecord,
  args: unknown[],
  preError: unknown,
  budget: Budget,
  first: Tried | Promise<Tried>,
): Promise<unknown> {
  let next = first;
  for (let i = 0; ; i++) {
    const tried = next instanceof Promise ? await next : next;
    const written = recordAttempt(run, record, tried);
    if (written) {
      try {
        await written;
      } catch (err) {
        throw storeFailed(run, err);
      }
    }
    if (tried.attempt.status === 'completed') return completed(run, record, tried, budget);
    await retryLater(run, def, record, tried, { used: budget.used, i }, budget.started);
    next = nextTry(run, def, record, args, preError);
  }
}

/**
 * After the failed attempt `i` of this run of the call (`used` retries of the budget gone before
 * it): waits the delay before the next attempt, or throws the error the call fails with.
 */
async function retryLater(
  run: RunState,
  def: CheckpointDef,
  record: CallRecord,
  tried: Tried,
  { used, i }: { used: number; i: number },
  started: number,
): Promise<void> {
  const decided = decide(run, def, tried.error, used + i);
  report(run, record, tried, decided.retry, started);
  if (!decided.retry) throw failed(run, record.id, decided.error);
  const delay = retryDelay(def.retryDelayMs, def.backoffFactor, i + 1);
  if (delay > 0) await sleep(delay);
  if (isClosed(run)) throw cancelled(run, record.id);
}

/** The retries a resumed call used before (taken once: later flow attempts start afresh). */
function takeBudget(run: RunState, callId: string): number {
  if (run.budgetUsed.size === 0) return 0;
  const used = run.budgetUsed.get(callId) ?? 0;
  run.budgetUsed.delete(callId);
  return used;
}

/**
 * Adds an attempt to its call's record and starts writing the record (unless the run was
 * cancelled); the store's promise, if it gives one (the caller notes a failure).
 */
function recordAttempt(run: RunState, record: CallRecord, tried: Tried): Promise<void> | undefined {
  if (isClosed(run)) throw cancelled(run, record.id);
  record.attempts.push(tried.attempt);
  record.status = tried.attempt.status;
  record.output = tried.output;
  return startWrite(run, record);
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
