import { KitaruContextError, KitaruUsageError } from './errors.js';
import { callerSite } from './runtime/call-site.js';
import type { CheckpointDef } from './runtime/definitions.js';
import { type Duration, parseDuration } from './runtime/duration.js';
import type { KitaruFuture } from './runtime/future.js';
import { createGate } from './runtime/gate.js';
import { intOption, knownKeys, numberOption, resolveName } from './runtime/options.js';
import { currentScope } from './runtime/state.js';

/** Options of `checkpoint(options, fn)`. */
export interface CheckpointOptions {
  /** Name of the checkpoint and of its calls' ids. @default the function's name */
  name?: string;
  /** Retries after the first attempt when user code throws. @default 0 */
  retries?: number;
  /** Free label shown by `inspect`, such as `llm_call` or `tool_call`. @default none */
  type?: string;
  /** Milliseconds before the first retry. @default 0 */
  retryDelayMs?: number;
  /** Each further retry waits this many times longer (>= 1). @default 2 */
  backoffFactor?: number;
  /**
   * Time limit of each attempt: milliseconds, or a duration string (`'500ms'`, `'30s'`, `'5m'`).
   * Past it the attempt's `abortSignal()` is aborted and the attempt fails with
   * `KitaruTimeoutError` (retried like any error); a result that comes later is discarded.
   * @default none
   */
  timeout?: Duration;
  /**
   * Whether to retry after a failed attempt, given its error (only while retries are left, and
   * never for kitaru's own deterministic errors). False ends the call with that error.
   * @default every error from user code is retried
   * @example checkpoint({ retries: 3, retryIf: (e) => !(e instanceof TypeError) }, fn)
   */
  retryIf?: (error: unknown) => boolean;
}

/** Options of `.map()` and `.product()`. */
export interface MapOptions {
  /** Calls running at once. @default unbounded */
  concurrency?: number;
}

// `never[]` (not `unknown[]`) so that a parameter with a default keeps its own type.
type UserFn = (...args: never[]) => unknown;

type Lists<A extends unknown[]> = { [K in keyof A]: readonly A[K][] };

/** What `.map()` of a checkpoint that cannot be called with one argument accepts: nothing. */
export interface MapNeedsOneParameter {
  'kitaru: .map() passes one argument per call; use .product() with one list per parameter': never;
}

// A checkpoint is mappable when it can be called with its first argument alone: `(n)`,
// `(n, by?)`, `(n, by = 2)` and `(...ns)` are; `(a, b)` and `()` are not.
type MapItems<A extends unknown[]> = [A[0]] extends A ? readonly A[0][] : MapNeedsOneParameter;

/** A checkpoint: call it inside a flow and its result is recorded. */
export interface Checkpoint<A extends unknown[], R> {
  (...args: A): Promise<Awaited<R>>;
  /** Starts the call at once and returns its future. */
  submit(...args: A): KitaruFuture<Awaited<R>>;
  /**
   * One call per item, results in input order. Only for a checkpoint callable with one argument
   * (further parameters optional); a checkpoint of several parameters takes `.product()`. The
   * check is in the types only: at run time `fn.length` cannot tell `(n, by?)` from `(a, b)`.
   */
  map(items: MapItems<A>, options?: MapOptions): Promise<Awaited<R>[]>;
  /**
   * One call per combination of the lists, one list per parameter (first list outermost),
   * results in that order.
   */
  product(...lists: Lists<A>): Promise<Awaited<R>[]>;
  product(...listsAndOptions: [...Lists<A>, MapOptions]): Promise<Awaited<R>[]>;
  /** The checkpoint's name. */
  readonly checkpointName: string;
}

function start(def: CheckpointDef, args: unknown[], gate?: () => Promise<() => void>): KitaruFuture<unknown> {
  const scope = currentScope();
  if (!scope) {
    throw new KitaruContextError(
      `checkpoint "${def.name}" was called outside a flow. Call it from inside a flow body: ` +
        `flow(async function main() { await ${def.name}(...) }).`,
    );
  }
  if (scope.kind === 'attempt') {
    throw new KitaruContextError(
      `checkpoint "${def.name}" was called inside checkpoint "${scope.callId}": checkpoints cannot nest. ` +
        `Call "${def.name}" from the flow body, or make it a plain function.`,
    );
  }
  return scope.run.call(def, args, gate);
}

function combinations(lists: readonly (readonly unknown[])[]): unknown[][] {
  let out: unknown[][] = [[]];
  for (const list of lists) out = out.flatMap((prefix) => list.map((item) => [...prefix, item]));
  return out;
}

