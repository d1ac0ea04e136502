import { KitaruStateError, KitaruUsageError } from './errors.js';
import { decodeValue, type Json } from './serialization.js';
import { effectiveStatus } from './store/liveness.js';
import type { Store } from './store/store.js';
import type { ExecutionStatus, LogEntry } from './store/types.js';
import { type Execution, type ExecutionSummary, executionView, summaryView } from './views.js';

const STATUSES: ExecutionStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled', 'crashed'];

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

/**
 * Every log entry of an execution in time order: flow-level entries and every attempt's. With
 * `callId`, only that call's; an id that names no call is a `KitaruStateError` listing the ids.
 */
export async function getLogs(
  store: Store,
  idOrPrefix: string,
  decode: boolean,
  callId?: string,
): Promise<LogEntry[]> {
  const id = await store.resolveId(idOrPrefix);
  const calls = await store.getCalls(id);
  if (callId !== undefined && !calls.some((c) => c.id === callId)) {
    throw new KitaruStateError(
      `execution ${id} has no call "${callId}". Its calls are: ${calls.map((c) => c.id).join(', ') || 'none'}.`,
    );
  }
  const entries: LogEntry[] = callId === undefined ? await store.readLogs(id) : [];
  for (const c of calls) {
    if (callId !== undefined && c.id !== callId) continue;
    for (const a of c.attempts) entries.push(...a.logs);
  }
  entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  if (!decode) return entries;
  return entries.map((e) => (e.fields === undefined ? e : { ...e, fields: decodeValue(e.fields) as Json }));
}
