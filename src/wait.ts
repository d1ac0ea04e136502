import { KitaruContextError, KitaruUsageError } from './errors.js';
import { type Duration, parseDuration } from './runtime/duration.js';
import { knownKeys } from './runtime/options.js';
import { currentScope } from './runtime/state.js';
import type { RunApi, WaitRequest } from './runtime/types.js';
import type { InferSchemaOutput, StandardSchemaV1 } from './standard-schema.js';

/** Options of `wait()`. */
export interface WaitOptions<T = unknown> {
  /** Base of the call id (`approval`, `approval_2`, ...). @default 'wait' */
  name?: string;
  /** What to ask, shown by `kitaru run`, `inspect` and the client. @default none */
  question?: string;
  /** Any Standard Schema v1 object (zod, valibot, arktype...): answers are validated with it. @default none */
  schema?: StandardSchemaV1<unknown, T>;
  /** Milliseconds, or a duration string (`'90s'`, `'10m'`, `'2h'`, `'3d'`), from when the wait is first reached. @default none */
  timeout?: Duration;
  /** The answer past the deadline; without one, the wait rejects with `KitaruWaitTimeoutError`. @default none */
  default?: T;
  /** JSON-serializable fields shown with the question. @default none */
  metadata?: Record<string, unknown>;
}

/** Options of `sleep()` given by name. */
export interface SleepOptions {
  /** Base of the call id (`sleep`, `sleep_2`, ...). @default 'sleep' */
  name?: string;
}

function flowRun(what: string): RunApi {
  const scope = currentScope();
  if (!scope) {
    throw new KitaruContextError(
      `${what}() was called outside a flow. Call it from a flow body: flow(async function main() { await ${what}(...) }).`,
    );
  }
  if (scope.kind === 'attempt') {
    throw new KitaruContextError(
      `${what}() was called inside checkpoint "${scope.callId}": it only works in the flow body. Call it between checkpoints.`,
    );
  }
  return scope.run;
}

function waitRequest(options: WaitOptions): WaitRequest {
  if (typeof options !== 'object' || options === null) {
    throw new KitaruUsageError('wait(options) takes an options object, such as { name, question, schema }.');
  }
  const name = options.name ?? 'wait';
  knownKeys('wait', name, options, ['name', 'question', 'schema', 'timeout', 'default', 'metadata']);
  if (typeof name !== 'string' || name === '')
    throw new KitaruUsageError('wait(): name must be a non-empty string.');
  const schema = options.schema ?? null;
  if (schema !== null && typeof schema['~standard']?.validate !== 'function') {
    throw new KitaruUsageError(
      `wait "${name}": schema must be a Standard Schema v1 object (with ~standard.validate).`,
    );
  }
  return {
    name,
    question: options.question ?? null,
    metadata: options.metadata ?? null,
    schema,
    timeoutMs:
      options.timeout === undefined ? null : parseDuration(options.timeout, `wait "${name}" timeout`),
    hasDefault: 'default' in options,
    default: options.default,
  };
}

/**
 * Waits for an answer from outside the flow (`kitaru input`, or the client). Without one, the
 * execution becomes `waiting` and this process stops running it; a resume returns the answer here.
 * Only in a flow body.
 * @example const answer = await wait({ name: 'approval', question: 'Refund?', schema: Approval, timeout: '2d' });
 */
export function wait<S extends StandardSchemaV1>(
  options: WaitOptions<InferSchemaOutput<S>> & { schema: S },
): Promise<InferSchemaOutput<S>>;
export function wait<T = unknown>(options?: WaitOptions<T> & { schema?: undefined }): Promise<T>;
export function wait(options: WaitOptions = {}): Promise<unknown> {
  const run = flowRun('wait');
  return run.wait(waitRequest(options));
}

/**
 * Sleeps durably: the wake time is recorded when the sleep is first reached, so a crash or a
 * resume never starts it again. Only in a flow body.
 * @example await sleep('10m'); // or milliseconds, or a Date
 */
export function sleep(duration: Duration | Date, options: SleepOptions = {}): Promise<null> {
  const run = flowRun('sleep');
  const name = options.name ?? 'sleep';
  if (duration instanceof Date) {
    if (Number.isNaN(duration.getTime())) throw new KitaruUsageError(`sleep "${name}": the Date is invalid.`);
    return run.sleep({ name, ms: null, until: duration });
  }
  return run.sleep({ name, ms: parseDuration(duration, `sleep "${name}"`), until: null });
}
