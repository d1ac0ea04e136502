import { setTimeout as sleep } from 'node:timers/promises';
import {
  errorToRecord,
  isDeterministic,
  KitaruCancelledError,
  KitaruContextError,
  KitaruStateError,
} from '../errors.js';
import { decodeValue, encodeValue, hashEncoded, type Json } from '../serialization.js';
import { type AttemptRecord, type CallRecord, SCHEMA_VERSION } from '../store/types.js';
import { isoTime } from './clock.js';
import type { CheckpointDef } from './definitions.js';
import { KitaruFuture } from './future.js';
import { retryDelay } from './options.js';
import type { RunState } from './run-state.js';
import { type AttemptScope, runInScope } from './state.js';

/**
 * A fresh call record. Written out field by field, not spread: object spread of these shapes costs
 * microseconds in V8, which matters at the scale of one small-file write per checkpoint.
 */
function newRecord(seq: number, callId: string, def: CheckpointDef): CallRecord {
  return {
    schemaVersion: SCHEMA_VERSION,
    seq,
    id: callId,
    name: def.name,
    type: def.type,
    status: 'failed',
    origin: 'executed',
    reason: 'new',
    sourceExecId: null,
    sourceSeq: null,
    inputHash: '',
    input: null,
    output: null,
    attempts: [],
  };
}

/** The longest a run keeps the event loop waiting, in milliseconds. */
const YIELD_EVERY_MS = 50;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Gives the call its id (`name`, `name_2`, ... in call order) and starts it. */
export function startCall(
  run: RunState,
  def: CheckpointDef,
  args: unknown[],
  gate?: () => Promise<() => void>,
): KitaruFuture<unknown> {
  if (run.stopped || run.closed) {
    throw new KitaruContextError(
      `checkpoint ${def.name} was called after execution ${run.execId} had stopped; await every call inside the flow body.`,
    );
  }
  const n = (run.counts.get(def.name) ?? 0) + 1;
  run.counts.set(def.name, n);
  const callId = n === 1 ? def.name : `${def.name}_${n}`;
  let seq = run.retainForRetry ? run.seqs.get(callId) : undefined;
  if (seq === undefined) {
    seq = run.nextSeq++;
    while (run.takenSeqs.has(seq)) seq = run.nextSeq++;
    if (run.retainForRetry) run.seqs.set(callId, seq);
  }
  const record = newRecord(seq, callId, def);
  const promise = gate ? gated(run, def, record, args, gate) : resolveCall(run, def, record, args);
  run.pending.add(promise);
  const forget = () => run.pending.delete(promise);
  promise.then(forget, forget);
  return new KitaruFuture(callId, promise);
}

async function gated(
  run: RunState,
  def: CheckpointDef,
  record: CallRecord,
  args: unknown[],
  gate: () => Promise<() => void>,
) {
  const release = await gate();
  try {
    if (run.stopped) {
      throw new KitaruStateError(
        `call ${record.id} was not started: execution ${run.execId} had already failed.`,
      );
    }
    return await resolveCall(run, def, record, args);
  } finally {
    release();
  }
}

