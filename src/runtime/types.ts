import type { ErrorRecord } from '../errors.js';
import type { StandardSchemaV1 } from '../standard-schema.js';
import type { Store } from '../store/store.js';
import type { CallRecord, ExecutionRecord, LogEntry, WaitInfo } from '../store/types.js';
import type { KitaruFuture } from './future.js';
import type { RunObserver } from './observer.js';
import type { ReplayPlan } from './replay-plan.js';

/** What `checkpoint()` records about a checkpoint. */
export interface CheckpointDef {
  name: string;
  type: string | null;
  retries: number;
  retryDelayMs: number;
  backoffFactor: number;
  /** Each attempt's time limit in milliseconds; null for none. */
  timeoutMs: number | null;
  /** Whether to retry after a failed attempt (given the error); null: every error from user code. */
  retryIf: ((error: unknown) => boolean) | null;
  /** Where `checkpoint()` was called (`file:line:column`), to tell two definitions apart. */
  site: string | null;
  fn: (...args: never[]) => unknown;
}

/** What `flow()` records about a flow; `start` belongs to the package copy that defined it. */
export interface FlowDef {
  name: string;
  retries: number;
  /** Absolute path of the module that called `flow()`, when it could be told. */
  file: string | null;
  fn: (...args: never[]) => unknown;
  start(options: StartOptions): ExecutionHandle;
}

/** Told before an attempt runs, with the call's record as it stands (earlier attempts only). */
export type AttemptStartHook = (record: CallRecord, attempt: number, startedAt: string) => Promise<void>;

/** How to start an execution (the CLI, the client and `flow.run` all come through here). */
export interface StartOptions {
  /** Positional flow arguments. */
  args: unknown[];
  /** The store to write to, chosen by the caller (the CLI, the client, `flow()`'s default). */
  store: Store;
  /** Present for a replay. */
  plan?: ReplayPlan;
  /** The new execution's id, chosen by the caller (checked already). @default a generated id */
  id?: string;
  /**
   * When `id` names an execution that exists: wait for it to stop and report it as this run's own,
   * running nothing (`attach`), or end at once with a `KitaruStateError` (`fail`). @default 'attach'
   */
  onConflict?: 'attach' | 'fail';
  observer?: RunObserver;
  /**
   * Resume this recorded execution in place (a worker taking over from a lost one): same id, its
   * completed calls reused, its failed calls' attempts continued. Nothing new is created.
   */
  resume?: {
    record: ExecutionRecord;
    calls: CallRecord[];
    /** Whether this counts in the record's `resumes` (not a worker's first start). @default true */
    counts?: boolean;
  };
  /** Told before each attempt starts (a worker records attempts in flight with it). */
  onAttemptStart?: AttemptStartHook;
  /**
   * Park sleeps longer than this (ms): the run suspends at them as `waiting`, listing each with its
   * wake time, instead of holding the process (a worker schedules a job for the wake time).
   */
  parkAfterMs?: number;
}

/** How an execution ended. `value` is what the flow returned (completed only). */
export interface ExecutionOutcome {
  execId: string;
  status: 'completed' | 'failed' | 'cancelled' | 'waiting';
  /** The waits the execution is suspended at (`waiting` only; else empty). */
  waits: WaitInfo[];
  value: unknown;
  error: ErrorRecord | null;
  cause: unknown;
  /** The store could not record the run (the cause is its `KitaruStoreError`), not the flow failing. */
  storeFailed?: true;
  /** The id existed: this is that execution, waited for (nothing ran here). */
  attached?: true;
  /** The id existed and `onConflict` was `fail`: nothing ran; the cause is the `KitaruStateError`. */
  refused?: true;
}

/** A started execution. */
export interface ExecutionHandle {
  /** Known at once, before anything is written. */
  readonly execId: string;
  /** Resolves when the execution has ended and is recorded; never rejects. */
  readonly done: Promise<ExecutionOutcome>;
  /**
   * The flow's return value; rejects with `KitaruExecutionError` if it failed or was cancelled, and
   * with `KitaruWaitingError` if it is waiting.
   */
  wait(): Promise<unknown>;
  /** Stops the run where it is and writes nothing more (a worker handing the execution back). */
  abandon(): void;
  /**
   * Cancels the run as Ctrl-C does: attempts in flight are recorded failed with a
   * `KitaruCancelledError` naming `by`, the execution `cancelled`. Resolves once recorded.
   */
  cancel(by: string): Promise<void>;
}

/** What a checkpoint or `log()` needs from the execution it runs in (stable across package copies). */
export interface RunApi {
  readonly execId: string;
  readonly isReplay: boolean;
  /** Starts a call; `gate` (if given) is awaited before the first attempt. */
  call(def: CheckpointDef, args: unknown[], gate?: () => Promise<() => void>): KitaruFuture<unknown>;
  /** Adds a flow-level log entry. */
  log(entry: LogEntry): void;
  /** A wait: its answer, its default past the deadline, a timeout, or a promise that never settles (suspended). */
  wait(request: WaitRequest): Promise<unknown>;
  /** A durable sleep, until `request`'s wake time (fixed when the sleep is first reached). */
  sleep(request: SleepRequest): Promise<null>;
  /** The execution's `AbortSignal`: aborted when the run is cancelled or handed back. */
  signal(): AbortSignal;
  /** The attempt's `AbortSignal`: aborted with the execution, and at the attempt's timeout. */
  attemptSignal(scope: AttemptScope): AbortSignal;
}

/** A call of `wait()`, its options checked. */
export interface WaitRequest {
  name: string;
  question: string | null;
  metadata: unknown;
  schema: StandardSchemaV1 | null;
  /** Milliseconds from when the wait is first reached; null for none. */
  timeoutMs: number | null;
  /** Whether `default` was given (it may be `undefined` on purpose). */
  hasDefault: boolean;
  default: unknown;
}

/** A call of `sleep()`, its duration checked. */
export interface SleepRequest {
  name: string;
  /** Milliseconds from when the sleep is first reached, or a wake time. */
  ms: number | null;
  until: Date | null;
}

/** The scope of a flow body. */
export interface FlowScope {
  kind: 'flow';
  run: RunApi;
}

/** The scope of one checkpoint attempt. */
export interface AttemptScope {
  kind: 'attempt';
  run: RunApi;
  callId: string;
  attempt: number;
  logs: LogEntry[];
  /** Made when `abortSignal()` first asks for it, or when the attempt is aborted. */
  abort?: AbortController;
  /** Why the attempt was aborted (cancelled, timed out), once it was. */
  abortReason?: unknown;
}

export type Scope = FlowScope | AttemptScope;

/** An execution running in this process, as the CLI's signal handler sees it. */
export interface LiveExecution {
  execId: string;
  cancel(signal: string): Promise<void>;
}
