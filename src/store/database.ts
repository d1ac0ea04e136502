import type { ExecutionRecord } from './types.js';

/** Rows of one statement. */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** Runs one named statement (`what` names it in errors and in the server's plan cache). */
export type Query = <R = Record<string, unknown>>(
  what: string,
  text: string,
  values?: unknown[],
) => Promise<QueryResult<R>>;

/** What a transaction offers: the store's own writes and the caller's statements, committed together. */
export interface Transaction {
  query: Query;
  /** As `Store.createExecution`: false (nothing written) when the id exists already. */
  createExecution(record: ExecutionRecord): Promise<boolean>;
  updateExecution(id: string, patch: Partial<ExecutionRecord>): Promise<void>;
}

/**
 * The SQL database a store lives in, offered to what lives beside it (the job queue): its own
 * statements on the store's connection, in turn with the store's, and transactions that take in
 * the store's writes. Only a store in a database has one.
 */
export interface Database {
  /** The connection URL (with its password: for connecting, not for showing). */
  readonly url: string;
  query: Query;
  /** Runs `fn` in one transaction: all its statements commit, or none. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /**
   * Brings a component's own tables up to date: `migrations[i]` takes it from version i to i + 1,
   * its version kept in `versionTable`, under the same lock as the store's migrations.
   */
  migrate(versionTable: string, migrations: readonly string[]): Promise<void>;
}
