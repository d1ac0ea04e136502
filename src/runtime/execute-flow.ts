import { hostname } from 'node:os';
import {
  type ErrorRecord,
  errorToRecord,
  isDeterministic,
  KitaruExecutionError,
  KitaruWaitingError,
} from '../errors.js';
import { decodeValue, encodeValue, type Json } from '../serialization.js';
import { recordFlowFile } from '../store/project-root.js';
import type { Store } from '../store/store.js';
import { type CallRecord, type ExecutionRecord, SCHEMA_VERSION, type WaitInfo } from '../store/types.js';
import { abortRun, attemptSignal, runSignal } from './abort.js';
import { attachTo } from './attach.js';
import { recordCancelledAttempts } from './attempts.js';
import { installConsoleCapture } from './console-capture.js';
import { newExecutionId } from './ids.js';
import type { ReplayPlan } from './replay-plan.js';
import { startCall } from './run-checkpoint.js';
import { newSuspension, type RunState, stopStarting } from './run-state.js';
import { startSleep } from './sleeps.js';
import { hashSource } from './source-hash.js';
import { runInScope, state } from './state.js';
import { storeFailed } from './store-writes.js';
import type {
  ExecutionHandle,
  ExecutionOutcome,
  FlowDef,
  FlowScope,
  LiveExecution,
  StartOptions,
} from './types.js';
import { startWait } from './waits.js';

export type { ExecutionHandle, ExecutionOutcome, StartOptions } from './types.js';

/** An attempt that ended with its worker: not the call's fault, so not counted in its retry budget. */
const WORKER_LOST = 'KitaruWorkerLostError';

// Worked out once per process (flow, store): a small flow's run should cost its writes, not this.
const HOST = hostname();
const sourceHashes = new Map<string, string | null>();
const relativeFiles = new Map<string, string>();

function flowIdentity(def: FlowDef, store: Store): ExecutionRecord['flow'] {
  if (!def.file) return { name: def.name, file: null, sourceHash: null };
  let sourceHash = sourceHashes.get(def.file);
  if (sourceHash === undefined) sourceHashes.set(def.file, (sourceHash = hashSource(def.file)));
  const key = `${store.location}\0${def.file}`;
  let file = relativeFiles.get(key);
  if (file === undefined) {
    file = recordFlowFile(store, def.file);
    relativeFiles.set(key, file);
  }
  return { name: def.name, file, sourceHash };
}

/** The record of a new execution of `def` (`args` encoded), as it is first written. */
export function newExecutionRecord(
  def: FlowDef,
  store: Store,
  execId: string,
  args: Json,
  plan: ReplayPlan | undefined,
  status: 'running' | 'queued',
): ExecutionRecord {
  const record: ExecutionRecord = {
    schemaVersion: SCHEMA_VERSION,
    id: execId,
    flow: flowIdentity(def, store),
    status,
    args,
    output: null,
    error: null,
    originalExecId: plan?.sourceExecId ?? null,
    replay: plan?.record() ?? null,
    pid: process.pid,
    host: HOST,
    createdAt: new Date().toISOString(),
    endedAt: null,
    flowAttempts: 1,
  };
  if (status === 'queued') record.queue = true;
  return record;
}

function newRunState(def: FlowDef, options: StartOptions, store: Store, execId: string): RunState {
  const run: RunState = {
    execId,
    store,
    plan: options.plan,
    observer: options.observer ?? {},
    api: {
      execId,
      isReplay: options.plan !== undefined,
      call: (cp, callArgs, gate) => startCall(run, cp, callArgs, gate),
      wait: (request) => startWait(run, request),
      sleep: (request) => startSleep(run, request),
      signal: () => runSignal(run),
      attemptSignal: (scope) => attemptSignal(run, scope),
      log: (entry) => {
        const write = store.appendLogs(execId, [entry]).catch((err: unknown) => {
          storeFailed(run, err);
        });
        run.pending.add(write);
        const forget = () => run.pending.delete(write);
        write.then(forget, forget);
      },
    },
    phase: 'running',
    defs: new Map(),
    budgetUsed: new Map(),
    counts: new Map(),
    retainForRetry: def.retries > 0 || options.resume !== undefined,
    onAttemptStart: options.onAttemptStart,
    parkAfterMs: options.parkAfterMs,
    resumed: options.resume !== undefined,
    seqs: new Map(),
    nextSeq: 0,
    takenSeqs: new Set(),
    completed: new Map(),
    attempts: new Map(),
    pending: new Set(),
    inflight: new Map(),
    failedCalls: new WeakMap(),
    lastYield: Date.now(),
    waitRecords: new Map(),
    priorWaits: new Map((options.resume?.record.waits ?? []).map((w) => [w.id, w])),
    inputs: new Map(),
    rejected: new Map(),
    preloaded: new Set(),
    suspension: newSuspension(),
  };
  return run;
}

