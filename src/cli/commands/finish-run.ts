import { getExecution } from '../../queries.js';
import { unusedOverridesWarning } from '../../replay.js';
import { pendingWaitIds } from '../../resume.js';
import type { ExecutionHandle } from '../../runtime/execute-flow.js';
import type { RunObserver } from '../../runtime/observer.js';
import { awaitStopped } from '../../store/await-stop.js';
import { hasEnded } from '../../store/liveness.js';
import type { Store } from '../../store/store.js';
import type { ExecutionRecord, ExecutionStatus } from '../../store/types.js';
import { headView } from '../../views.js';
import type { CommandResult, JsonDocument } from '../command-result.js';
import type { CliIO } from '../io.js';
import { formatValue, paintStatus, replayCommand, waitLines } from '../render/format.js';
import type { Progress } from '../render/progress.js';
import { cancelExecutionsOn, type Interrupts, signalExitCode, signalOf } from '../signals.js';
import { answerInline } from './ask-waits.js';

type ExecutionHead = ReturnType<typeof headView>;
/** Calls that ended, by origin. */
type Counts = { reused: number; overridden: number; executed: number };

function printResult(io: CliIO, ex: ExecutionHead, ended: Counts | null): void {
  const c = io.color;
  if (ended) {
    const total = ended.reused + ended.overridden + ended.executed;
    io.err(
      c.dim(
        `reused ${ended.reused}, overridden ${ended.overridden}, executed ${ended.executed} of ${total} calls`,
      ),
    );
  }
  io.out(`status: ${paintStatus(ex.status, c)}`);
  if (ex.status === 'waiting') io.out(waitLines(ex.id, ex.waits, io.dir, c, ex.queue).join('\n'));
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
    if (ex.status === 'failed') io.err(c.dim(`after a fix, replay it: ${replayCommand(ex.id, io.dir)}`));
  }
  if (ex.status === 'crashed') {
    const dir = io.dir ? ` --dir ${JSON.stringify(io.dir)}` : '';
    io.err(c.dim(`its process is gone; resume it: kitaru resume ${ex.id}${dir}`));
  }
}

/** An ended execution: its status, and its JSON document or (in text mode) its status and output printed. */
export async function report(
  io: CliIO,
  store: Store,
  execId: string,
): Promise<{ status: string; document?: JsonDocument }> {
  if (io.json) {
    const execution = await getExecution(store, execId, false);
    return { status: execution.status, document: { execution } };
  }
  // Text mode prints no calls: reading them back (thousands, perhaps) would be wasted; a replay's
  // summary counts them from the store (waits, sleeps and the calls of earlier resumes included).
  const head = headView(await store.getExecution(execId), false);
  printResult(io, head, head.replay ? await countsOf(store, execId) : null);
  return { status: head.status };
}

/** Exit code of an execution a command ran: 0 completed, 3 waiting, 1 otherwise (failed). */
export const exitCodeOf = (status: string) => (status === 'completed' ? 0 : status === 'waiting' ? 3 : 1);

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
    executionAttached(e) {
      if (io.json) return;
      io.out(`execution ${e.execId} · flow ${e.flowName}`);
      const waiting = e.status === 'running' || e.status === 'queued' ? ' waiting for it;' : '';
      io.err(io.color.dim(`execution ${e.execId} exists (${e.status}):${waiting} nothing runs here.`));
    },
  };
}

/** Options of `finishRun`. */
export interface FinishOptions {
  /**
   * At a terminal (`io.ask`), ask the waits the execution stops at inline and resume it here,
   * until it is not waiting or the input ends (`run` and `resume`). @default false
   */
  askWaits?: boolean;
  /** A progress line for every call of a resume started here. @default false */
  verbose?: boolean;
}

/**
 * Waits for a run or replay to end (or for a signal to cancel it) and reports its execution.
 * Exit code: 0 completed, 1 failed, 3 waiting, 130/143 cancelled by SIGINT/SIGTERM.
 */
export async function finishRun(
  io: CliIO,
  store: Store,
  handle: ExecutionHandle,
  progress: Progress,
  interrupts: Interrupts,
  options: FinishOptions = {},
): Promise<CommandResult> {
  const cancelled = cancelExecutionsOn(interrupts).then(() => null);
  let outcome = await Promise.race([handle.done, cancelled]);
  progress.stop();
  // An execution attached to (its id existed) is reported as it stands: it is not ours to answer.
  while (options.askWaits && outcome?.status === 'waiting' && !outcome.storeFailed && !outcome.attached) {
    const next = await answerInline(io, store, outcome, cancelled, Boolean(options.verbose));
    if (!next) {
      // A signal at the prompt: the execution stays waiting, the command exits 130/143.
      if (interrupts.signal.aborted) outcome = null;
      break;
    }
    outcome = await Promise.race([next.handle.done, cancelled]);
    next.progress.stop();
  }
  // A store that cannot write is not the flow's failure: say what the store said, exit 2.
  if (outcome?.storeFailed || outcome?.refused) throw outcome.cause;
  const { status, document } = await report(io, store, handle.execId);
  // Cancelled by a signal: the run may end (its calls aborted) before the signal's handler does.
  const signal = outcome === null || status === 'cancelled' ? signalOf(interrupts.signal) : null;
  return { exitCode: signal ? signalExitCode(signal) : exitCodeOf(status), document };
}

/**
 * `--queue --wait`: waits for a worker to end a queued execution, then reports it as `run` would.
 * A signal stops the waiting only: the execution goes on on its worker.
 */
export async function waitForQueued(
  io: CliIO,
  store: Store,
  execId: string,
  signal: AbortSignal,
): Promise<CommandResult> {
  let record: ExecutionRecord;
  try {
    // Woken by the store's notice of each status written (LISTEN/NOTIFY), not by polling.
    record = await awaitStopped(store, execId, { signal, until: workersDone });
  } catch (err) {
    if (!signal.aborted) throw err;
    io.err(`stopped waiting; execution ${execId} goes on on its worker.`);
    return { exitCode: signalExitCode(signal.reason as NodeJS.Signals) };
  }
  const warning = unusedOverridesWarning(record.replay?.unusedOverrides ?? []);
  if (warning) io.err(io.color.yellow(`warning: ${warning}`));
  const { status, document } = await report(io, store, execId);
  return { exitCode: exitCodeOf(status), document };
}

/**
 * Whether the workers are done with a queue-mode execution: it has ended, or it waits for an
 * answer. One parked at a sleep (or queued to resume) is not: the workers take it up themselves.
 */
function workersDone(status: ExecutionStatus, record: ExecutionRecord): boolean {
  return hasEnded(status) || (status === 'waiting' && pendingWaitIds(record).length > 0);
}

/** How an execution's calls ended (checkpoints, waits and sleeps), read back from the store. */
async function countsOf(store: Store, execId: string): Promise<Counts> {
  const ended = { reused: 0, overridden: 0, executed: 0 };
  for (const call of await store.getCalls(execId)) ended[call.origin]++;
  return ended;
}
