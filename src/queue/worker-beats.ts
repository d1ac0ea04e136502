import type { Database } from '../store/database.js';
import type { JobQueue } from './job-queue.js';

/**
 * Heartbeats of workers, in the queue's `kitaru_workers`: each worker's row names the ids its job
 * queue locks jobs under and lasts a lease. A job is locked from the moment the queue hands it to a
 * worker, before the worker leases its execution; a worker that dies in between leaves a job that
 * its queue would keep locked for hours and no lease for `Leases.reap` to find. Releasing the jobs
 * of workers whose heartbeat lapsed lets any worker take them up within about a lease.
 */
export interface WorkerBeats {
  /** Records (or renews) this worker's heartbeat for the queue's locker ids. */
  beat(): Promise<void>;
  /** Deletes lapsed heartbeats and releases their workers' jobs, in one statement; the workers' names. */
  reap(): Promise<string[]>;
}

/** The heartbeats of worker `name`, lasting `leaseMs`, for the jobs of `queue`. */
export function createWorkerBeats(db: Database, name: string, leaseMs: number, queue: JobQueue): WorkerBeats {
  const seconds = leaseMs / 1000;
  return {
    async beat() {
      await db.query(
        'worker heartbeat',
        `insert into kitaru_workers (locker_id, worker, expires_at)
         select id, $2, now() + make_interval(secs => $3) from unnest($1::text[]) as t(id)
         on conflict (locker_id) do update set worker = excluded.worker, expires_at = excluded.expires_at`,
        [queue.lockerIds(), name, seconds],
      );
    },
    async reap() {
      const { rows } = await db.query<{ workers: string[] | null }>(
        'reap workers',
        `with d as (delete from kitaru_workers where expires_at < now() returning locker_id, worker)
         select array_agg(distinct d.worker) as workers, ${queue.unlockSql('array_agg(d.locker_id)')} from d`,
      );
      return rows[0]?.workers ?? [];
    },
  };
}
