import { setTimeout as sleep } from 'node:timers/promises';
import { isKitaruError } from '../../errors.js';
import { getExecution } from '../../queries.js';
import { unusedOverridesWarning } from '../../replay.js';
import type { ExecutionHandle } from '../../runtime/execute-flow.js';
import type { RunObserver } from '../../runtime/observer.js';
import { effectiveStatus, hasEnded } from '../../store/liveness.js';
import type { Store } from '../../store/store.js';
import { headView } from '../../views.js';
import type { CliIO } from '../io.js';
import { formatValue, paintStatus, replayCommand } from '../render/format.js';
import type { Progress } from '../render/progress.js';
import { type SignalWatch, signalExitCode } from '../signals.js';

type ExecutionHead = ReturnType<typeof headView>;
type Counts = Progress['ended'];

function printResult(io: CliIO, ex: ExecutionHead, ended: Counts): void {
  const c = io.color;
  if (ex.replay) {
    const total = ended.reused + ended.overridden + ended.executed;
    io.err(
      c.dim(
        `reused ${ended.reused}, overridden ${ended.overridden}, executed ${ended.executed} of ${total} calls`,
      ),
    );
  }
  io.out(`status: ${paintStatus(ex.status, c)}`);
  if (ex.status === 'completed') io.out(`output: ${formatValue(ex.output, 2000)}`);
  if (ex.error) {
    io.out(
      `error: ${ex.error.type}: ${ex.error.message}${ex.error.callId ? ` (in call ${ex.error.callId})` : ''}`,
    );
    io.err(
      c.dim(
        `see every attempt: kitaru inspect ${ex.id} --attempts${io.dir ? ` --dir ${JSON.stringify(io.dir)}` : ''}`,
      ),
    );
    io.err(c.dim(`after a fix, replay it: ${replayCommand(ex.id, io.dir)}`));
  }
}

/** Prints an ended execution (one JSON document, or its status and output) and returns its status. */
async function report(
  io: CliIO,
  store: Store,
  execId: string,
  command: 'run' | 'replay',
  ended: () => Promise<Counts> | Counts,
): Promise<string> {
  if (io.json) {
    const execution = await getExecution(store, execId, false);
    io.out(JSON.stringify({ command, execution }));
    return execution.status;
  }
  // Text mode prints no calls: reading them back (thousands, perhaps) would be wasted.
  const head = headView(await store.getExecution(execId), false);
  printResult(io, head, await ended());
  return head.status;
}

/**
 * The progress observer, plus the line that names the execution (`execution <id> · <what>`),
 * printed once the store has recorded it: nothing claims an execution that could not be created.
 */
export function announcing(
  io: CliIO,
  observer: RunObserver,
  what: (e: { sourceExecId: string | null }) => string,
): RunObserver {
  return {
    ...observer,
    executionStarted(e) {
      if (!io.json) io.out(`execution ${e.execId} · ${what(e)}`);
      observer.executionStarted?.(e);
    },
  };
}

/**
 * Waits for a run or replay to end (or for a signal to cancel it), prints its execution and
 * returns the exit code: 0 completed, 1 failed, 130/143 cancelled by SIGINT/SIGTERM.
 */
export async function finishRun(
  io: CliIO,
  store: Store,
  handle: ExecutionHandle,
  progress: Progress,
  signals: SignalWatch,
  command: 'run' | 'replay',
): Promise<number> {
  const outcome = await Promise.race([handle.done, signals.cancelled.then(() => null)]);
  progress.stop();
  // A store that cannot write is not the flow's failure: say what the store said, exit 2.
  if (outcome && isKitaruError(outcome.cause, 'KitaruStoreError')) throw outcome.cause;
  const status = await report(io, store, handle.execId, command, () => progress.ended);
  if (outcome === null && signals.signal) return signalExitCode(signals.signal);
  return status === 'completed' ? 0 : 1;
}

/**
 * `--queue --wait`: waits for a worker to end a queued execution, then reports it as `run` would.
 * A signal stops the waiting only: the execution goes on on its worker.
 */
export async function waitForQueued(
  io: CliIO,
  store: Store,
  execId: string,
  command: 'run' | 'replay',
  signal: AbortSignal,
): Promise<number | NodeJS.Signals> {
  let delay = 50;
  let record = await store.getExecution(execId);
  while (!hasEnded(effectiveStatus(record))) {
    try {
      await sleep(delay, undefined, { signal });
    } catch {
      io.err(`stopped waiting; execution ${execId} goes on on its worker.`);
      return signal.reason as NodeJS.Signals;
    }
    delay = Math.min(delay * 2, 500);
    record = await store.getExecution(execId);
  }
  const warning = unusedOverridesWarning(record.replay?.unusedOverrides ?? []);
  if (warning) io.err(io.color.yellow(`warning: ${warning}`));
  const counts = async () => {
    const ended = { reused: 0, overridden: 0, executed: 0 };
    for (const call of await store.getCalls(execId)) ended[call.origin]++;
    return ended;
  };
  return (await report(io, store, execId, command, counts)) === 'completed' ? 0 : 1;
}
