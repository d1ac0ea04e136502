import { hostname } from 'node:os';
import { join } from 'node:path';
import { errorToRecord } from '../errors.js';
import { loadFlowFile, pickFlow } from '../loader.js';
import type { FlowDef } from '../runtime/types.js';
import { encodeValue } from '../serialization.js';
import type { Database } from '../store/database.js';
import type { Store } from '../store/store.js';
import { type ExecutionRecord, SCHEMA_VERSION } from '../store/types.js';
import type { Schedule } from './crontab.js';
import type { JobQueue, ScheduleTicks } from './job-queue.js';
import { submit } from './submit.js';

/** The id of a schedule's execution for one tick: a tick has one execution, whoever starts it. */
export function scheduledExecutionId(schedule: string, tick: string): string {
  return `${schedule}@${tick}`;
}

/**
 * The record of a tick whose flow could not be loaded (file gone, syntax error, no such flow):
 * failed at once, so that `kitaru list` shows it, instead of a job tried again and again.
 */
function failedRecord(id: string, schedule: Schedule, err: unknown): ExecutionRecord {
  const now = new Date().toISOString();
  return {
    schemaVersion: SCHEMA_VERSION,
    id,
    flow: { name: schedule.flow ?? schedule.name, file: schedule.file, sourceHash: null },
    status: 'failed',
    args: encodeValue(schedule.args, 'args', `schedule ${schedule.name}`),
    output: null,
    error: errorToRecord(err),
    originalExecId: null,
    replay: null,
    pid: process.pid,
    host: hostname(),
    createdAt: now,
    endedAt: now,
    flowAttempts: 1,
    queue: true,
  };
}

/**
 * Starts a schedule's execution for the tick at `tick` (an ISO time): records it queued, with id
 * `<schedule>@<tick>`, and queues it for a worker. Returns its id, and false when that execution
 * exists already (another worker started this tick): nothing is started twice.
 */
export async function startScheduled(
  store: Store,
  db: Database,
  queue: JobQueue,
  root: string,
  schedule: Schedule,
  tick: string,
): Promise<{ execId: string; started: boolean; error?: string }> {
  const execId = scheduledExecutionId(schedule.name, tick);
  let def: FlowDef;
  try {
    def = pickFlow(await loadFlowFile(join(root, schedule.file)), schedule.flow ?? undefined);
  } catch (err) {
    const started = await store.createExecution(failedRecord(execId, schedule, err));
    return { execId, started, error: (err as Error).message };
  }
  const { created } = await submit(store, db, queue, { def, args: schedule.args, id: execId });
  return { execId, started: created };
}

/** The schedules of a crontab as a worker keeps them: each tick starts its execution, said in a line. */
export function scheduleTicks(
  store: Store,
  db: Database,
  queue: JobQueue,
  crontab: { root: string; schedules: Schedule[] },
  say: (line: string) => void,
): ScheduleTicks {
  return {
    schedules: crontab.schedules,
    async onTick(schedule, tick) {
      const { execId, started, error } = await startScheduled(store, db, queue, crontab.root, schedule, tick);
      const head = `schedule ${schedule.name} · tick ${tick} · execution ${execId}`;
      if (!started) say(`${head} exists already (started by another worker)`);
      else if (error) say(`${head} failed to start: ${error}`);
      else say(`${head} queued`);
    },
  };
}
