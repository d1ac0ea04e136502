import { KitaruUsageError } from '../errors.js';
import { newExecutionRecord } from '../runtime/execute-flow.js';
import { newExecutionId } from '../runtime/ids.js';
import type { ReplayPlan } from '../runtime/replay-plan.js';
import type { FlowDef } from '../runtime/types.js';
import { encodeValue } from '../serialization.js';
import type { Database } from '../store/database.js';
import { loadPeer } from '../store/postgres/load-peer.js';
import type { Store } from '../store/store.js';
import { createGraphileQueue, graphileJobSql } from './graphile-queue.js';
import type { JobQueue } from './job-queue.js';
import { QUEUE_MIGRATIONS, QUEUE_VERSION_TABLE } from './schema.js';

/**
 * The database the store lives in, with the queue's tables ready; a usage error saying queue mode
 * needs a Postgres store when the store lives in none.
 */
export async function queueDatabase(store: Store, what: string): Promise<Database> {
  if (!store.database) {
    throw new KitaruUsageError(
      `${what} needs a Postgres store: give --store postgres://... or set KITARU_STORE (the store here is the folder ${store.location}).`,
    );
  }
  await loadPeer('graphile-worker'); // named before connecting, if it is missing
  const db = await store.database();
  await db.migrate(QUEUE_VERSION_TABLE, QUEUE_MIGRATIONS);
  return db;
}

/** The job queue in the store's database. */
export function openQueue(db: Database, onError: (message: string) => void): Promise<JobQueue> {
  return createGraphileQueue(db, onError);
}

/**
 * Records a new execution of `def` as `queued` and queues it for a worker; returns its id at
 * once. With `plan`, the execution is a replay that a worker will run.
 */
export async function submitExecution(
  store: Store,
  db: Database,
  queue: JobQueue,
  def: FlowDef,
  args: unknown[],
  plan?: ReplayPlan,
): Promise<string> {
  const execId = newExecutionId();
  const encoded = encodeValue(args, 'args', `flow ${def.name}`);
  const record = newExecutionRecord(def, store, execId, encoded, plan, 'queued');
  // The record and its job in one transaction: an execution is never queued without a job.
  await db.transaction(async (tx) => {
    await tx.createExecution(record);
    await tx.query('queue job', `select ${queue.jobSql('$1')}`, [execId]);
  });
  return execId;
}

/**
 * Queues a job that resumes a queue-mode execution (answered, or asked to resume): a worker takes
 * it up in place. The execution was queued, so the queue's tables and graphile-worker's schema are
 * there: the job is one statement on the store's connection, without loading graphile-worker or
 * opening its pool (an answer reaches an idle worker in milliseconds; see docs/performance.md).
 */
export async function enqueueResume(store: Store, execId: string): Promise<void> {
  if (!store.database) {
    throw new KitaruUsageError(
      `resuming a queue-mode execution needs its Postgres store (the store here is ${store.location}).`,
    );
  }
  const db = await store.database();
  await db.query('queue resume', `select ${graphileJobSql('$1')}`, [execId]);
}