/** Starts an execution of `def` and returns its handle at once. */
export function startExecution(def: FlowDef, options: StartOptions): ExecutionHandle {
  installConsoleCapture();
  const { store } = options;
  const resume = options.resume;
  const execId = resume ? resume.record.id : (options.id ?? newExecutionId());
  const args = encodeValue(options.args, 'args', `flow ${def.name}`);
  const run = newRunState(def, options, store, execId);
  if (resume) preload(run, resume.calls);
  const record = newExecutionRecord(def, store, execId, args, options.plan, 'running');
  if (resume) {
    record.createdAt = resume.record.createdAt;
    record.flowAttempts = Math.max(1, resume.record.flowAttempts);
    record.resumes = (resume.record.resumes ?? 0) + (resume.counts === false ? 0 : 1);
  }
  const live = liveExecution(run);
  // A cancelled run (its calls aborted) ends once the cancel has recorded it, never before.
  const done = drive(run, def, options.args, record, live, options.onConflict ?? 'attach').then(
    async (outcome) => {
      if (run.closing) await run.closing.catch(() => {});
      return outcome;
    },
  );
  return {
    execId,
    done,
    wait: () =>
      done.then((o) => {
        if (o.status === 'completed') return o.value;
        if (o.refused) throw o.cause;
        if (o.status === 'waiting') throw new KitaruWaitingError(o.execId, o.waits);
        throw new KitaruExecutionError(o.execId, o.status, o.error, { cause: o.cause });
      }),
    abandon: () => {
      close(run, 'handed back by a stopping worker');
    },
    cancel: (by) => live.cancel(by),
  };
}

/** A resumed run starts knowing its recorded calls: positions, completed values, attempts so far. */
function preload(run: RunState, calls: CallRecord[]): void {
  for (const call of calls) {
    run.seqs.set(call.id, call.seq);
    run.takenSeqs.add(call.seq);
    if (call.kind === 'wait' || call.kind === 'sleep') {
      run.waitRecords.set(call.id, call);
    } else if (call.status === 'completed') {
      run.preloaded.add(call.id);
      run.completed.set(call.id, {
        inputHash: call.inputHash,
        value: decodeValue(call.output),
        input: call.input,
      });
    } else {
      run.attempts.set(call.id, call.attempts);
      const counted = call.attempts.filter((a) => a.error?.type !== WORKER_LOST).length;
      run.budgetUsed.set(call.id, counted);
    }
  }
}

/**
 * Closes the run (cancelled, or handed back): nothing more starts or is written by it. False if
 * it was closed already.
 */
function close(run: RunState, message: string): boolean {
  if (run.phase === 'closed') return false;
  run.phase = 'closed';
  const error: ErrorRecord = { type: 'KitaruCancelledError', message, stack: null };
  run.closedAs = {
    execId: run.execId,
    status: 'cancelled',
    waits: [],
    value: undefined,
    error,
    cause: undefined,
  };
  abortRun(run, message);
  return true;
}

/** The execution as the CLI's signal handler sees it: a cancel records what was in flight. */
function liveExecution(run: RunState): LiveExecution {
  return {
    execId: run.execId,
    async cancel(signal) {
      if (!close(run, `execution cancelled by ${signal}`)) return run.closing;
      run.closing = (async () => {
        await recordCancelledAttempts(run, signal);
        const error = run.closedAs?.error ?? null;
        await run.store.updateExecution(run.execId, finalPatch(run, 'cancelled', null, error));
      })();
      await run.closing;
    },
  };
}

async function drain(run: RunState): Promise<void> {
  while (run.pending.size > 0) await Promise.allSettled([...run.pending]);
}

/**
 * Records the execution as started (created, or taken up again in place when resumed); false when
 * its id names an execution that exists (nothing written).
 */
async function begin(run: RunState, def: FlowDef, record: ExecutionRecord): Promise<boolean> {
  if (run.resumed) {
    const { flow, status, pid, host, flowAttempts, resumes } = record;
    const patch: Partial<ExecutionRecord> = { flow, status, pid, host, flowAttempts, waits: [] };
    if (resumes !== undefined) patch.resumes = resumes;
    await run.store.updateExecution(run.execId, patch);
    for (const input of await run.store.getInputs(run.execId)) run.inputs.set(input.waitId, input);
  } else if (!(await run.store.createExecution(record))) {
    return false;
  }
  run.observer.executionStarted?.({
    execId: run.execId,
    flowName: def.name,
    sourceExecId: record.originalExecId,
  });
  return true;
}

