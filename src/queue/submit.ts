import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { KitaruUsageError } from '../errors.js';
import { existingSameStart } from '../runtime/attach.js';
import { existsError, type OnConflict } from '../runtime/caller-ids.js';
import { newExecutionRecord } from '../runtime/execute-flow.js';
import { newExecutionId } from '../runtime/ids.js';
import type { ReplayPlan } from '../runtime/replay-plan.js';
import type { FlowDef } from '../runtime/types.js';
import { encodeValue } from '../serialization.js';
import type { Database } from '../store/database.js';
import { effectiveStatus } from '../store/liveness.js';
import { loadPeer } from '../store/postgres/load-peer.js';
import type { Store } from '../store/store.js';
import type { ExecutionRecord } from '../store/types.js';
import { createGraphileQueue, graphileJobSql } from './graphile-queue.js';
import type { JobQueue } from './job-queue.js';
import { createLeases } from './leases.js';
import { QUEUE_MIGRATIONS, QUEUE_VERSION_TABLE } from './schema.js';

/** Databases whose queue tables this process has brought up to date. */
const migrated = new WeakMap<Database, Promise<void>>();

/**
 * The database the store lives in, with the queue's tables ready; a usage error saying queue mode
 * needs a Postgres store when the store lives in none.
 */
export async function queueDatabase(
  store: Store,
  what: string,
  from: 'cli' | 'code' = 'cli',
): Promise<Database> {
  if (!store.database) {
    // From code the store is the client's (or KITARU_STORE); on the command line, --store.
    const how =
      from === 'code'
        ? "set KITARU_STORE=postgres://... or pass one (new KitaruClient({ store: 'postgres://...' }), myFlow.with({ store }))"
        : 'give --store postgres://... or set KITARU_STORE';
    throw new KitaruUsageError(
      `${what} needs a Postgres store: ${how} (the store here is the folder ${store.location}).`,
    );
  }
  await loadPeer('graphile-worker'); // named before connecting, if it is missing
  const db = await store.database();
  let ready = migrated.get(db);
  if (!ready) {
    ready = db.migrate(QUEUE_VERSION_TABLE, QUEUE_MIGRATIONS);
    migrated.set(db, ready);
    ready.catch(() => migrated.delete(db));
  }
  await ready;
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
  return (await submit(store, db, queue, { def, args, ...(plan ? { plan } : {}) })).execId;
}

/** What to submit: a flow, its arguments, a replay plan, an id. */
export interface Submission {
  def: FlowDef;
  args: unknown[];
  plan?: ReplayPlan;
  /**
   * The execution's id (not checked here: callers check a caller-chosen id first).
   * @default a generated id
   */
  id?: string;
  /** When `id` exists: report that execution (`attach`), or refuse (`fail`). @default 'attach' */
  onConflict?: OnConflict;
}

/**
 * Records a new execution as `queued` and queues its job, in one transaction; `created` is false
 * (and nothing is written or queued) when `id` names an execution that exists already and was
 * started the same way. A `KitaruStateError` when it was started differently (another flow, other
 * arguments, another replay), or with `onConflict: 'fail'`.
 */
export async function submit(
  store: Store,
  db: Database,
  queue: JobQueue,
  what: Submission,
): Promise<{ execId: string; created: boolean }> {
  const execId = what.id ?? newExecutionId();
  const encoded = encodeValue(what.args, 'args', `flow ${what.def.name}`);
  const record = newExecutionRecord(what.def, store, execId, encoded, what.plan, 'queued');
  // The record and its job in one transaction: an execution is never queued without a job.
  const created = await db.transaction(async (tx) => {
    if (!(await tx.createExecution(record))) return false;
    await tx.query('queue job', `select ${queue.jobSql('$1')}`, [execId]);
    return true;
  });
  if (!created) {
    if (what.onConflict === 'fail') throw existsError(execId);
    await existingSameStart(store, record);
  }
  return { execId, created };
}

/** Queues for submissions, one per database in a process (made ready once: migrations run). */
const submitQueues = new WeakMap<Database, Promise<JobQueue>>();

/**
 * Queues an execution from code (`flow.enqueue`, `client.executions.enqueue`) and resolves to its
 * id. An id that exists resolves to that execution's id (`attach`) when it was started the same
 * way, and is a `KitaruStateError` otherwise (see `submit`). The queue is made ready once per database, so that each later call is one transaction.
 */
export async function enqueueExecution(store: Store, what: Submission): Promise<string> {
  const db = await queueDatabase(store, 'queue mode (enqueue)', 'code');
  let queue = submitQueues.get(db);
  if (!queue) {
    queue = openQueue(db, () => {});
    submitQueues.set(db, queue);
    queue.catch(() => submitQueues.delete(db));
  }
  return (await submit(store, db, await queue, what)).execId;
}

/** How long a resume waits for the worker that suspended the execution to let go of it, in ms. */
const LET_GO_MS = 5_000;

/**
 * Queues the resume of a waiting (or crashed) queue-mode execution (answered, or asked to resume):
 * recorded `queued` and its job queued in one transaction, under the execution's lease so that no
 * worker or cancel changes it meanwhile; a worker takes it up in place. Whoever waits for the
 * execution then waits for the resumed run. The execution was queued, so the queue's tables and
 * graphile-worker's schema are there: the job is a statement on the store's connection, without
 * loading graphile-worker or opening its pool (see docs/performance.md). Nothing is queued when
 * the execution has moved on meanwhile (a worker took it up, a cancel ended it).
 */
export async function enqueueResume(store: Store, execId: string): Promise<void> {
  if (!store.database) {
    throw new KitaruUsageError(
      `resuming a queue-mode execution needs its Postgres store (the store here is ${store.location}).`,
    );
  }
  const db = await store.database();
  const leases = createLeases(db, `resume:${hostname()}:${process.pid}`, LET_GO_MS, graphileJobSql);
  for (const end = Date.now() + LET_GO_MS; ; await delay(25)) {
    const token = await leases.claim(execId);
    const resumable = isResumable(await store.getExecution(execId));
    if (token) {
      if (resumable) await leases.handBack(execId, token);
      else await leases.release(execId, token);
      return;
    }
    if (!resumable) return;
    // Held still (the worker that suspended it has not let go yet, or a lost worker's lease has
    // not lapsed): past the wait, a plain job, which a worker tries again until it can take it.
    if (Date.now() >= end) {
      await db.query('queue resume', `select ${graphileJobSql('$1')}`, [execId]);
      return;
    }
  }
}

function isResumable(record: ExecutionRecord): boolean {
  const status = effectiveStatus(record);
  return status === 'waiting' || status === 'crashed';
}