function resolveCall(
  run: RunState,
  def: CheckpointDef,
  record: CallRecord,
  args: unknown[],
): Promise<unknown> {
  const started = Date.now();
  try {
    try {
      record.input = encodeValue(args, 'args', `checkpoint ${record.id}`);
      record.inputHash = hashEncoded(record.input);
    } catch (err) {
      return runAttempts(run, def, record, args, err);
    }
    const prior = run.completed.get(record.id);
    if (prior && prior.inputHash === record.inputHash) return Promise.resolve(prior.value);

    const decision = run.plan ? run.plan.decide(record.id, record.inputHash) : undefined;
    if (!decision || decision.kind === 'execute') {
      record.reason = decision ? decision.reason : 'new';
      return runAttempts(run, def, record, args);
    }
    record.status = 'completed';
    record.reason = null;
    if (decision.kind === 'reuse') {
      record.type = decision.source.type;
      record.origin = 'reused';
      record.sourceExecId = decision.sourceExecId;
      record.sourceSeq = decision.sourceSeq;
      record.output = decision.source.output;
    } else {
      record.origin = 'overridden';
      record.sourceExecId = run.plan?.sourceExecId ?? null;
      record.output = decision.value;
    }
    const value = decodeValue(record.output);
    const written = run.store.writeCall(run.execId, record);
    if (written) return written.then(() => recordResolved(run, record, started, value));
    return Promise.resolve(recordResolved(run, record, started, value));
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Finishes a reused or overridden call, once written, and returns its value. */
function recordResolved(run: RunState, record: CallRecord, started: number, value: unknown): unknown {
  if (run.retainForRetry) run.completed.set(record.id, { inputHash: record.inputHash, value });
  run.observer.callEnded?.({
    execId: run.execId,
    callId: record.id,
    name: record.name,
    type: record.type,
    status: 'completed',
    origin: record.origin,
    reason: null,
    attempts: 0,
    durationMs: Date.now() - started,
    error: null,
  });
  return value;
}

/**
 * Runs the attempts of an executed call, writing the call's record after each one. `preError` is
 * a failure found before running (inputs that cannot be stored): recorded as one failed attempt.
 */
async function runAttempts(
  run: RunState,
  def: CheckpointDef,
  record: CallRecord,
  args: unknown[],
  preError?: unknown,
): Promise<unknown> {
  const callId = record.id;
  let attempts = run.attempts.get(callId);
  if (!attempts) {
    attempts = [];
    if (run.retainForRetry) run.attempts.set(callId, attempts);
  }
  record.attempts = attempts;
  const first = attempts.length + 1;
  const started = Date.now();
  for (let i = 0; ; i++) {
    const attempt = first + i;
    const scope: AttemptScope = { kind: 'attempt', run: run.api, callId, attempt, logs: [] };
    if (Date.now() - run.lastYield >= YIELD_EVERY_MS) {
      // Synchronous checkpoints and writes never leave the microtask queue: let the event loop
      // turn now and then, so that SIGINT/SIGTERM and timers are not held up by a long flow.
      await new Promise((resolve) => setImmediate(resolve));
      run.lastYield = Date.now();
    }
    const startedAt = Date.now();
    if (run.onAttemptStart && preError === undefined) {
      await run.onAttemptStart(record, attempt, isoTime(startedAt));
    }
    let ok = false;
    let value: unknown;
    let output: Json = null;
    let error: unknown = preError;
    if (preError === undefined) {
      run.inflight.set(callId, { record, scope, startedAt });
      run.observer.callStarted?.({ execId: run.execId, callId, attempt });
      try {
        value = runInScope(scope, def.fn, args);
        // A synchronous checkpoint's value needs no extra turn of the microtask queue.
        if (isThenable(value)) value = await value;
        output = encodeValue(value, 'output', `checkpoint ${callId}`);
        ok = true;
      } catch (err) {
        error = err;
      }
      run.inflight.delete(callId);
    }
    if (run.closed)
      throw new KitaruCancelledError(`call ${callId} was cancelled with execution ${run.execId}.`);
    const endedAt = Date.now();
    const result: AttemptRecord = {
      attempt,
      status: ok ? 'completed' : 'failed',
      startedAt: isoTime(startedAt),
      endedAt: isoTime(endedAt),
      error: ok ? null : errorToRecord(error),
      logs: scope.logs,
    };
    attempts.push(result);
    const willRetry = !ok && i < def.retries && !isDeterministic(error) && !run.stopped;
    record.status = result.status;
    record.output = output;
    const written = run.store.writeCall(run.execId, record);
    if (written) await written;
    if (ok) {
      if (run.retainForRetry) run.completed.set(callId, { inputHash: record.inputHash, value });
    } else {
      run.observer.attemptFailed?.({
        execId: run.execId,
        callId,
        attempt,
        error: result.error as NonNullable<AttemptRecord['error']>,
        willRetry,
      });
    }
    if (ok || !willRetry) {
      run.observer.callEnded?.({
        execId: run.execId,
        callId,
        name: record.name,
        type: record.type,
        status: result.status,
        origin: 'executed',
        reason: record.reason,
        attempts: attempts.length,
        durationMs: endedAt - started,
        error: result.error,
      });
      if (ok) return value;
      if (typeof error === 'object' && error !== null) run.failedCalls.set(error, callId);
      throw error;
    }
    const delay = retryDelay(def.retryDelayMs, def.backoffFactor, i + 1);
    if (delay > 0) await sleep(delay);
    if (run.closed)
      throw new KitaruCancelledError(`call ${callId} was cancelled with execution ${run.execId}.`);
  }
}

/** Records every attempt in flight as failed with a `KitaruCancelledError`. */
export async function recordCancelledAttempts(run: RunState, signal: string): Promise<void> {
  const at = isoTime();
  for (const { record, scope, startedAt } of run.inflight.values()) {
    record.attempts.push({
      attempt: scope.attempt,
      status: 'failed',
      startedAt: isoTime(startedAt),
      endedAt: at,
      error: { type: 'KitaruCancelledError', message: `attempt cancelled by ${signal}`, stack: null },
      logs: scope.logs,
    });
    record.status = 'failed';
    record.output = null;
    await run.store.writeCall(run.execId, record);
  }
  run.inflight.clear();
}
