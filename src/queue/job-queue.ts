import type { Schedule } from './crontab.js';

/** The schedules a worker keeps, and what it does at each tick. */
export interface ScheduleTicks {
  schedules: Schedule[];
  /**
   * Called once per schedule and tick (an ISO time) across all workers, on one of them; ticks
   * missed within a schedule's `backfillMs` are given at start.
   */
  onTick(schedule: Schedule, tick: string): Promise<void>;
}

/**
 * The job queue under `kitaru worker`: a job names one execution to run (or resume). kitaru's own
 * leases decide who runs it, so a job delivered twice, or late, does no harm.
 */
export interface JobQueue {
  /** Queues a job for execution `execId`. */
  enqueue(execId: string): Promise<void>;
  /**
   * An SQL expression that queues a job for the execution id that `execId` (an SQL expression)
   * names, to be used inside a statement that changes kitaru's tables: both happen or neither.
   * With `runAt` (an SQL expression of a time), the job is for then (a wake time, a deadline):
   * one job per execution and time, however often it is asked for.
   */
  jobSql(execId: string, runAt?: string): string;
  /**
   * Calls `handler` for queued jobs, at most `concurrency` at once, until `stop`; with `ticks`,
   * also keeps those schedules (and only those).
   */
  work(concurrency: number, handler: (execId: string) => Promise<void>, ticks?: ScheduleTicks): Promise<void>;
  /**
   * The ids under which `work` locks the jobs it takes (known once `work` has resolved); while a
   * job runs, no other worker gets it.
   */
  lockerIds(): string[];
  /**
   * An SQL expression that releases the jobs locked under the ids that `ids` (an SQL expression
   * of type text[]) names, for any worker to take: those of workers that died holding them.
   */
  unlockSql(ids: string): string;
  /** Takes no new jobs; waits for handlers running to return, then closes. */
  stop(): Promise<void>;
}
