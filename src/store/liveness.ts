import { hostname } from 'node:os';
import type { ExecutionRecord, ExecutionStatus } from './types.js';

/** Whether a process of this host is still there. */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const ENDED = new Set<ExecutionStatus>(['completed', 'failed', 'cancelled']);

/** Whether an execution with this status has ended for good (nothing more will run or change). */
export function hasEnded(status: ExecutionStatus): boolean {
  return ENDED.has(status);
}

/**
 * The status a reader should show: a record still `running` whose process is gone from this host
 * is `crashed`. A record from another host keeps `running` (its host is shown beside it).
 */
export function effectiveStatus(record: ExecutionRecord, host = hostname()): ExecutionStatus {
  if (record.status === 'running' && record.host === host && !pidAlive(record.pid)) return 'crashed';
  return record.status;
}
