import { setTimeout as sleep } from 'node:timers/promises';
import {
  errorToRecord,
  isDeterministic,
  KitaruCancelledError,
  KitaruContextError,
  KitaruStateError,
} from '../errors.js';
import { decodeValue, encodeValue, hashEncoded, type Json } from '../serialization.js';
import { type AttemptRecord, type CallReason, type CallRecord, SCHEMA_VERSION } from '../store/types.js';
import type { CheckpointDef } from './definitions.js';
import { KitaruFuture } from './future.js';
import { retryDelay } from './options.js';
import type { RunState } from './run-state.js';
import { type AttemptScope, state } from './state.js';

type Base = Pick<CallRecord, 'schemaVersion' | 'seq' | 'id' | 'name' | 'type'>;

function callUser(fn: (...args: unknown[]) => unknown, args: unknown[]): unknown {
  return fn(...args);
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
  let seq = run.seqs.get(callId);
  if (seq === undefined) {
    seq = run.nextSeq++;
    run.seqs.set(callId, seq);
  }
  const base: Base = { schemaVersion: SCHEMA_VERSION, seq, id: callId, name: def.name, type: def.type };
  const promise = gate ? gated(run, def, base, args, gate) : resolveCall(run, def, base, args);
  run.pending.add(promise);
  const forget = () => run.pending.delete(promise);
  promise.then(forget, forget);
  return new KitaruFuture(callId, promise);
}

async function gated(
  run: RunState,
  def: CheckpointDef,
  base: Base,
  args: unknown[],
  gate: () => Promise<() => void>,
) {
  const release = await gate();
  try {
    if (run.stopped) {
      throw new KitaruStateError(
        `call ${base.id} was not started: execution ${run.execId} had already failed.`,
      );
    }
    return await resolveCall(run, def, base, args);
  } finally {
    release();
  }
}

async function resolveCall(run: RunState, def: CheckpointDef, base: Base, args: unknown[]): Promise<unknown> {
  const started = Date.now();
  let input: Json;
  let inputHash: string;
  try {
    input = encodeValue(args, 'args', `checkpoint ${base.id}`);
    inputHash = hashEncoded(input);
  } catch (err) {
    return runAttempts(run, def, base, null, '', 'new', args, err);
  }
  const prior = run.completed.get(base.id);
  if (prior && prior.inputHash === inputHash) return prior.value;

  const decision = run.plan
    ? run.plan.decide(base.id, inputHash)
    : ({ kind: 'execute', reason: 'new' } as const);
  if (decision.kind === 'execute')
    return runAttempts(run, def, base, input, inputHash, decision.reason, args);

  const record: CallRecord =
    decision.kind === 'reuse'
      ? {
          ...base,
          type: decision.source.type,
          status: 'completed',
          origin: 'reused',
          reason: null,
          sourceExecId: decision.sourceExecId,
          sourceSeq: decision.sourceSeq,
          inputHash,
          input,
          output: decision.source.output,
          attempts: [],
        }
      : {
          ...base,
          status: 'completed',
          origin: 'overridden',
          reason: null,
          sourceExecId: run.plan?.sourceExecId ?? null,
          sourceSeq: null,
          inputHash,
          input,
          output: decision.value,
          attempts: [],
        };
  const value = decodeValue(record.output);
  await run.store.writeCall(run.execId, record);
  run.completed.set(base.id, { inputHash, value });
  run.observer.callEnded?.({
    execId: run.execId,
    callId: base.id,
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
  base: Base,
  input: Json | null,
  inputHash: string,
  reason: CallReason,
  args: unknown[],
  preError?: unknown,
): Promise<unknown> {
  let attempts = run.attempts.get(base.id);
  if (!attempts) run.attempts.set(base.id, (attempts = []));
  const first = attempts.length + 1;
  const started = Date.now();
  for (let i = 0; ; i++) {
    const attempt = first + i;
    const scope: AttemptScope = { kind: 'attempt', run: run.api, callId: base.id, attempt, logs: [] };
    const startedAt = new Date();
    let ok = false;
    let value: unknown;
    let output: Json = null;
    let error: unknown = preError;
    if (preError === undefined) {
      run.inflight.set(base.id, {
        ...base,
        reason,
        input,
        inputHash,
        scope,
        startedAt,
        attempts,
        callId: base.id,
      });
      run.observer.callStarted?.({ execId: run.execId, callId: base.id, attempt });
      try {
        value = await state.als.run(scope, callUser, def.fn as (...a: unknown[]) => unknown, args);
        output = encodeValue(value, 'output', `checkpoint ${base.id}`);
        ok = true;
      } catch (err) {
        error = err;
      }
      run.inflight.delete(base.id);
    }
    if (run.closed)
      throw new KitaruCancelledError(`call ${base.id} was cancelled with execution ${run.execId}.`);
    const endedAt = new Date();
    const record: AttemptRecord = {
      attempt,
      status: ok ? 'completed' : 'failed',
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      error: ok ? null : errorToRecord(error),
      logs: scope.logs,
    };
    attempts.push(record);
    const willRetry = !ok && i < def.retries && !isDeterministic(error) && !run.stopped;
    await run.store.writeCall(run.execId, {
      ...base,
      status: ok ? 'completed' : 'failed',
      origin: 'executed',
      reason,
      sourceExecId: null,
      sourceSeq: null,
      inputHash,
      input,
      output,
      attempts,
    });
    if (ok) {
      run.completed.set(base.id, { inputHash, value });
    } else {
      run.observer.attemptFailed?.({
        execId: run.execId,
        callId: base.id,
        attempt,
        error: record.error as NonNullable<AttemptRecord['error']>,
        willRetry,
      });
    }
    if (ok || !willRetry) {
      run.observer.callEnded?.({
        execId: run.execId,
        callId: base.id,
        type: base.type,
        status: record.status,
        origin: 'executed',
        reason,
        attempts: attempts.length,
        durationMs: endedAt.getTime() - started,
        error: record.error,
      });
      if (ok) return value;
      if (typeof error === 'object' && error !== null) run.failedCalls.set(error, base.id);
      throw error;
    }
    const delay = retryDelay(def.retryDelayMs, def.backoffFactor, i + 1);
    if (delay > 0) await sleep(delay);
  }
}

/** Records every attempt in flight as failed with a `KitaruCancelledError`. */
export async function recordCancelledAttempts(run: RunState, signal: string): Promise<void> {
  const at = new Date().toISOString();
  for (const f of run.inflight.values()) {
    f.attempts.push({
      attempt: f.scope.attempt,
      status: 'failed',
      startedAt: f.startedAt.toISOString(),
      endedAt: at,
      error: { type: 'KitaruCancelledError', message: `attempt cancelled by ${signal}`, stack: null },
      logs: f.scope.logs,
    });
    await run.store.writeCall(run.execId, {
      schemaVersion: SCHEMA_VERSION,
      seq: f.seq,
      id: f.callId,
      name: f.name,
      type: f.type,
      status: 'failed',
      origin: 'executed',
      reason: f.reason,
      sourceExecId: null,
      sourceSeq: null,
      inputHash: f.inputHash,
      input: f.input,
      output: null,
      attempts: f.attempts,
    });
  }
  run.inflight.clear();
}
