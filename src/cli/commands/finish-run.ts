import { getExecution } from '../../queries.js';
import type { ExecutionHandle } from '../../runtime/execute-flow.js';
import type { Store } from '../../store/store.js';
import { headView } from '../../views.js';

type ExecutionHead = ReturnType<typeof headView>;

import type { CliIO } from '../io.js';
import { formatValue, paintStatus, replayCommand } from '../render/format.js';
import type { Progress } from '../render/progress.js';
import { type SignalWatch, signalExitCode } from '../signals.js';

function printResult(io: CliIO, ex: ExecutionHead, ended: Progress['ended']): void {
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
  let status: string;
  if (io.json) {
    const execution = await getExecution(store, handle.execId, false);
    io.out(JSON.stringify({ command, execution }));
    status = execution.status;
  } else {
    // Text mode prints no calls: reading them back (thousands, perhaps) would be wasted.
    const head = headView(await store.getExecution(handle.execId), false);
    printResult(io, head, progress.ended);
    status = head.status;
  }
  if (outcome === null && signals.signal) return signalExitCode(signals.signal);
  return status === 'completed' ? 0 : 1;
}
