import { EventEmitter } from 'node:events';
import type { Runner, WorkerEvents } from 'graphile-worker';
import type { Database } from '../store/database.js';
import { loadPeer } from '../store/postgres/load-peer.js';
import type { Schedule } from './crontab.js';
import type { JobQueue, ScheduleTicks } from './job-queue.js';

/** The task name of kitaru's jobs in graphile-worker's tables. */
const TASK = 'kitaru_execution';
/** The task of a schedule's tick: its job starts the schedule's execution for that tick. */
const TICK_TASK = 'kitaru_schedule';

/** What graphile-worker's cron puts in a tick's job. */
interface TickPayload {
  schedule: Schedule;
  _cron: { ts: string; backfilled: boolean };
}

type Graphile = Awaited<ReturnType<typeof loadPeer<'graphile-worker'>>>;

/**
 * The schedules as graphile-worker's cron items. Its cron adds one job per item and tick, whichever
 * worker comes first (its `known_crontabs` table records the last tick of each identifier), and
 * backfills ticks missed while no worker ran, up to `backfillPeriod`. Always a list, perhaps
 * empty: without one, graphile-worker would read a file named `crontab` in the working folder.
 */
function cronItems(gw: Graphile, ticks: ScheduleTicks | undefined) {
  return gw.parseCronItems(
    (ticks?.schedules ?? []).map((schedule) => ({
      task: TICK_TASK,
      match: schedule.cron,
      identifier: `kitaru:${schedule.name}`,
      options: { backfillPeriod: schedule.backfillMs, maxAttempts: 10 },
      payload: { schedule },
    })),
  );
}

/**
 * The SQL expression that adds the job of an execution (at `runAt`, else now) with graphile-worker's
 * `add_job`; the arguments are SQL expressions too. It needs graphile-worker's schema, not its
 * package. A job whose handler throws (the database went away) is tried again with backoff.
 */
export function graphileJobSql(execId: string, runAt?: string): string {
  const payload = `json_build_object('execId', ${execId}::text)`;
  if (runAt === undefined) return `graphile_worker.add_job('${TASK}', ${payload}, max_attempts => 10)`;
  // Keyed by execution and time: a job for that moment already there is kept, not doubled.
  const key = `'kitaru:' || ${execId}::text || '@' || (${runAt})::text`;
  return `graphile_worker.add_job('${TASK}', ${payload}, run_at => ${runAt}, max_attempts => 10, job_key => ${key}, job_key_mode => 'preserve_run_at')`;
}

/**
 * A JobQueue on graphile-worker (its own `graphile_worker` schema in the store's database). Chosen
 * over pg-boss after a spike here: jobs start in milliseconds (LISTEN/NOTIFY) where pg-boss 10
 * polls; see docs/postgres-and-queue.md. graphile-worker loads only when a queue is used. Jobs are added with its
 * SQL function `add_job`, on the store's connection (through its `Database`), so that a job is added in the same
 * statement as the change that calls for it.
 */
export async function createGraphileQueue(
  db: Database,
  onError: (message: string) => void,
): Promise<JobQueue> {
  const gw = await loadPeer('graphile-worker');
  const logger = new gw.Logger(() => (level, message) => {
    if (level === 'error') onError(message);
  });
  const utils = await gw.makeWorkerUtils({ connectionString: db.url, logger });
  try {
    await utils.migrate();
  } finally {
    await utils.release();
  }
  let runner: Runner | undefined;
  // graphile-worker locks jobs under its worker pool's id (one pool per `run`), told by an event.
  const lockerIds: string[] = [];
  const events = new EventEmitter() as WorkerEvents;
  events.on('pool:create', ({ workerPool }) => lockerIds.push(workerPool.id));
  return {
    jobSql: graphileJobSql,
    lockerIds: () => [...lockerIds],
    // What graphile-worker's `WorkerUtils.forceUnlockWorkers` runs, as an expression (no pool of its own).
    unlockSql: (ids) => `graphile_worker.force_unlock_workers(${ids})`,
    async enqueue(execId) {
      await db.query('queue job', `select ${graphileJobSql('$1')}`, [execId]);
    },
    async work(concurrency, handler, ticks) {
      runner = await gw.run({
        connectionString: db.url,
        concurrency,
        noHandleSignals: true,
        pollInterval: 2000,
        logger,
        events,
        parsedCronItems: cronItems(gw, ticks),
        taskList: {
          [TASK]: async (payload) => handler((payload as { execId: string }).execId),
          [TICK_TASK]: async (payload) => {
            const { schedule, _cron } = payload as TickPayload;
            await ticks?.onTick(schedule, _cron.ts);
          },
        },
      });
    },
    async stop() {
      await runner?.stop();
    },
  };
}
