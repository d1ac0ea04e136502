import { KitaruUsageError } from '../errors.js';
import { newExecutionRecord } from '../runtime/execute-flow.js';
import { newExecutionId } from '../runtime/ids.js';
import type { ReplayPlan } from '../runtime/replay-plan.js';
import type { FlowDef } from '../runtime/types.js';
import { encodeValue } from '../serialization.js';
import type { Database } from '../store/database.js';
import { loadPeer } from '../store/postgres/load-peer.js';
import type { Store } from '../store/store.js';
import { createGraphileQueue } from './graphile-queue.js';
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
 * once. With `plan`, the execution is a replay that a worker will run. With `id`, the execution
 * has that id; one that exists already fails the transaction (Postgres' unique violation, 23505).
 */
export async function submitExecution(
  store: Store,
  db: Database,
  queue: JobQueue,
  def: FlowDef,
  args: unknown[],
  plan?: ReplayPlan,
  id?: string,
): Promise<string> {
  const execId = id ?? newExecutionId();
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
 * it up in place.
 */
export async function enqueueResume(store: Store, execId: string): Promise<void> {
  const db = await queueDatabase(store, 'resuming a queue-mode execution');
  const queue = await openQueue(db, () => {});
  try {
    await queue.enqueue(execId);
  } finally {
    await queue.stop();
  }
}
