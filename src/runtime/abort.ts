import { KitaruCancelledError, KitaruTimeoutError } from '../errors.js';
import type { RunState } from './run-state.js';
import type { AttemptScope } from './types.js';

// Controllers are made only when user code asks for a signal (or a timeout fires): a run of
// 20,000 calls that never asks pays nothing for them.

/** Aborts one attempt's signal with `reason` (the first reason wins). */
export function abortAttempt(scope: AttemptScope, reason: unknown): void {
  if (scope.abortReason !== undefined) return;
  scope.abortReason = reason;
  scope.abort?.abort(reason);
}

/** The attempt's signal, made on first ask; already aborted if the attempt or its run was. */
export function attemptSignal(run: RunState, scope: AttemptScope): AbortSignal {
  if (!scope.abort) {
    scope.abort = new AbortController();
    if (scope.abortReason === undefined && run.phase === 'closed') abortAttempt(scope, run.abortReason);
    else if (scope.abortReason !== undefined) scope.abort.abort(scope.abortReason);
  }
  return scope.abort.signal;
}

/** The execution's signal (for a flow body), made on first ask. */
export function runSignal(run: RunState): AbortSignal {
  if (!run.abort) {
    run.abort = new AbortController();
    if (run.abortReason !== undefined) run.abort.abort(run.abortReason);
  }
  return run.abort.signal;
}

/** Aborts the execution's signal and those of its attempts in flight: the run was closed. */
export function abortRun(run: RunState, message: string): void {
  if (run.abortReason !== undefined) return;
  run.abortReason = new KitaruCancelledError(message);
  run.abort?.abort(run.abortReason);
  for (const { scope } of run.inflight.values()) abortAttempt(scope, run.abortReason);
}

/**
 * Settles with `value`, or rejects with `KitaruTimeoutError` after `ms`, aborting the attempt's
 * signal: a late result of code that ignores the signal is discarded.
 */
export function withinTimeout(
  value: PromiseLike<unknown>,
  ms: number,
  scope: AttemptScope,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = timedOut(scope, ms);
      abortAttempt(scope, error);
      reject(error);
    }, ms);
    value.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** The error of an attempt that ran past its timeout. */
export function timedOut(scope: AttemptScope, ms: number): KitaruTimeoutError {
  return new KitaruTimeoutError(
    `attempt ${scope.attempt} of call ${scope.callId} ran past its timeout of ${ms} ms: its abortSignal() ` +
      'was aborted and a late result is discarded. Raise the timeout option, or make the call faster.',
  );
}
