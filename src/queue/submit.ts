import { KitaruUsageError } from '../errors.js';
import type { FlowDef } from '../runtime/definitions.js';
import { newExecutionRecord } from '../runtime/execute-flow.js';
import { newExecutionId } from '../runtime/ids.js';
import type { ReplayPlan } from '../runtime/replay-plan.js';
import { encodeValue } from '../serialization.js';
import type { PostgresStore } from '../store/postgres/postgres-store.js';
import type { Store } from '../store/store.js';
import { createGraphileQueue } from './graphile-queue.js';
import type { JobQueue } from './job-queue.js';

/** The store as a Postgres store, or a usage error saying queue mode needs one. */
export function queueStore(store: Store, what: string): PostgresStore {
  if (store.kind !== 'postgres') {
    throw new KitaruUsageError(
      `${what} needs a Postgres store: give --store postgres://... or set KITARU_STORE (the store here is the folder ${store.location}).`,
    );
  }
  return store as PostgresStore;
}

/** The job queue in the store's database. */
export function openQueue(store: PostgresStore, onError: (message: string) => void): Promise<JobQueue> {
  return createGraphileQueue(store, onError);
}

/**
 * Records a new execution of `def` as `queued` and queues it for a worker; returns its id at
 * once. With `plan`, the execution is a replay that a worker will run.
 */
export async function submitExecution(
  store: PostgresStore,
  queue: JobQueue,
  def: FlowDef,
  args: unknown[],
  plan?: ReplayPlan,
): Promise<string> {
  const execId = newExecutionId();
  const encoded = encodeValue(args, 'args', `flow ${def.name}`);
  const record = newExecutionRecord(def, store, execId, encoded, plan, 'queued');
  // The record and its job in one statement: an execution is never queued without a job.
  await store.sql(
    'submit execution',
    `with e as (insert into kitaru_executions (id, doc) values ($1, $2) returning id)
     select ${queue.jobSql('e.id')} from e`,
    [execId, JSON.stringify(record)],
  );
  return execId;
}
