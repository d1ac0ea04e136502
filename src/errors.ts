import * as v from 'valibot';

/** Stable error names; errors are recognised by `name`, never by `instanceof`. */
export type KitaruErrorName =
  | 'KitaruError'
  | 'KitaruUsageError'
  | 'KitaruContextError'
  | 'KitaruStateError'
  | 'KitaruNotFoundError'
  | 'KitaruSerializationError'
  | 'KitaruStoreError'
  | 'KitaruExecutionError'
  | 'KitaruCancelledError'
  | 'KitaruTimeoutError'
  | 'KitaruDivergenceError'
  | 'KitaruWaitTimeoutError'
  | 'KitaruWaitingError';

const CODES: Record<KitaruErrorName, string> = {
  KitaruError: 'E_KITARU',
  KitaruUsageError: 'E_USAGE',
  KitaruContextError: 'E_CONTEXT',
  KitaruStateError: 'E_STATE',
  KitaruNotFoundError: 'E_NOT_FOUND',
  KitaruSerializationError: 'E_SERIALIZATION',
  KitaruStoreError: 'E_STORE',
  KitaruExecutionError: 'E_EXECUTION',
  KitaruCancelledError: 'E_CANCELLED',
  KitaruTimeoutError: 'E_TIMEOUT',
  KitaruDivergenceError: 'E_DIVERGENCE',
  KitaruWaitTimeoutError: 'E_WAIT_TIMEOUT',
  KitaruWaitingError: 'E_WAITING',
};

/** Base of every error kitaru throws; `code` is stable (`E_*`). */
export class KitaruError extends Error {
  readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = CODES[this.name as KitaruErrorName] ?? CODES.KitaruError;
  }
}

/** Bad options, arguments, JSON or override keys. */
export class KitaruUsageError extends KitaruError {}
/** A kitaru API used where it cannot work (outside a flow, nested checkpoints). */
export class KitaruContextError extends KitaruError {}
/** An operation not allowed in the current state (replay of a running execution, unknown selector). */
export class KitaruStateError extends KitaruError {}
/** An unknown or ambiguous execution id. */
export class KitaruNotFoundError extends KitaruError {}
/** A value that cannot be stored; names the checkpoint and the path inside the value. */
export class KitaruSerializationError extends KitaruError {}
/** An unreadable or corrupt store file; names the file. */
export class KitaruStoreError extends KitaruError {}
/** A checkpoint attempt stopped because the run was cancelled (SIGINT/SIGTERM, `kitaru cancel`). */
export class KitaruCancelledError extends KitaruError {}
/**
 * Something ran past the time it was given: a checkpoint attempt past its `timeout` (retried like
 * any error from user code), or `client.executions.wait` past its `timeoutMs`.
 */
export class KitaruTimeoutError extends KitaruError {}

/** A resumed call whose inputs differ from its recorded inputs: the flow body is not deterministic. */
export class KitaruDivergenceError extends KitaruError {}
/** A wait passed its deadline with no answer and no default; the flow may catch it. */
export class KitaruWaitTimeoutError extends KitaruError {}

/** The shape of an error as stored on disk (checked when a store document is read). */
export const errorRecordSchema = v.object({
  type: v.string(),
  message: v.string(),
  stack: v.nullable(v.string()),
  callId: v.optional(v.string()),
});

/** The plain record of an error, as stored on disk. */
export type ErrorRecord = v.InferOutput<typeof errorRecordSchema>;

/** A flow that finished unsuccessfully; carries the execution id and the failure. */
export class KitaruExecutionError extends KitaruError {
  readonly execId: string;
  readonly status: string;
  readonly failure: ErrorRecord | null;
  constructor(execId: string, status: string, failure: ErrorRecord | null, options?: { cause?: unknown }) {
    const what = failure ? `${failure.type}: ${failure.message}` : status;
    super(
      `execution ${execId} ${status}: ${what}. Run \`kitaru inspect ${execId} --attempts\` for details.`,
      options,
    );
    this.execId = execId;
    this.status = status;
    this.failure = failure;
  }
}

/** A pending wait or sleep, as an execution lists it while it is `waiting`. */
export interface PendingWait {
  id: string;
  kind: 'wait' | 'sleep';
  question: string | null;
}

/** An execution suspended at a wait: carries its id and the pending waits. */
export class KitaruWaitingError extends KitaruError {
  readonly execId: string;
  readonly waits: PendingWait[];
  constructor(execId: string, waits: PendingWait[]) {
    const ids = waits.map((w) => w.id).join(', ');
    super(
      `execution ${execId} is waiting (at ${ids || 'a wait'}). Answer with \`kitaru input ${execId} <wait-id> '<json>'\`.`,
    );
    this.execId = execId;
    this.waits = waits;
  }
}

/** Shape shared by every kitaru error, including one rebuilt from JSON or from another copy of the package. */
export interface KitaruErrorLike {
  name: string;
  code: string;
  message: string;
}

/**
 * Whether `value` is a kitaru error, optionally of one kind; works across package copies.
 * @example if (isKitaruError(err, 'KitaruNotFoundError')) { ... }
 */
export function isKitaruError(value: unknown, name?: KitaruErrorName): value is KitaruErrorLike {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { name?: unknown; code?: unknown };
  if (typeof v.name !== 'string' || typeof v.code !== 'string') return false;
  if (name) return v.name === name;
  return v.name in CODES;
}

/** The stored record of any thrown value. */
export function errorToRecord(err: unknown, callId?: string): ErrorRecord {
  const rec: ErrorRecord =
    err instanceof Error || (typeof err === 'object' && err !== null && 'message' in err)
      ? {
          type: String((err as Error).name || (err as Error).constructor?.name || 'Error'),
          message: String((err as Error).message),
          stack: typeof (err as Error).stack === 'string' ? ((err as Error).stack as string) : null,
        }
      : { type: typeof err, message: String(err), stack: null };
  if (callId !== undefined) rec.callId = callId;
  return rec;
}

/** Errors that retrying cannot fix: kitaru's own deterministic failures. */
export function isDeterministic(err: unknown): boolean {
  return (
    isKitaruError(err, 'KitaruSerializationError') ||
    isKitaruError(err, 'KitaruUsageError') ||
    isKitaruError(err, 'KitaruContextError') ||
    isKitaruError(err, 'KitaruCancelledError') ||
    isKitaruError(err, 'KitaruDivergenceError') ||
    isKitaruError(err, 'KitaruWaitTimeoutError')
  );
}
