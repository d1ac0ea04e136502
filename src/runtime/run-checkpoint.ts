import { KitaruStateError } from '../errors.js';
import { decodeValue, encodeCallValue, hashEncoded, sameEncoding } from '../serialization.js';
import type { CallRecord } from '../store/types.js';
import { runAttempts } from './attempts.js';
import { identifyCall } from './call-identity.js';
import { KitaruFuture } from './future.js';
import type { ReplayPlan } from './replay-plan.js';
import type { RunState } from './run-state.js';
import { diverged } from './step-records.js';
import { writeCall } from './store-writes.js';
import type { CheckpointDef } from './types.js';

/** A call whose value is known at once (a recorded or reused result): nothing to wait for. */
class Settled {
  constructor(readonly value: unknown) {}
}

/** Gives the call its id (`name`, `name_2`, ... in call order) and starts it. */
export function startCall(
  run: RunState,
  def: CheckpointDef,
  args: unknown[],
  gate?: () => Promise<() => void>,
): KitaruFuture<unknown> {
  const record = identifyCall(run, def);
  const outcome = gate ? gated(run, def, record, args, gate) : resolveCall(run, def, record, args);
  // A settled value needs no tracking: the run has nothing to wait for, nor a rejection to handle.
  if (outcome instanceof Settled) return new KitaruFuture(record.id, Promise.resolve(outcome.value));
  run.pending.add(outcome);
  const forget = () => run.pending.delete(outcome);
  outcome.then(forget, forget);
  return new KitaruFuture(record.id, outcome);
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
    if (run.phase !== 'running') {
      throw new KitaruStateError(
        `call ${record.id} was not started: execution ${run.execId} had already failed.`,
      );
    }
    const outcome = resolveCall(run, def, record, args);
    return outcome instanceof Settled ? outcome.value : await outcome;
  } finally {
    release();
  }
}

/**
 * Decides what a call does: return the value this execution already has (a flow retry, a
 * resume), follow the replay plan (reuse, override), or run its attempts.
 */
function resolveCall(
  run: RunState,
  def: CheckpointDef,
  record: CallRecord,
  args: unknown[],
): Promise<unknown> | Settled {
  try {
    const prior = run.completed.size === 0 ? undefined : run.completed.get(record.id);
    try {
      record.input = encodeCallValue(args, 'args', 'checkpoint', record.id);
      // A resumed call given its recorded inputs returns its value: no hash needed to know it.
      if (prior?.input !== undefined && sameEncoding(record.input, prior.input)) {
        return new Settled(prior.value);
      }
      // A replayed call given its source's inputs has its source's hash.
      record.inputHash = run.plan?.sameInputHash(record.id, record.input) ?? hashEncoded(record.input);
    } catch (err) {
      return runAttempts(run, def, record, args, err);
    }
    if (prior && prior.inputHash === record.inputHash) return new Settled(prior.value);
    if (prior && run.preloaded.has(record.id)) return Promise.reject(diverged(run, record.id));

    const decision = run.plan ? run.plan.decide(record.id, record.inputHash) : undefined;
    if (!decision || decision.kind === 'execute') {
      record.reason = decision ? decision.reason : 'new';
      return runAttempts(run, def, record, args);
    }
    return reuseOrOverride(run, record, decision);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** A call the replay plan gives a result: written (a reference, mostly) and settled at once. */
function reuseOrOverride(
  run: RunState,
  record: CallRecord,
  decision: Exclude<ReturnType<ReplayPlan['decide']>, { kind: 'execute' }>,
): Promise<unknown> | Settled {
  const started = Date.now();
  record.type = decision.kind === 'reuse' ? decision.source.type : record.type;
  applyDecision(run, record, decision);
  const value = decodeValue(record.output);
  const written = writeCall(run, record);
  if (written) return written.then(() => recordResolved(run, record, started, value));
  return new Settled(recordResolved(run, record, started, value));
}

/** Makes a call's record the reused or overridden result the replay plan decided on. */
export function applyDecision(
  run: RunState,
  record: CallRecord,
  decision: Exclude<ReturnType<ReplayPlan['decide']>, { kind: 'execute' }>,
): void {
  record.status = 'completed';
  record.reason = null;
  if (decision.kind === 'reuse') {
    record.origin = 'reused';
    record.sourceExecId = decision.sourceExecId;
    record.sourceSeq = decision.sourceSeq;
    record.output = decision.source.output;
  } else {
    record.origin = 'overridden';
    record.sourceExecId = run.plan?.sourceExecId ?? null;
    record.output = decision.value;
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
