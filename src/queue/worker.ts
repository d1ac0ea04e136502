import { hostname } from 'node:os';
import { errorToRecord } from '../errors.js';
import { findFlow } from '../loader.js';
import type { ExecutionHandle } from '../runtime/execute-flow.js';
import { planFromRecord } from '../runtime/replay-plan.js';
import { state } from '../runtime/state.js';
import { decodeValue } from '../serialization.js';
import type { PostgresStore } from '../store/postgres/postgres-store.js';
import { resolveFlowFile } from '../store/project-root.js';
import type { CallRecord, ExecutionRecord } from '../store/types.js';
import type { JobQueue } from './job-queue.js';
import { createLeases, type Leases } from './leases.js';

/** Options of `kitaru worker`. */
export interface WorkerOptions {
  store: PostgresStore;
  queue: JobQueue;
  /** Executions run at once. @default 4 */
  concurrency?: number;
  /** How long a lease lasts without a heartbeat, in ms. @default 30000 */
  leaseMs?: number;
  /** What the worker says it does (one line each). */
  onEvent?: (line: string) => void;
}

/** A running worker. */
export interface Worker {
  readonly name: string;
  /** Executions this worker is running now. */
  readonly running: ReadonlySet<string>;
  /**
   * Stops taking executions, waits up to `graceMs` for the running ones to end, then hands the
   * others back (queued again, for another worker to resume in place).
   */
  stop(graceMs: number): Promise<void>;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Starts a worker: takes queued executions, runs them under a lease, resumes lapsed ones. */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const { store, queue } = options;
  const leaseMs = options.leaseMs ?? 30_000;
  const concurrency = options.concurrency ?? 4;
  const say = options.onEvent ?? (() => {});
  const name = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const leases = createLeases(store, name, leaseMs);
  const running = new Map<string, ExecutionHandle | null>();
  let stopping = false;

  async function take(execId: string): Promise<void> {
    if (stopping) {
      await queue.enqueue(execId); // not ours to start any more: back in the queue
      return;
    }
    if (!(await leases.claim(execId))) return; // a live worker holds it; its lease says so
    running.set(execId, null);
    const beat = setInterval(() => {
      leases.renew(execId).then(
        (held) => {
          if (held || handedBack.has(execId)) return;
          // Another worker took it over (this one was silent past its lease): stop here.
          say(`execution ${execId}: lease lost to another worker; stopping it here`);
          handedBack.add(execId);
          for (const live of state.live) if (live.execId === execId) live.abandon?.();
        },
        (err) => say(`heartbeat for ${execId} failed: ${(err as Error).message}`),
      );
    }, leaseMs / 3);
    try {
      await runClaimed(execId);
    } finally {
      clearInterval(beat);
      running.delete(execId);
      if (!handedBack.has(execId)) {
        await leases.clearInflight(execId);
        await leases.release(execId);
      }
    }
  }

  async function runClaimed(execId: string): Promise<void> {
    const record = await store.getExecution(execId);
    if (TERMINAL.has(record.status)) return;
    const calls = await recordInterrupted(store, leases, record, await store.getCalls(execId));
    let handle: ExecutionHandle;
    try {
      if (!record.flow.file) throw new Error(`execution ${execId} records no flow file`);
      const def = await findFlow(resolveFlowFile(store, record.flow.file), record.flow.name);
      const plan = record.replay
        ? planFromRecord(record.replay, await store.getCalls(record.replay.sourceExecId), calls)
        : undefined;
      const args = decodeValue(record.args) as unknown[];
      if (handedBack.has(execId)) {
        await handingBack.get(execId);
        return;
      }
      handle = def.start({
        args,
        store,
        ...(plan ? { plan } : {}),
        resume: { record, calls },
        onAttemptStart: (call, attempt, startedAt) => leases.attemptStarted(execId, call, attempt, startedAt),
      });
    } catch (err) {
      // This worker cannot start the flow (file missing from its checkout, a syntax error...).
      await store.updateExecution(execId, {
        status: 'failed',
        error: errorToRecord(err),
        endedAt: new Date().toISOString(),
      });
      say(`execution ${execId} failed to start: ${(err as Error).message}`);
      return;
    }
    running.set(execId, handle);
    const resumed = calls.length > 0 || record.status !== 'queued';
    if (resumed) {
      const text = `resumed in place by worker ${name} (${calls.filter((c) => c.status === 'completed').length} completed calls reused)`;
      await store.appendLogs(execId, [{ at: new Date().toISOString(), stream: 'log', text }]);
    }
    say(`execution ${execId} · flow ${record.flow.name} · ${resumed ? 'resumed' : 'started'}`);
    const outcome = await handle.done;
    const handing = handingBack.get(execId);
    if (handing)
      await handing; // the job ends once the execution is queued again, not before
    else if (!handedBack.has(execId)) say(`execution ${execId} ${outcome.status}`);
  }

