import { type CancelOptions, cancelExecution } from './cancel.js';
import { diffExecutions, type ExecutionDiff } from './diff.js';
import { KitaruUsageError } from './errors.js';
import type { Flow } from './flow.js';
import { loadFlowFile, pickFlow } from './loader.js';
import { getExecution, getLogs, type ListFilter, listExecutions } from './queries.js';
import { startReplay } from './replay.js';
import { giveInput, type InputOptions, resumeOrQueue } from './resume.js';
import { collectGarbage, deleteOne, type GcOptions, type GcReport } from './retention.js';
import { checkIdOptions, type OnConflict } from './runtime/caller-ids.js';
import type { ReplayOptions } from './runtime/replay-plan.js';
import { awaitStopped } from './store/await-stop.js';
import { resolveStore } from './store/drivers.js';
import type { Store } from './store/store.js';
import type { LogEntry } from './store/types.js';
import { type Execution, type ExecutionOf, type ExecutionSummary, executionView } from './views.js';

/** Options of `new KitaruClient()`. */
export interface KitaruClientOptions {
  /** Store folder. @default `KITARU_DIR`, else the nearest `.kitaru/` upwards, else `./.kitaru` */
  dir?: string;
  /** A PostgreSQL URL, or a store object (for example `createMemoryStore()`). @default `KITARU_STORE`, else the folder */
  store?: Store | string;
  /** Where replay warnings go. @default a line on stderr */
  onWarning?: (message: string) => void;
}

/** An execution id of the caller's own, and what to do when it exists. */
export interface IdOptions {
  /**
   * The new execution's id: 1 to 100 characters of `A-Z a-z 0-9 . _ : -`, not shaped like a
   * generated id. @default a generated id
   */
  id?: string;
  /** When `id` exists: `attach` (wait for it, or return its id) or `fail` (`KitaruStateError`). @default 'attach' */
  onConflict?: OnConflict;
}

/** Options of `client.executions.enqueue`. */
export interface EnqueueOptions extends IdOptions {
  /** Which flow of the file. @default the default export, else the only flow */
  flow?: string;
  /** The flow's positional arguments. @default [] */
  args?: unknown[];
}

/** Options of `client.executions.wait`. */
export interface WaitForOptions {
  /** Reject with `KitaruTimeoutError` after this many milliseconds. @default no limit */
  timeoutMs?: number;
  /** Stops waiting (rejects with the signal's reason). */
  signal?: AbortSignal;
}

/**
 * Reads the store and replays executions. Values come back decoded (a stored Date is a Date).
 * @example const ex = await new KitaruClient().executions.get(execId);
 */
export class KitaruClient {
  /** Executions in the store. */
  readonly executions: {
    /** One execution by id or unique prefix; `KitaruNotFoundError` if unknown or ambiguous. */
    get(id: string): Promise<Execution>;
    /**
     * The same, typed by its flow: `args` and (once completed) `output` carry the flow's types.
     * @example const ex = await client.executions.get<typeof summarize>(execId);
     * if (ex.status === 'completed') ex.output; // the flow's awaited return type
     */
    get<F extends Flow<never, unknown>>(id: string): Promise<ExecutionOf<F>>;
    /** Execution summaries, newest first; no limit unless given. */
    list(filter?: ListFilter): Promise<ExecutionSummary[]>;
    /**
     * Replays an execution to its end and resolves to the new execution, whatever its status. With
     * `id`, the new execution has that id; if it exists, nothing runs and it is waited for instead
     * (or, with `onConflict: 'fail'`, a `KitaruStateError`).
     */
    replay(id: string, options?: ReplayOptions & IdOptions): Promise<Execution>;
    /**
     * Queues an execution of a flow file's flow for `kitaru worker` processes (a Postgres store) and
     * resolves to its id once recorded; on a folder store, a `KitaruUsageError`. An `id` that exists
     * resolves to that execution's id, queuing nothing (or, with `onConflict: 'fail'`, rejects).
     * @example const execId = await client.executions.enqueue('flows/refund.ts', { args: [orderId], id: `refund-${orderId}` });
     */
    enqueue(file: string, options?: EnqueueOptions): Promise<string>;
    /**
     * Resolves to the execution once it has stopped (ended, waiting or crashed), whatever its
     * status; `KitaruTimeoutError` past `timeoutMs`. Woken by the store's notices (LISTEN/NOTIFY on
     * Postgres, fs.watch on a folder), with a read every second at most as a fallback.
     */
    wait(id: string, options?: WaitForOptions): Promise<Execution>;
    /** Every log entry of an execution, in order. */
    logs(id: string): Promise<LogEntry[]>;
    /** Two executions of one flow compared call by call (values decoded). */
    diff(a: string, b: string): Promise<ExecutionDiff>;
    /**
     * Answers a wait of a waiting execution (the first answer wins), then resumes it in this
     * process unless `resume` is false (a queue-mode execution: queues the resume for the
     * workers, and resolves at once); resolves to the execution as it then stands.
     * @example await client.executions.input(execId, 'approval', { approved: true });
     */
    input(
      id: string,
      waitId: string,
      value: unknown,
      options?: InputOptions & {
        /** Resume the execution here once the answer is kept. @default true */
        resume?: boolean;
      },
    ): Promise<Execution>;
    /**
     * Resumes a waiting or crashed execution in place, in this process, and resolves to it once it
     * stops (a queue-mode execution: queues the resume for the workers, and resolves at once).
     */
    resume(id: string): Promise<Execution>;
    /**
     * Cancels an execution and resolves to it once it is recorded `cancelled`: a queued, waiting
     * or crashed one at once; a running one through the process that runs it (SIGINT on this host,
     * or directly when it runs in this process) or, in queue mode, its worker at its next
     * heartbeat. An ended execution is a `KitaruStateError`.
     * @example await client.executions.cancel(execId);
     */
    cancel(id: string, options?: CancelOptions): Promise<Execution>;
    /**
     * Deletes one ended execution (completed, failed, cancelled or crashed), all or nothing, and
     * resolves to its full id. A running, waiting or queued one, or one whose calls another
     * execution reuses, is a `KitaruStateError`.
     * @example await client.executions.delete(execId);
     */
    delete(id: string): Promise<string>;
    /**
     * Deletes the ended executions that match every filter given, as `kitaru gc` does; with no
     * filter (and no `all`), a `KitaruUsageError`.
     * @example await client.executions.gc({ olderThan: '30d', keepLast: 100 });
     */
    gc(options: GcOptions): Promise<GcReport>;
  };