async function drive(
  run: RunState,
  def: FlowDef,
  args: unknown[],
  record: ExecutionRecord,
  live: LiveExecution,
  onConflict: 'attach' | 'fail',
): Promise<ExecutionOutcome> {
  state.live.add(live);
  let created = false;
  try {
    if (!(await begin(run, def, record))) {
      // Another execution's: a signal here must not record it cancelled.
      state.live.delete(live);
      return await attachTo(run, record, onConflict);
    }
    created = true;
    if (run.closedAs) return run.closedAs; // cancelled before the body began: it never runs
    for (let flowAttempt = record.flowAttempts; ; flowAttempt++) {
      if (flowAttempt > record.flowAttempts)
        await run.store.updateExecution(run.execId, { flowAttempts: flowAttempt });
      const outcome = await runFlowAttempt(run, def, args, flowAttempt);
      if (outcome) return outcome;
    }
  } catch (err) {
    // The store itself failed: report it, and record it if the store still can (nothing was
    // created when the creation failed: then there is nothing to record it on).
    const failure = errorToRecord(err);
    if (created) {
      await run.store.updateExecution(run.execId, finalPatch(run, 'failed', null, failure)).catch(() => {});
    }
    return run.closedAs ?? { ...failedOutcome(run, failure, err), storeFailed: true };
  } finally {
    state.live.delete(live);
  }
}

/** How one run of the flow body went: its value, or its error, or suspended at a wait. */
type BodyResult = { ok: true; value: unknown } | { ok: false; error: unknown } | { ok: 'suspended' };

/**
 * Runs the flow body until it returns, throws, or reaches a wait without an answer: then the body
 * is left where it is (its wait never settles in this process) and the run stops.
 */
async function runBody(run: RunState, def: FlowDef, args: unknown[]): Promise<BodyResult> {
  const scope: FlowScope = { kind: 'flow', run: run.api };
  try {
    const body = Promise.resolve(runInScope(scope, def.fn, args));
    const value = await Promise.race([body, run.suspension.promise]);
    if (run.suspension.reached) {
      stopStarting(run);
      return { ok: 'suspended' };
    }
    return { ok: true, value };
  } catch (err) {
    stopStarting(run);
    if (run.suspension.reached) return { ok: 'suspended' };
    return { ok: false, error: err };
  }
}

/**
 * Runs the flow body once and records how the execution ended; null when the flow is to be
 * retried. A store failure is thrown, for `drive` to report.
 */
async function runFlowAttempt(
  run: RunState,
  def: FlowDef,
  args: unknown[],
  flowAttempt: number,
): Promise<ExecutionOutcome | null> {
  run.counts = new Map();
  if (run.phase === 'failing') run.phase = 'running';
  const result = await runBody(run, def, args);
  await drain(run);
  if (run.closedAs) return run.closedAs;
  if (run.storeError) throw run.storeError;
  if (run.fatal) throw run.fatal;
  if (result.ok === 'suspended') return suspended(run);
  let error = result.ok ? undefined : result.error;
  if (result.ok) {
    let output: Json | undefined;
    try {
      output = encodeValue(result.value, 'output', `flow ${def.name}`);
    } catch (err) {
      error = err;
    }
    if (output !== undefined) {
      ending(run);
      await run.store.updateExecution(run.execId, finalPatch(run, 'completed', output, null));
      return {
        execId: run.execId,
        status: 'completed',
        waits: [],
        value: result.value,
        error: null,
        cause: undefined,
      };
    }
  }
  const failure = errorToRecord(
    error,
    typeof error === 'object' && error ? run.failedCalls.get(error) : undefined,
  );
  if (flowAttempt <= def.retries && !isDeterministic(error)) {
    run.observer.flowRetry?.({ execId: run.execId, flowAttempt: flowAttempt + 1, error: failure });
    return null;
  }
  ending(run);
  await run.store.updateExecution(run.execId, finalPatch(run, 'failed', null, failure));
  return failedOutcome(run, failure, error);
}

function failedOutcome(run: RunState, failure: ErrorRecord, cause: unknown): ExecutionOutcome {
  return { execId: run.execId, status: 'failed', waits: [], value: undefined, error: failure, cause };
}

/** Records the execution as waiting at every wait reached (and every sleep in progress). */
async function suspended(run: RunState): Promise<ExecutionOutcome> {
  const waits: WaitInfo[] = [...run.suspension.waits];
  for (const { info, timer } of run.suspension.sleeping.values()) {
    clearTimeout(timer);
    waits.push(info);
  }
  run.suspension.sleeping.clear();
  const patch: Partial<ExecutionRecord> = { status: 'waiting', waits, endedAt: null };
  if (run.plan) patch.replay = run.plan.record();
  await run.store.updateExecution(run.execId, patch);
  return { execId: run.execId, status: 'waiting', waits, value: undefined, error: null, cause: undefined };
}

/** The run is writing its end: a cancel that comes now has nothing left to stop. */
function ending(run: RunState): void {
  run.phase = 'closed';
}

function finalPatch(
  run: RunState,
  status: 'completed' | 'failed' | 'cancelled',
  output: Json,
  error: ErrorRecord | null,
): Partial<ExecutionRecord> {
  const patch: Partial<ExecutionRecord> = { status, output, error, endedAt: new Date().toISOString() };
  if (run.plan) patch.replay = run.plan.record();
  return patch;
}