function fanOut(
  def: CheckpointDef,
  argLists: unknown[][],
  options: MapOptions | undefined,
): Promise<unknown[]> {
  const gate = options?.concurrency === undefined ? undefined : createGate(options.concurrency);
  const futures = argLists.map((args) => start(def, args, gate));
  return Promise.all(futures.map((f) => f.result()));
}

/** The `timeout` option in milliseconds (more than 0), or null when not given. */
function timeoutOption(name: string, value: unknown): number | null {
  if (value === undefined) return null;
  const ms = parseDuration(value, `checkpoint "${name}": timeout`);
  if (ms <= 0) throw new KitaruUsageError(`checkpoint "${name}": timeout must be more than 0, got ${ms}.`);
  return ms;
}

function retryIfOption(name: string, value: unknown): CheckpointDef['retryIf'] {
  if (value === undefined) return null;
  if (typeof value !== 'function') {
    throw new KitaruUsageError(
      `checkpoint "${name}": retryIf must be a function (error) => boolean, got ${typeof value}.`,
    );
  }
  return value as CheckpointDef['retryIf'];
}

function isOptions(value: unknown): value is MapOptions {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Wraps a function as a checkpoint: each call inside a flow is recorded with its attempts, and a
 * replay reuses its result when the inputs are equal.
 * @example const fetchPage = checkpoint({ retries: 3, type: 'tool_call' }, async function fetchPage(url: string) {
 *   return (await fetch(url)).text();
 * });
 */
export function checkpoint<F extends UserFn>(fn: F): Checkpoint<Parameters<F>, ReturnType<F>>;
export function checkpoint<F extends UserFn>(name: string, fn: F): Checkpoint<Parameters<F>, ReturnType<F>>;
export function checkpoint<F extends UserFn>(
  options: CheckpointOptions,
  fn: F,
): Checkpoint<Parameters<F>, ReturnType<F>>;
export function checkpoint(first: unknown, second?: unknown): Checkpoint<unknown[], unknown> {
  const fn = second === undefined ? first : second;
  const options: CheckpointOptions =
    second === undefined ? {} : typeof first === 'string' ? { name: first } : (first as CheckpointOptions);
  if (second !== undefined && typeof first !== 'string' && !isOptions(first)) {
    throw new KitaruUsageError('checkpoint(options, fn) needs an options object or a name string first.');
  }
  const name = resolveName('checkpoint', options.name, fn);
  knownKeys('checkpoint', name, options, [
    'name',
    'retries',
    'type',
    'retryDelayMs',
    'backoffFactor',
    'timeout',
    'retryIf',
  ]);
  if (options.type !== undefined && typeof options.type !== 'string') {
    throw new KitaruUsageError(
      `checkpoint "${name}": type must be a string, got ${JSON.stringify(options.type)}.`,
    );
  }
  const def: CheckpointDef = {
    name,
    type: options.type ?? null,
    retries: intOption('checkpoint', name, 'retries', options.retries, 0),
    retryDelayMs: numberOption('checkpoint', name, 'retryDelayMs', options.retryDelayMs, 0, 0),
    backoffFactor: numberOption('checkpoint', name, 'backoffFactor', options.backoffFactor, 2, 1),
    timeoutMs: timeoutOption(name, options.timeout),
    retryIf: retryIfOption(name, options.retryIf),
    site: callerSite(),
    fn: fn as CheckpointDef['fn'],
  };
  const cp = (...args: unknown[]) => start(def, args).result();
  cp.submit = (...args: unknown[]) => start(def, args);
  cp.map = (items: readonly unknown[], opts?: MapOptions) => {
    if (!Array.isArray(items)) {
      throw new KitaruUsageError(
        `${name}.map() needs an array of items, got ${items === null ? 'null' : typeof items}.`,
      );
    }
    return fanOut(
      def,
      items.map((item) => [item]),
      opts,
    );
  };
  cp.product = (...rest: unknown[]) => {
    const opts = rest.length > 0 && isOptions(rest[rest.length - 1]) ? (rest.pop() as MapOptions) : undefined;
    if (!rest.every(Array.isArray))
      throw new KitaruUsageError(`${name}.product() needs arrays, one per argument.`);
    return fanOut(def, combinations(rest as unknown[][]), opts);
  };
  Object.defineProperty(cp, 'checkpointName', { value: name, enumerable: true });
  Object.defineProperty(cp, 'name', { value: name });
  return cp as unknown as Checkpoint<unknown[], unknown>;
}
