import type { Database } from '../store/database.js';

/**
 * Cancel requests for executions a worker runs, kept in the queue's `kitaru_cancels`: `kitaru
 * cancel` asks, the worker holding the execution reads it at its next heartbeat and cancels its
 * run. A request outlives a lost worker: the next worker to take the execution up honours it.
 */
export interface CancelRequests {
  /** Asks for the execution to be cancelled (asking twice is asking once). */
  request(execId: string): Promise<void>;
  /** Whether the execution was asked to be cancelled. */
  requested(execId: string): Promise<boolean>;
  /** Forgets the request (the execution is cancelled, or ended). */
  forget(execId: string): Promise<void>;
}

export function createCancelRequests(db: Database): CancelRequests {
  return {
    async request(execId) {
      await db.query(
        'request cancel',
        'insert into kitaru_cancels (exec_id) values ($1) on conflict (exec_id) do nothing',
        [execId],
      );
    },
    async requested(execId) {
      const { rows } = await db.query('read cancel', 'select 1 from kitaru_cancels where exec_id = $1', [
        execId,
      ]);
      return rows.length > 0;
    },
    async forget(execId) {
      await db.query('forget cancel', 'delete from kitaru_cancels where exec_id = $1', [execId]);
    },
  };
}