  constructor(options: KitaruClientOptions = {}) {
    const url = typeof options.store === 'string' ? options.store : process.env.KITARU_STORE;
    const store =
      typeof options.store === 'object'
        ? options.store
        : resolveStore({
            ...(options.dir === undefined ? {} : { dir: options.dir }),
            ...(url ? { url } : {}),
          });
    const onWarning = options.onWarning ?? ((m: string) => process.stderr.write(`kitaru: warning: ${m}\n`));
    this.executions = {
      // The typed form only narrows the result's type, on the caller's word (see ExecutionOf).
      get: ((id: string) => getExecution(store, id, true)) as KitaruClient['executions']['get'],
      list: async (filter = {}) => {
        const { executions, warnings } = await listExecutions(store, filter, true);
        for (const w of warnings) onWarning(w);
        return executions;
      },
      replay: async (id, replayOptions = {}) => {
        const { id: newId, onConflict, ...plan } = replayOptions;
        const ids = checkIdOptions({ id: newId, onConflict });
        const { handle } = await startReplay(store, id, plan, { onWarning, ...ids });
        const outcome = await handle.done;
        if (outcome.refused) throw outcome.cause;
        return getExecution(store, handle.execId, true);
      },
      enqueue: async (file, enqueueOptions = {}) => {
        const { flow, args = [], ...rest } = enqueueOptions;
        if (!Array.isArray(args)) {
          throw new KitaruUsageError("enqueue: args is the array of the flow's positional arguments.");
        }
        const ids = checkIdOptions(rest);
        // The queue loads only here: a client that never queues never pays for it.
        const { enqueueExecution, queueDatabase } = await import('./queue/submit.js');
        await queueDatabase(store, 'queue mode (enqueue)', 'code'); // before loading the file: the store is the mistake
        const def = pickFlow(await loadFlowFile(file), flow);
        return enqueueExecution(store, { def, args, ...ids });
      },
      wait: async (id, waitOptions = {}) => {
        const { timeoutMs } = waitOptions;
        if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
          throw new KitaruUsageError(
            `wait: timeoutMs is a number of milliseconds >= 0, got ${String(timeoutMs)}.`,
          );
        }
        const execId = await store.resolveId(id);
        // The record awaited, not a second read: that one may already show a resume under way.
        const record = await awaitStopped(store, execId, waitOptions);
        return executionView(record, await store.getCalls(execId), true);
      },
      logs: (id) => getLogs(store, id, true),
      input: async (id, waitId, value, inputOptions = {}) => {
        const execId = await giveInput(store, id, waitId, value, inputOptions);
        if (inputOptions.resume !== false) await (await resumeOrQueue(store, execId)).handle?.done;
        return getExecution(store, execId, true);
      },
      resume: async (id) => {
        const resumed = await resumeOrQueue(store, id);
        if (!resumed.handle) return getExecution(store, resumed.queued, true);
        await resumed.handle.done;
        return getExecution(store, resumed.handle.execId, true);
      },
      cancel: async (id, cancelOptions) => {
        const { execId } = await cancelExecution(store, id, cancelOptions);
        return getExecution(store, execId, true);
      },
      delete: (id) => deleteOne(store, id),
      gc: async (gcOptions) => {
        const report = await collectGarbage(store, gcOptions);
        for (const w of report.warnings) onWarning(w);
        return report;
      },
      diff: async (a, b) =>
        diffExecutions(await getExecution(store, a, false), await getExecution(store, b, false), true),
    };
  }
}