  // Expired leases: each reaped execution is queued again, to be resumed in place by whoever takes it.
  const reaper = setInterval(
    () => {
      leases
        .reap()
        .then(async (ids) => {
          for (const id of ids) {
            say(`execution ${id}: its worker's lease expired; queued to resume`);
            await queue.enqueue(id);
          }
        })
        .catch((err) => say(`lease check failed: ${(err as Error).message}`));
    },
    Math.min(5_000, leaseMs / 2),
  );

  /** Executions this worker let go of (handed back, or taken over by another worker). */
  const handedBack = new Set<string>();
  const handingBack = new Map<string, Promise<void>>();

  let drained: Promise<void> | undefined;
  /**
   * Hands back what is still running: stops each run where it is and queues it again; the next
   * worker records the interrupted attempts as it resumes the execution.
   */
  function handBackAll(): Promise<unknown> {
    for (const execId of running.keys()) {
      if (handedBack.has(execId)) continue;
      handedBack.add(execId);
      for (const live of state.live) if (live.execId === execId) live.abandon?.();
      const handing = (async () => {
        await store.updateExecution(execId, { status: 'queued' });
        await leases.release(execId);
        await queue.enqueue(execId);
        say(`execution ${execId} handed back`);
      })();
      handingBack.set(execId, handing);
    }
    return Promise.allSettled(handingBack.values());
  }

  await queue.work(concurrency, take);
  say(`worker ${name} · concurrency ${concurrency} · lease ${leaseMs / 1000}s · ${store.location}`);

  return {
    name,
    get running() {
      return new Set(running.keys());
    },
    async stop(graceMs) {
      stopping = true;
      clearInterval(reaper);
      drained ??= queue.stop();
      const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), graceMs).unref());
      if ((await Promise.race([drained.then(() => 'done' as const), timer])) === 'late') await handBackAll();
      await drained;
    },
  };
}

/**
 * Records, as failed, the attempts that the execution's last worker started and never finished
 * (it was killed, or handed the execution back mid-attempt); returns the calls as they now stand.
 */
async function recordInterrupted(
  store: PostgresStore,
  leases: Leases,
  record: ExecutionRecord,
  calls: CallRecord[],
): Promise<CallRecord[]> {
  if (record.status === 'queued' && calls.length === 0) return calls; // never started: nothing in flight
  const lost = await leases.interrupted(record.id, calls);
  if (lost.length === 0) return calls;
  const bySeq = new Map(calls.map((c) => [c.seq, c]));
  const at = new Date().toISOString();
  for (const { record: call, attempt, startedAt, owner } of lost) {
    call.attempts.push({
      attempt,
      status: 'failed',
      startedAt,
      endedAt: at,
      error: {
        type: 'KitaruWorkerLostError',
        message:
          record.status === 'queued'
            ? `attempt interrupted: worker ${owner} stopped and handed the execution back`
            : `attempt interrupted: worker ${owner} stopped answering (its lease expired)`,
        stack: null,
      },
      logs: [],
    });
    call.status = 'failed';
    call.output = null;
    await store.writeCall(record.id, call);
    bySeq.set(call.seq, call);
  }
  await leases.clearInflight(record.id, true);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}
