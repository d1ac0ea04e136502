import { getExecution } from '../../queries.js';
import type { OnConflict } from '../../runtime/caller-ids.js';
import type { ReplayPlan } from '../../runtime/replay-plan.js';
import type { FlowDef } from '../../runtime/types.js';
import { effectiveStatus } from '../../store/liveness.js';
import type { Store } from '../../store/store.js';
import type { CommandResult } from '../command-result.js';
import type { CliIO } from '../io.js';
import type { Interrupts } from '../signals.js';
import { waitForQueued } from './finish-run.js';

/**
 * `run --queue` and `replay --queue`: records and queues an execution of `what`; its id is
 * printed at once (status `queued`). With `wait`, waits for a worker to end it and exits like `run`;
 * a signal stops the waiting only.
 */
export async function queueAndReport(
  io: CliIO,
  store: Store,
  wait: (() => Interrupts) | undefined,
  label: string,
  what: { def: FlowDef; args: unknown[]; plan?: ReplayPlan; id?: string; onConflict?: OnConflict },
): Promise<CommandResult> {
  // The queue loads only here: a project on a folder store never pays for it.
  const { openQueue, queueDatabase, submit } = await import('../../queue/submit.js');
  const db = await queueDatabase(store, '--queue');
  const queue = await openQueue(db, (m) => io.err(io.color.yellow(`warning: queue: ${m}`)));
  let submitted: { execId: string; created: boolean };
  try {
    submitted = await submit(store, db, queue, what);
  } finally {
    await queue.stop();
  }
  const { execId, created } = submitted;
  // An id that exists: nothing is queued; that execution is reported as this one.
  const existing = created ? null : effectiveStatus(await store.getExecution(execId));
  const state = existing ? `exists (${existing})` : 'queued';
  if (!wait) {
    if (io.json) return { exitCode: 0, document: { execution: await getExecution(store, execId, false) } };
    io.out(`execution ${execId} · ${label} · ${state}`);
    io.err(io.color.dim(`a worker runs it: kitaru worker; follow it: kitaru inspect ${execId}`));
    return { exitCode: 0 };
  }
  // Waiting for a worker only while one has it to run: an ended (or waiting) execution is reported.
  const live = existing === null || existing === 'queued' || existing === 'running';
  if (!io.json) io.out(`execution ${execId} · ${label} · ${state}${live ? ', waiting for a worker' : ''}`);
  return waitForQueued(io, store, execId, wait().signal);
}
