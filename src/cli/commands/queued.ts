import { getExecution } from '../../queries.js';
import type { JobQueue } from '../../queue/job-queue.js';
import { openQueue, queueStore } from '../../queue/submit.js';
import type { PostgresStore } from '../../store/postgres/postgres-store.js';
import type { Store } from '../../store/store.js';
import type { CommandResult } from '../command-result.js';
import type { CliIO } from '../io.js';
import type { Interrupts } from '../signals.js';
import { waitForQueued } from './finish-run.js';

/**
 * `run --queue` and `replay --queue`: `submit` records and queues the execution; its id is
 * printed at once (status `queued`). With `wait`, waits for a worker to end it and exits like `run`;
 * a signal stops the waiting only.
 */
export async function queueAndReport(
  io: CliIO,
  store: Store,
  wait: (() => Interrupts) | undefined,
  label: string,
  submit: (store: PostgresStore, queue: JobQueue) => Promise<string>,
): Promise<CommandResult> {
  const pgStore = queueStore(store, '--queue');
  const queue = await openQueue(pgStore, (m) => io.err(io.color.yellow(`warning: queue: ${m}`)));
  let execId: string;
  try {
    execId = await submit(pgStore, queue);
  } finally {
    await queue.stop();
  }
  if (!wait) {
    if (io.json) return { exitCode: 0, document: { execution: await getExecution(store, execId, false) } };
    io.out(`execution ${execId} · ${label} · queued`);
    io.err(io.color.dim(`a worker runs it: kitaru worker; follow it: kitaru inspect ${execId}`));
    return { exitCode: 0 };
  }
  if (!io.json) io.out(`execution ${execId} · ${label} · queued, waiting for a worker`);
  return waitForQueued(io, store, execId, wait().signal);
}
