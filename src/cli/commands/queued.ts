import { getExecution } from '../../queries.js';
import type { ReplayPlan } from '../../runtime/replay-plan.js';
import type { FlowDef } from '../../runtime/types.js';
import type { Store } from '../../store/store.js';
import type { CliIO } from '../io.js';
import { signalExitCode } from '../signals.js';
import { waitForQueued } from './finish-run.js';

/**
 * `run --queue` and `replay --queue`: records and queues an execution of `what`; its id is
 * printed at once (status `queued`). With `wait`, waits for a worker to end it and exits like `run`.
 */
export async function queueAndReport(
  io: CliIO,
  store: Store,
  command: 'run' | 'replay',
  wait: boolean,
  label: string,
  what: { def: FlowDef; args: unknown[]; plan?: ReplayPlan },
): Promise<number> {
  // The queue loads only here: a project on a folder store never pays for it.
  const { openQueue, queueDatabase, submitExecution } = await import('../../queue/submit.js');
  const db = await queueDatabase(store, '--queue');
  const queue = await openQueue(db, (m) => io.err(io.color.yellow(`warning: queue: ${m}`)));
  let execId: string;
  try {
    execId = await submitExecution(store, db, queue, what.def, what.args, what.plan);
  } finally {
    await queue.stop();
  }
  if (!wait) {
    if (io.json) io.out(JSON.stringify({ command, execution: await getExecution(store, execId, false) }));
    else {
      io.out(`execution ${execId} · ${label} · queued`);
      io.err(io.color.dim(`a worker runs it: kitaru worker; follow it: kitaru inspect ${execId}`));
    }
    return 0;
  }
  if (!io.json) io.out(`execution ${execId} · ${label} · queued, waiting for a worker`);
  const abort = new AbortController();
  const onSignal = (s: NodeJS.Signals) => abort.abort(s);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await waitForQueued(io, store, execId, command, abort.signal);
    return typeof result === 'number' ? result : signalExitCode(result);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
