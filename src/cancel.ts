import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { KitaruStateError, KitaruUsageError } from './errors.js';
import { state } from './runtime/state.js';
import { effectiveStatus, hasEnded } from './store/liveness.js';
import type { Store } from './store/store.js';
import type { ExecutionRecord, ExecutionStatus } from './store/types.js';

/** Options of `cancelExecution`. */
export interface CancelOptions {
  /** How long to wait for a running execution to be recorded cancelled, in ms. @default 60000 */
  timeoutMs?: number;
}

/** A cancel as it went: the execution's full id and the status it had when asked. */
export interface Cancelled {
  execId: string;
  was: ExecutionStatus;
}

/**
 * One way of cancelling, tried again until the execution is recorded cancelled: `true` once this
 * step recorded it, `false` when someone else is to (a signalled process, a worker) and the caller
 * should look again.
 */
export interface Canceller {
  step(record: ExecutionRecord, status: ExecutionStatus): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The longest a cancel waits between two looks at an execution it asked another process to stop,
 * in ms; the store's notice of a status write (where it has them) wakes it sooner.
 */
const POLL_MS = 250;

/** What a cancelled execution's record says, written by whoever stops it without running it. */
export function cancelledPatch(by: string): Partial<ExecutionRecord> {
  return {
    status: 'cancelled',
    error: { type: 'KitaruCancelledError', message: `execution cancelled by ${by}`, stack: null },
    waits: [],
    endedAt: new Date().toISOString(),
  };
}

/**
 * Cancels an execution and resolves once it is recorded `cancelled`. Queued, waiting (and crashed)
 * executions are cancelled at once, under the claim a resume or a worker would need, so that none
 * of them runs it as well; a running one is stopped by the process that runs it (SIGINT on this
 * host; its worker in queue mode, at its next heartbeat). An ended execution is a
 * `KitaruStateError`.
 */
export async function cancelExecution(
  store: Store,
  idOrPrefix: string,
  options: CancelOptions = {},
): Promise<Cancelled> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new KitaruUsageError(`timeoutMs must be a number >= 0, got ${JSON.stringify(timeoutMs)}.`);
  }
  const execId = await store.resolveId(idOrPrefix);
  const first = await store.getExecution(execId);
  const was = effectiveStatus(first);
  if (hasEnded(was)) {
    throw new KitaruStateError(
      `execution ${execId} is ${was}: it has ended, so there is nothing to cancel. See it with \`kitaru inspect ${execId}\`.`,
    );
  }
  const canceller = first.queue ? await queueCanceller(store) : localCanceller(store);
  try {
    await cancelUntilRecorded(store, execId, canceller, Date.now() + timeoutMs);
  } finally {
    await canceller.close();
  }
  return { execId, was };
}

async function queueCanceller(store: Store): Promise<Canceller> {
  // The queue loads only here: a project on a folder store never pays for it.
  const { createQueueCanceller } = await import('./queue/cancel.js');
  return createQueueCanceller(store);
}

async function cancelUntilRecorded(
  store: Store,
  execId: string,
  canceller: Canceller,
  deadline: number,
): Promise<void> {
  for (;;) {
    const record = await store.getExecution(execId);
    const status = effectiveStatus(record);
    if (status === 'cancelled') return;
    if (hasEnded(status)) {
      throw new KitaruStateError(
        `execution ${execId} ended ${status} before it could be cancelled. See it with \`kitaru inspect ${execId}\`.`,
      );
    }
    if (await canceller.step(record, status)) return;
    if (Date.now() >= deadline) {
      throw new KitaruStateError(
        `execution ${execId} is still ${status}: it was asked to stop and has not yet recorded it. ` +
          `It will stop at its next chance; follow it with \`kitaru inspect ${execId}\`.`,
      );
    }
    await (store.changed ? store.changed(execId, POLL_MS) : delay(50));
  }
}

/**
 * Cancels an execution of this process's runs, or of a process on this host: waiting and crashed
 * ones under the resume claim, running ones through their process (SIGINT, as Ctrl-C).
 */
export function localCanceller(store: Store): Canceller {
  const signalled = new Set<number>();
  return {
    async step(record, status) {
      if (status === 'waiting' || status === 'crashed') return cancelUnclaimed(store, record.id);
      if (status !== 'running') return false;
      const live = [...state.live].find((l) => l.execId === record.id);
      if (live) {
        await live.cancel('kitaru cancel');
        return true;
      }
      signal(record, signalled);
      return false;
    },
    close: async () => {},
  };
}

/**
 * Records a waiting or crashed execution cancelled under the resume claim: a resume that comes
 * now finds it cancelled. False when a resume holds the claim (it is about to run).
 */
async function cancelUnclaimed(store: Store, execId: string): Promise<boolean> {
  if (!(await store.claimResume(execId))) return false;
  try {
    const status = effectiveStatus(await store.getExecution(execId));
    if (status !== 'waiting' && status !== 'crashed') return false;
    await store.updateExecution(execId, cancelledPatch('kitaru cancel'));
    return true;
  } finally {
    await store.releaseResume(execId);
  }
}

/** Sends SIGINT, once, to the process on this host that runs the execution. */
function signal(record: ExecutionRecord, signalled: Set<number>): void {
  if (record.host !== hostname()) {
    throw new KitaruStateError(
      `execution ${record.id} runs on host ${record.host} (pid ${record.pid}), not this one: ` +
        'cancel it there (kitaru cancel, or Ctrl-C in its terminal).',
    );
  }
  // This process's own record but not among its live runs: it is ending; never signal ourselves.
  if (record.pid === process.pid || signalled.has(record.pid)) return;
  signalled.add(record.pid);
  try {
    process.kill(record.pid, 'SIGINT');
  } catch {
    // Gone meanwhile: the next look finds it crashed, and cancels it.
  }
}
