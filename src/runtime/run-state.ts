import type { Json } from '../serialization.js';
import type { Store } from '../store/store.js';
import type { AttemptRecord, CallRecord, InputRecord, WaitInfo, WaitIssue } from '../store/types.js';
import type { RunObserver } from './observer.js';
import type { ReplayPlan } from './replay-plan.js';
import type { AttemptScope, AttemptStartHook, CheckpointDef, ExecutionOutcome, RunApi } from './types.js';

/** An attempt in flight, so a cancellation can record it as failed. */
export interface InFlight {
  record: CallRecord;
  scope: AttemptScope;
  /** Epoch milliseconds. */
  startedAt: number;
}

/**
 * Where a run stands. `running`: calls start. `failing`: the flow attempt failed (or the store
 * did), so no new call starts, and those running are awaited and recorded. `closed`: cancelled
 * or handed back, so nothing more is written.
 */
export type RunPhase = 'running' | 'failing' | 'closed';

/** Everything one execution keeps in memory while it runs. */
export interface RunState {
  execId: string;
  store: Store;
  plan: ReplayPlan | undefined;
  observer: RunObserver;
  api: RunApi;
  phase: RunPhase;
  /** How a closed run ended (cancelled, or handed back), once it is closed. */
  closedAs?: ExecutionOutcome;
  /** A cancel recording what was in flight and the execution as cancelled: the run ends after it. */
  closing?: Promise<void>;
  /** The execution's abort controller (a flow body's `abortSignal()`), made on first ask. */
  abort?: AbortController;
  /** Why the run was aborted (closed: cancelled or handed back), once it was. */
  abortReason?: unknown;
  /** The store failed to write: the execution ends failed with this error. */
  storeError?: unknown;
  /** The definition each checkpoint name stands for in this execution (one per name). */
  defs: Map<string, CheckpointDef>;
  /**
   * A resumed run's recorded attempts that count against each call's retry budget (an attempt
   * lost with its worker does not); used by the call's first run in this process.
   */
  budgetUsed: Map<string, number>;
  /** Calls per checkpoint name in the current flow attempt (ids restart with each flow attempt). */
  counts: Map<string, number>;
  seqs: Map<string, number>;
  nextSeq: number;
  /**
   * Positions already held by recorded calls (a resumed run). New calls take the free positions in
   * the order they start, so a call that started but never reached the store gets its old place.
   */
  takenSeqs: Set<number>;
  /**
   * Whether later flow attempts can happen (flow retries > 0). Only then are call positions,
   * completed values and attempt lists kept in memory: a long run without retries holds none.
   */
  retainForRetry: boolean;
  /**
   * Completed calls of this execution, reused by later flow attempts; `input` is the recorded
   * encoding of the inputs of a call found in the store (compared before hashing).
   */
  completed: Map<string, { inputHash: string; value: unknown; input?: Json }>;
  attempts: Map<string, AttemptRecord[]>;
  pending: Set<Promise<unknown>>;
  inflight: Map<string, InFlight>;
  /** Which call an error came out of, to name it in `execution.error`. */
  failedCalls: WeakMap<object, string>;
  /** When the run last let the event loop turn (signals and timers wait for it). */
  lastYield: number;
  /** Resumed in place: the execution was recorded before this run began. */
  resumed: boolean;
  onAttemptStart: AttemptStartHook | undefined;
  /** Sleeps longer than this (ms) suspend the run instead of holding it (a worker's `--park-after`). */
  parkAfterMs: number | undefined;
  /** Wait and sleep records of this execution (recorded before this run, or by it), by call id. */
  waitRecords: Map<string, CallRecord>;
  /** The waits the execution was suspended at before this run (their deadlines), by id. */
  priorWaits: Map<string, WaitInfo>;
  /** Answers given to waits and not yet applied, by wait id (read when the run begins). */
  inputs: Map<string, InputRecord>;
  /** Answers a wait's schema refused in this run, by wait id. */
  rejected: Map<string, { value: unknown; issues: WaitIssue[] }>;
  /** Calls whose completed record this run found in the store: other inputs now are a divergence. */
  preloaded: Set<string>;
  /** Set once a wait is reached without an answer: the run stops and the execution waits. */
  suspension: Suspension;
  /** An error that fails the execution whatever the flow body does (a divergence on resume). */
  fatal?: unknown;
}

/** The waits (and sleeps in progress) a run stops at, and the promise that tells the run it must stop. */
export interface Suspension {
  waits: WaitInfo[];
  /** Sleeps holding now: on suspension their timers stop, and they are listed as waits. */
  sleeping: Map<string, { info: WaitInfo; timer: NodeJS.Timeout }>;
  reached: boolean;
  /** Resolves when the first wait suspends the run. */
  promise: Promise<void>;
  reach(): void;
}

/** A suspension not reached yet. */
export function newSuspension(): Suspension {
  let reach!: () => void;
  const promise = new Promise<void>((resolve) => {
    reach = resolve;
  });
  const s: Suspension = {
    waits: [],
    sleeping: new Map(),
    reached: false,
    promise,
    reach() {
      s.reached = true;
      reach();
    },
  };
  return s;
}

/** No new call starts in this flow attempt (it failed, or the store did). */
export function stopStarting(run: RunState): void {
  if (run.phase === 'running') run.phase = 'failing';
}
