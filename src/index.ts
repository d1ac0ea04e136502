export type { CancelOptions } from './cancel.js';
export { type Checkpoint, type CheckpointOptions, checkpoint, type MapOptions } from './checkpoint.js';
export {
  type EnqueueOptions,
  type IdOptions,
  KitaruClient,
  type KitaruClientOptions,
  type WaitForOptions,
} from './client.js';
export { abortSignal, currentExecutionId, isReplay, log } from './context-api.js';
export type { CallChange, CallDiff, DiffSide, ExecutionDiff } from './diff.js';
export {
  type ErrorRecord,
  isKitaruError,
  KitaruCancelledError,
  KitaruContextError,
  KitaruDivergenceError,
  KitaruError,
  type KitaruErrorName,
  KitaruExecutionError,
  KitaruNotFoundError,
  KitaruSerializationError,
  KitaruStateError,
  KitaruStoreError,
  KitaruTimeoutError,
  KitaruUsageError,
  KitaruWaitingError,
  KitaruWaitTimeoutError,
  type PendingWait,
} from './errors.js';
export {
  type Flow,
  type FlowOptions,
  type FlowOutcome,
  type FlowRun,
  type FlowRunOptions,
  flow,
} from './flow.js';
export type { ListFilter } from './queries.js';
export type { InputOptions } from './resume.js';
export type { GcEntry, GcKept, GcKeptReason, GcOptions, GcReport } from './retention.js';
export type { Duration } from './runtime/duration.js';
export type { KitaruFuture } from './runtime/future.js';
export type { ReplayOptions } from './runtime/replay-plan.js';
export type {
  InferSchemaOutput,
  StandardIssue,
  StandardProps,
  StandardResult,
  StandardSchemaV1,
} from './standard-schema.js';
export { createJsonFolderStore } from './store/json-folder/json-folder-store.js';
export { createMemoryStore } from './store/memory-store.js';
export type { Store } from './store/store.js';
export type * from './store/types.js';
export type { AttemptView, CheckpointView, Execution, ExecutionOf, ExecutionSummary } from './views.js';
export { type SleepOptions, sleep, type WaitOptions, wait } from './wait.js';
