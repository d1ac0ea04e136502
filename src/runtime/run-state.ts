import type { Store } from '../store/store.js';
import type { AttemptRecord, CallRecord } from '../store/types.js';
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
  /** Completed calls of this execution, reused by later flow attempts. */
  completed: Map<string, { inputHash: string; value: unknown }>;
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
}

/** No new call starts in this flow attempt (it failed, or the store did). */
export function stopStarting(run: RunState): void {
  if (run.phase === 'running') run.phase = 'failing';
}
