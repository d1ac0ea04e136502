import type { KitaruStoreError } from '../errors.js';
import type { Database } from './database.js';
import type { CallRecord, ExecutionRecord, ExecutionSummaryRecord, InputRecord, LogEntry } from './types.js';

/** What `listExecutions` keeps and how many it needs. */
export interface ListOptions {
  accept?: (record: ExecutionRecord) => boolean;
  limit?: number;
}

/**
 * The seam between the runtime and where records live. Every implementation passes the same
 * contract suite (`test/store/contract.ts`). Values are already encoded when they get here.
 */
export interface Store {
  /** Where the records are, to show (a folder, or a database URL without its password). */
  readonly location: string;
  /**
   * The folder that flow files are recorded relative to, for a flow file near `near` (when
   * writing) or the current directory (when reading): the folder holding `.kitaru/`, or a project
   * root for a database shared by checkouts; null to record them as they are.
   */
  flowFileRoot(near: string): string | null;
  /** The database the store lives in, for the job queue beside it; absent for other stores. */
  database?(): Promise<Database>;
  /**
   * Creates an execution; false (and nothing written) when one with this id exists already. Atomic:
   * of the processes creating one id at once, exactly one gets true.
   */
  createExecution(record: ExecutionRecord): Promise<boolean>;
  /** Merges `patch` into the execution document; also makes earlier call writes durable. */
  updateExecution(id: string, patch: Partial<ExecutionRecord>): Promise<void>;
  /**
   * Writes (or rewrites) one call; a `reused` call may be kept by reference to its source. A store
   * that writes synchronously returns nothing (saving a promise per checkpoint); the record may be
   * mutated after the call returns, so it must be copied or serialized at once.
   */
  writeCall(execId: string, record: CallRecord): Promise<void> | undefined;
  /** Appends flow-level log entries. */
  appendLogs(execId: string, entries: LogEntry[]): Promise<void>;
  /** The execution with this exact id; `KitaruNotFoundError` if none. */
  getExecution(id: string): Promise<ExecutionRecord>;
  /** Every call of an execution in call order, reused calls resolved to their source's output. */
  getCalls(id: string): Promise<CallRecord[]>;
  /** Flow-level log entries in order. */
  readLogs(id: string): Promise<LogEntry[]>;
  /**
   * Readable executions, newest first, and an error for each unreadable one met. With `accept`,
   * only the records it accepts; with `limit`, reading stops once that many are found (so the
   * newest 50 of a large store cost 50 reads).
   */
  listExecutions(
    options?: ListOptions,
  ): Promise<{ executions: ExecutionSummaryRecord[]; errors: KitaruStoreError[] }>;
  /**
   * Keeps an answer to a wait, durably. The first answer wins, even between processes: when the
   * wait already has one, nothing is written and that earlier answer is returned; else null.
   */
  addInput(execId: string, input: InputRecord): Promise<InputRecord | null>;
  /** The answers kept for an execution's waits (not yet refused), in no particular order. */
  getInputs(execId: string): Promise<InputRecord[]>;
  /** Forgets the answer to a wait (its schema refused it), so that another may be given. */
  dropInput(execId: string, waitId: string): Promise<void>;
  /**
   * Claims an execution for one resume: true for exactly one of the processes that ask at once
   * (and again once it is waiting, ended, or its claimer's process is gone), false for the others.
   */
  claimResume(execId: string): Promise<boolean>;
  /** Lets go of a resume claim this process holds without resuming (the execution had moved on). */
  releaseResume(execId: string): Promise<void>;
  /**
   * Resolves once the execution `id` may have changed (its status was written), or after `ms` at
   * the latest, whichever comes first; a waiter reads the record again either way. Optional: a store
   * without it is read every `ms`.
   */
  changed?(id: string, ms: number): Promise<void>;
  /**
   * Deletes an execution and everything recorded for it (calls, logs, answers), all or nothing:
   * readers see it whole or not at all, even if the process dies midway. `KitaruNotFoundError` if
   * there is none. It does not ask whether the execution may go: `src/retention.ts` does.
   */
  deleteExecution(id: string): Promise<void>;
  /**
   * The executions whose calls this one reuses (the `sourceExecId` of its reused calls), read from
   * its own records only: the sources are not opened.
   */
  reusedSources(id: string): Promise<string[]>;
  /**
   * Finishes deletions that a killed process left half done (the folder store's folders renamed
   * aside); absent where a deletion is one transaction.
   */
  finishDeletions?(): Promise<void>;
  /** The full id for an exact id (which always wins) or a unique prefix; `KitaruNotFoundError` if none or several match. */
  resolveId(prefix: string): Promise<string>;
  /** Releases connections, for stores that hold any. */
  close?(): Promise<void>;
}
