import type { ErrorRecord } from './errors.js';
import { KitaruContextError, KitaruUsageError } from './errors.js';
import { callerFile } from './runtime/call-site.js';
import { checkIdOptions, type OnConflict } from './runtime/caller-ids.js';
import { FLOW_BRAND, type FlowDef } from './runtime/definitions.js';
import { startExecution } from './runtime/execute-flow.js';
import { intOption, knownKeys, resolveName } from './runtime/options.js';
import { currentScope, state } from './runtime/state.js';
import { defaultStore } from './store/drivers.js';
import type { Store } from './store/store.js';
import type { WaitInfo } from './store/types.js';

/** How an execution stands once it stopped: ended, or waiting. */
export interface FlowOutcome<R> {
  execId: string;
  status: 'completed' | 'failed' | 'cancelled' | 'waiting';
  /** The flow's return value when `completed`; else undefined. */
  value: R | undefined;
  error: ErrorRecord | null;
  /** The waits a `waiting` execution is suspended at; else empty. */
  waits: WaitInfo[];
}

/** Options of `flow(options, fn)`. */
export interface FlowOptions {
  /** Name of the flow. @default the function's name */
  name?: string;
  /** Times the whole body runs again in the same execution, reusing the calls that succeeded. @default 0 */
  retries?: number;
}

/** A started execution of a flow. */
export interface FlowRun<R> {
  /** The execution id, known at once. */
  readonly execId: string;
  /**
   * The flow's return value; rejects with `KitaruExecutionError` (with `execId`) if it failed, and
   * with `KitaruWaitingError` (with `execId` and the pending waits) if it is waiting.
   */
  wait(): Promise<R>;
  /** Resolves once the execution has stopped, to how it stands, whatever its status; never rejects. */
  settled(): Promise<FlowOutcome<R>>;
}

/** Options of `flow.with(options)`. */
export interface FlowRunOptions {
  /**
   * The store to record to, for example `createMemoryStore()` or `createJsonFolderStore(dir)`.
   * @default `KITARU_STORE`, else the folder `KITARU_DIR` or the nearest `.kitaru/` locates
   */
  store?: Store;
  /**
   * The execution's id, instead of a generated one: 1 to 100 characters of `A-Z a-z 0-9 . _ : -`,
   * not shaped like a generated id. Starting an id that exists runs nothing (see `onConflict`).
   * @default a generated id
   */
  id?: string;
  /**
   * When `id` names an execution that exists: `attach` waits for it and reports it as this run's
   * (`enqueue` resolves to its id), `fail` rejects with `KitaruStateError`.
   * @default 'attach'
   */
  onConflict?: OnConflict;
}

/** A flow: calling it runs a new execution and resolves to its return value. */
export interface Flow<A extends unknown[], R> {
  (...args: A): Promise<Awaited<R>>;
  /** Starts a new execution and returns its handle at once. */
  run(...args: A): FlowRun<Awaited<R>>;
  /**
   * Queues an execution for `kitaru worker` processes (a Postgres store) and resolves to its id
   * once it is recorded; on a folder store, a `KitaruUsageError` (queue mode needs Postgres).
   * @example const execId = await myFlow.with({ id: `order-${orderId}` }).enqueue(orderId);
   */
  enqueue(...args: A): Promise<string>;
  /**
   * The same flow, run or queued with these options (a store, an id of your own).
   * @example const h = myFlow.with({ store: createMemoryStore() }).run(url);
   */
  with(options: FlowRunOptions): Pick<Flow<A, R>, 'run' | 'enqueue'>;
  /** The flow's name. */
  readonly flowName: string;
}

// `never[]` (not `unknown[]`) so that a parameter with a default keeps its own type.
type UserFn = (...args: never[]) => unknown;

function guard(name: string): void {
  const scope = currentScope();
  if (scope) {
    throw new KitaruContextError(
      `flow "${name}" was called inside ${scope.kind === 'flow' ? 'a flow' : `checkpoint "${scope.callId}"`}: ` +
        'flows cannot be nested. Call its checkpoints directly, or run it from outside the flow.',
    );
  }
}

/**
 * Declares a flow: an async function whose checkpoint calls are recorded in `.kitaru/`.
 * @example export default flow(async function summarize(url: string) {
 *   return summarizeText(await fetchPage(url));
 * });
 */
export function flow<F extends UserFn>(fn: F): Flow<Parameters<F>, ReturnType<F>>;
export function flow<F extends UserFn>(name: string, fn: F): Flow<Parameters<F>, ReturnType<F>>;
export function flow<F extends UserFn>(options: FlowOptions, fn: F): Flow<Parameters<F>, ReturnType<F>>;
export function flow(first: unknown, second?: unknown): Flow<unknown[], unknown> {
  const fn = second === undefined ? first : second;
  if (second !== undefined && typeof first !== 'string' && (typeof first !== 'object' || first === null)) {
    throw new KitaruUsageError('flow(options, fn) needs an options object or a name string first.');
  }
  const options: FlowOptions =
    second === undefined ? {} : typeof first === 'string' ? { name: first } : (first as FlowOptions);
  const name = resolveName('flow', options.name, fn);
  knownKeys('flow', name, options, ['name', 'retries']);
  const def: FlowDef = {
    name,
    retries: intOption('flow', name, 'retries', options.retries, 0),
    file: callerFile(),
    fn: fn as FlowDef['fn'],
    start: (startOptions) => startExecution(def, startOptions),
  };
  if (def.file) {
    let byName = state.flows.get(def.file);
    if (!byName) state.flows.set(def.file, (byName = new Map()));
    byName.set(name, def);
  }
  const runWith =
    (runOptions: FlowRunOptions) =>
    (...args: unknown[]) => {
      guard(name);
      const handle = def.start({
        args,
        store: runOptions.store ?? defaultStore(),
        ...checkIdOptions(runOptions),
      });
      return {
        execId: handle.execId,
        wait: () => handle.wait(),
        settled: () =>
          handle.done.then(({ execId, status, value, error, waits }) => ({
            execId,
            status,
            value,
            error,
            waits,
          })),
      };
    };
  const enqueueWith =
    (runOptions: FlowRunOptions) =>
    async (...args: unknown[]): Promise<string> => {
      // No guard: queuing another execution from a checkpoint is a side effect like any other
      // (with an id of its own, a retried attempt queues it once).
      // The queue loads only here: a project that never queues never pays for it.
      const { enqueueExecution } = await import('./queue/submit.js');
      return enqueueExecution(runOptions.store ?? defaultStore(), {
        def,
        args,
        ...checkIdOptions(runOptions),
      });
    };
  const run = runWith({});
  const f = (...args: unknown[]) => run(...args).wait();
  f.run = run;
  f.enqueue = enqueueWith({});
  f.with = (runOptions: FlowRunOptions) => {
    if (typeof runOptions !== 'object' || runOptions === null) {
      throw new KitaruUsageError(`flow ${name}: .with() takes an options object, such as { store }.`);
    }
    knownKeys('flow', name, runOptions, ['store', 'id', 'onConflict']);
    checkIdOptions(runOptions); // checked now, where the mistake is made
    return { run: runWith(runOptions), enqueue: enqueueWith(runOptions) };
  };
  Object.defineProperty(f, 'flowName', { value: name, enumerable: true });
  Object.defineProperty(f, 'name', { value: name });
  Object.defineProperty(f, FLOW_BRAND, { value: def });
  return f as unknown as Flow<unknown[], unknown>;
}
