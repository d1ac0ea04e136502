import { STATUSES } from '../ui/format.js';
import { type ErrorRecord, KitaruStateError, KitaruUsageError } from './errors.js';
import { decodeValue, type Json } from './serialization.js';
import { effectiveStatus } from './store/liveness.js';
import type { Store } from './store/store.js';
import type { ExecutionStatus, LogEntry } from './store/types.js';
import { type Execution, type ExecutionSummary, executionView, summaryView } from './views.js';

/** Filters of `list`. */
export interface ListFilter {
  /** Only executions of the flow with this name. */
  flow?: string;
  /** Only executions with this status (as shown, so `crashed` works). */
  status?: string;
  /** At most this many. @default no limit */
  limit?: number;
}

/** One execution by id or unique prefix, with its calls. */
export async function getExecution(store: Store, idOrPrefix: string, decode: boolean): Promise<Execution> {
  const id = await store.resolveId(idOrPrefix);
  return executionView(await store.getExecution(id), await store.getCalls(id), decode);
}

/** Execution summaries, newest first, and one warning per unreadable execution. */
export async function listExecutions(
  store: Store,
  filter: ListFilter,
  decode: boolean,
): Promise<{ executions: ExecutionSummary[]; warnings: string[] }> {
  if (filter.status !== undefined && !STATUSES.includes(filter.status as ExecutionStatus)) {
    throw new KitaruUsageError(`unknown status "${filter.status}"; use one of ${STATUSES.join(', ')}.`);
  }
  if (filter.limit !== undefined && (!Number.isInteger(filter.limit) || filter.limit < 0)) {
    throw new KitaruUsageError(`limit must be an integer >= 0, got ${JSON.stringify(filter.limit)}.`);
  }
  const { flow, status, limit } = filter;
  const { executions, errors } = await store.listExecutions({
    accept: (r) =>
      (flow === undefined || r.flow.name === flow) && (status === undefined || effectiveStatus(r) === status),
    ...(limit === undefined ? {} : { limit }),
  });
  return {
    executions: executions.map((r) => summaryView(r, decode)),
    warnings: errors.map((e) => e.message),
  };
}

/** A failed attempt's error, shown among the logs by `kitaru logs`; never stored as a log entry. */
export interface AttemptErrorEntry {
  /** When the attempt ended. */
  at: string;
  callId: string;
  attempt: number;
  stream: 'error';
  /** `Type: message`. */
  text: string;
  error: ErrorRecord;
}

/** A line of `kitaru logs`: a captured entry, or a failed attempt's error. */
export type LogLine = LogEntry | AttemptErrorEntry;

/** Options of `getLogs`. */
export interface LogsOptions {
  /** Only this call's entries. @default every call's, and the flow's own */
  callId?: string;
  /** Add one entry per failed attempt, with its error, at the attempt's end. @default false */
  errors?: boolean;
}

/**
 * Every log entry of an execution in time order: flow-level entries and every attempt's. With
 * `callId`, only that call's; an id that names no call is a `KitaruStateError` listing the ids.
 */
export function getLogs(
  store: Store,
  idOrPrefix: string,
  decode: boolean,
  options?: LogsOptions & { errors?: false },
): Promise<LogEntry[]>;
export function getLogs(
  store: Store,
  idOrPrefix: string,
  decode: boolean,
  options: LogsOptions,
): Promise<LogLine[]>;
export async function getLogs(
  store: Store,
  idOrPrefix: string,
  decode: boolean,
  options: LogsOptions = {},
): Promise<LogLine[]> {
  const { callId, errors = false } = options;
  const id = await store.resolveId(idOrPrefix);
  const calls = await store.getCalls(id);
  if (callId !== undefined && !calls.some((c) => c.id === callId)) {
    throw new KitaruStateError(
      `execution ${id} has no call "${callId}". Its calls are: ${calls.map((c) => c.id).join(', ') || 'none'}.`,
    );
  }
  const entries: LogLine[] = callId === undefined ? await store.readLogs(id) : [];
  for (const c of calls) {
    if (callId !== undefined && c.id !== callId) continue;
    for (const a of c.attempts) {
      entries.push(...a.logs);
      if (errors && a.error) {
        const text = `${a.error.type}: ${a.error.message}`;
        entries.push({
          at: a.endedAt,
          callId: c.id,
          attempt: a.attempt,
          stream: 'error',
          text,
          error: a.error,
        });
      }
    }
  }
  // A stable sort: an attempt's error stays after the entries it logged in the same millisecond.
  entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  if (!decode) return entries;
  return entries.map((e) =>
    e.stream === 'error' || e.fields === undefined ? e : { ...e, fields: decodeValue(e.fields) as Json },
  );
}
