import { hostname } from 'node:os';
import { errorToRecord } from '../errors.js';
import { findFlow } from '../loader.js';
import { interruptedAttempt } from '../runtime/attempts.js';
import { planFromRecord } from '../runtime/replay-plan.js';
import type { ExecutionHandle } from '../runtime/types.js';
import { decodeValue } from '../serialization.js';
import type { Database } from '../store/database.js';
import { hasEnded } from '../store/liveness.js';
import { resolveFlowFile } from '../store/project-root.js';
import type { Store } from '../store/store.js';
import type { CallRecord, ExecutionRecord, WaitInfo } from '../store/types.js';
import { createCancelRequests } from './cancels.js';
import type { Schedule } from './crontab.js';
import type { JobQueue } from './job-queue.js';
import { createLeases, type Leases } from './leases.js';
import { scheduleTicks } from './scheduled-start.js';
import { enqueueResume } from './submit.js';
import { createWorkerBeats } from './worker-beats.js';

/** Options of `kitaru worker`. */
export interface WorkerOptions {
  store: Store;
  /** The database the store lives in (the queue's tables are beside the store's). */
  db: Database;
  queue: JobQueue;
  /** Executions run at once. @default 4 */
  concurrency?: number;
  /** How long a lease lasts without a heartbeat, in ms. @default 30000 */
  leaseMs?: number;
  /**
   * Sleeps longer than this (ms) park: the execution is recorded `waiting` and a job at the wake
   * time resumes it, on any worker. @default 30000
   */
  parkAfterMs?: number;
  /** The schedules of `kitaru.crontab` to keep, and the project root their flow files are in. */
  crontab?: { root: string; schedules: Schedule[] };
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
   * others back (queued again, for another worker to resume in place) without waiting for their
   * code: the process may exit at once.
   */
  stop(graceMs: number): Promise<void>;
}

/** One run of an execution by this worker, under one lease. */
interface Claim {
  execId: string;
  /** The lease token: renewed and released by it, so a later claim is never mistaken for this one. */
  token: string;
  /** The run ended (its outcome is recorded). */
  settled: boolean;
  /** Handed back or taken over by another worker: this run writes and waits for nothing more. */
  letGo: boolean;
  /** Resolves when the worker lets go of the run. */
  released: Promise<void>;
  release(): void;
  /** Resolves when the job that made this claim is done. */
  ended: Promise<void>;
  /** The run, once started. */
  handle?: ExecutionHandle;
  /** The run suspended: the times (wake times, deadlines) at which to take it up again. */
  wakeTimes?: string[];
  /** A cancel was requested (`kitaru cancel`): the run is cancelled, or will be once it starts. */
  cancelling?: boolean;
  /**
   * The run suspended at a wait whose answer was kept while it ran: the `kitaru input` that kept
   * it found the execution running and queued nothing, so this worker queues the resume.
   */
  answered?: boolean;
}

/**
 * Whether a worker taking up this execution resumes it, or starts it for the first time (queued,
 * no call recorded, no wait reached). Queued with waits: its resume was queued by an answer,
 * though it may have recorded no call yet.
 */
function isResume(record: ExecutionRecord, calls: CallRecord[]): boolean {
  return calls.length > 0 || record.status !== 'queued' || (record.waits ?? []).length > 0;
}

/** Starts a worker: takes queued executions, runs them under a lease, resumes lapsed ones. */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const { store, queue } = options;
  const leaseMs = options.leaseMs ?? 30_000;
  const concurrency = options.concurrency ?? 4;
  const parkAfterMs = options.parkAfterMs ?? 30_000;
  const say = options.onEvent ?? (() => {});
  const name = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const leases = createLeases(options.db, name, leaseMs, queue.jobSql);
  const claims = new Map<string, Claim>();
  const cancels = createCancelRequests(options.db);
  const beats = createWorkerBeats(options.db, name, leaseMs, queue);
  // Jobs wait for this worker's first heartbeat: a job it dies holding is then released (see worker-beats.ts).
  let beating!: { resolve: () => void; reject: (err: unknown) => void };
  const firstBeat = new Promise<void>((resolve, reject) => (beating = { resolve, reject }));
  firstBeat.catch(() => {});
  let stopping = false;

  /** Stops a run where it is: no more writes from it, and its job may end now. */
  function letGo(claim: Claim): void {
    claim.letGo = true;
    claim.handle?.abandon();
  }

  async function take(execId: string): Promise<void> {
    if (stopping) {
      await queue.enqueue(execId); // not ours to start any more: back in the queue
      return;
    }
    const current = claims.get(execId);
    if (current && !current.letGo) return; // this worker runs it already: a duplicate job
    if (current) await current.ended; // a run this worker let go of: let it finish unwinding
    await firstBeat;
    dieBeforeLeaseForTests();
    const token = await claimLease(execId);
    if (!token) return;
    let release!: () => void;
    let end!: () => void;
    const claim: Claim = {
      execId,
      token,
      settled: false,
      letGo: false,
      released: new Promise<void>((r) => (release = r)),
      release: () => release(),
      ended: new Promise<void>((r) => (end = r)),
    };
    claims.set(execId, claim);
    const beat = setInterval(() => {
      leases
        .renew(execId, token)
        .then((held) => {
          if (held) return honourCancel(claim);
          if (claim.letGo) return;
          // Another worker took it over (this one was silent past its lease): stop here.
          say(`execution ${execId}: lease lost to another worker; stopping it here`);
          letGo(claim);
          claim.release();
        })
        .catch((err) => say(`heartbeat for ${execId} failed: ${(err as Error).message}`));
    }, leaseMs / 3);
    try {
      await runClaimed(claim);
    } finally {
      clearInterval(beat);
      if (claims.get(execId) === claim) claims.delete(execId);
      try {
        if (!claim.letGo) await letGoOf(claim);
      } finally {
        end();
      }
    }
  }

  /** Cancels the run at the heartbeat after `kitaru cancel` asked for it, as Ctrl-C would. */
  async function honourCancel(claim: Claim): Promise<void> {
    if (claim.letGo || claim.cancelling || claim.settled) return;
    if (!(await cancels.requested(claim.execId))) return;
    claim.cancelling = true;
    say(`execution ${claim.execId}: cancel requested; cancelling it`);
    await claim.handle?.cancel('kitaru cancel');
  }

  /**
   * The lease's token, or null when this worker is not to run the execution: another worker holds
   * it (see `notClaimed`), or it is gone (deleted by gc since its job was queued: a wake time, a
   * deadline), and its job is dropped.
   */
  async function claimLease(execId: string): Promise<string | null> {
    let token: string | null;
    try {
      token = await leases.claim(execId);
    } catch (err) {
      const gone = await store.getExecution(execId).then(
        () => false,
        (e: { name?: string }) => e.name === 'KitaruNotFoundError',
      );
      if (!gone) throw err;
      say(`execution ${execId} no longer exists (deleted); its job is dropped`);
      return null;
    }
    if (!token) await notClaimed(execId);
    return token;
  }

  /**
   * A live worker holds the execution; its lease says so. One that has just recorded it waiting is
   * about to let go: a job for a waiting execution (an answer, a wake time) is tried again later.
   */
  async function notClaimed(execId: string): Promise<void> {
    if ((await store.getExecution(execId)).status === 'waiting') {
      throw new Error(`execution ${execId} is still leased by the worker that suspended it; trying later`);
    }
  }

  /** Releases the lease of a run that ended, or suspended (then with jobs for when to go on). */
  async function letGoOf(claim: Claim): Promise<void> {
    await leases.clearInflight(claim.execId);
    if (claim.cancelling) await cancels.forget(claim.execId);
    if (claim.wakeTimes) await leases.park(claim.execId, claim.token, claim.wakeTimes);
    else await leases.release(claim.execId, claim.token);
    if (claim.answered) {
      say(`execution ${claim.execId}: answered while it ran; its resume is queued`);
      await enqueueResume(store, claim.execId);
    }
  }

  /** Starts the flow of a claimed execution, resumed in place; null if it could not start. */
  async function startClaimed(
    claim: Claim,
    record: ExecutionRecord,
    calls: CallRecord[],
  ): Promise<ExecutionHandle | null> {
    const { execId } = claim;
    try {
      if (!record.flow.file) throw new Error(`execution ${execId} records no flow file`);
      const def = await findFlow(resolveFlowFile(store, record.flow.file), record.flow.name);
      const plan = record.replay
        ? planFromRecord(record.replay, await store.getCalls(record.replay.sourceExecId), calls)
        : undefined;
      if (claim.letGo) return null;
      return def.start({
        args: decodeValue(record.args) as unknown[],
        store,
        ...(plan ? { plan } : {}),
        resume: { record, calls, counts: isResume(record, calls) },
        parkAfterMs,
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
      return null;
    }
  }

  /** Says that the execution starts, or is resumed in place (then in its logs too). */
  async function announce(record: ExecutionRecord, calls: CallRecord[]): Promise<void> {
    const resumed = isResume(record, calls);
    if (resumed) {
      const text = `resumed in place by worker ${name} (${calls.filter((c) => c.status === 'completed').length} completed calls reused)`;
      await store.appendLogs(record.id, [{ at: new Date().toISOString(), stream: 'log', text }]);
    }
    say(`execution ${record.id} · flow ${record.flow.name} · ${resumed ? 'resumed' : 'started'}`);
  }

  async function runClaimed(claim: Claim): Promise<void> {
    const { execId } = claim;
    const record = await store.getExecution(execId);
    if (hasEnded(record.status)) return;
    const calls = await recordInterrupted(store, leases, record, await store.getCalls(execId));
    const handle = await startClaimed(claim, record, calls);
    if (!handle) return;
    claim.handle = handle;
    if (claim.letGo) handle.abandon();
    else if (claim.cancelling) void handle.cancel('kitaru cancel');
    handle.done.then(() => {
      claim.settled = true;
    });
    await announce(record, calls);
    // A run let go of is not waited for: its code may be inside a long call.
    const outcome = await Promise.race([handle.done, claim.released.then(() => null)]);
    if (!outcome || claim.letGo) return;
    if (outcome.status === 'waiting') {
      claim.wakeTimes = wakeTimesOf(outcome.waits);
      claim.answered = await answeredAlready(store, execId, outcome.waits);
    }
    say(`execution ${execId} ${outcome.status}`);
  }

  /**
   * At each tick: this worker's heartbeat; the jobs of workers whose heartbeat lapsed released (a
   * worker that died between taking a job and leasing its execution); expired leases reaped, each
   * execution queued again, to be resumed in place by whoever takes it.
   */
  async function tick(): Promise<void> {
    await beats.beat();
    for (const worker of await beats.reap()) say(`worker ${worker} stopped answering; its jobs are released`);
    for (const id of await leases.reap())
      say(`execution ${id}: its worker's lease expired; queued to resume`);
  }
  const reaper = setInterval(
    () => void tick().catch((err) => say(`lease check failed: ${(err as Error).message}`)),
    Math.min(5_000, leaseMs / 2),
  );

  /**
   * Hands back what is still running: stops each run where it is and queues it again; the next
   * worker records the interrupted attempts as it resumes the execution.
   */
  async function handBackAll(): Promise<void> {
    const handing: Promise<void>[] = [];
    for (const claim of claims.values()) {
      if (claim.letGo || claim.settled) continue;
      letGo(claim);
      handing.push(
        (async () => {
          try {
            await leases.handBack(claim.execId, claim.token);
            say(`execution ${claim.execId} handed back`);
          } finally {
            claim.release();
          }
        })(),
      );
    }
    await Promise.allSettled(handing);
  }

  let drained: Promise<void> | undefined;
  const ticks = options.crontab && scheduleTicks(store, options.db, queue, options.crontab, say);
  await queue.work(concurrency, take, ticks);
  try {
    await beats.beat();
    beating.resolve();
  } catch (err) {
    beating.reject(err);
    clearInterval(reaper);
    await queue.stop();
    throw err;
  }
  const kept = options.crontab ? ` · ${options.crontab.schedules.length} schedules` : '';
  say(`worker ${name} · concurrency ${concurrency} · lease ${leaseMs / 1000}s${kept} · ${store.location}`);

  return {
    name,
    get running() {
      return new Set([...claims.values()].filter((c) => !c.letGo).map((c) => c.execId));
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
 * Internal, for tests only: with `KITARU_TEST_DIE_BEFORE_LEASE=1` the worker SIGKILLs itself
 * right after graphile-worker hands it a job, before it claims the execution's lease (the window
 * that the worker heartbeats in `kitaru_workers` cover).
 */
function dieBeforeLeaseForTests(): void {
  if (process.env.KITARU_TEST_DIE_BEFORE_LEASE === '1') process.kill(process.pid, 'SIGKILL');
}

/** When a suspended execution has something to do without anyone answering: wake times, deadlines. */
/** Whether an answer is kept for one of the waits a run suspended at (read after it recorded them). */
async function answeredAlready(store: Store, execId: string, waits: WaitInfo[]): Promise<boolean> {
  const pending = new Set(waits.filter((w) => w.kind === 'wait').map((w) => w.id));
  if (pending.size === 0) return false;
  return (await store.getInputs(execId)).some((input) => pending.has(input.waitId));
}

function wakeTimesOf(waits: WaitInfo[]): string[] {
  const times = waits.flatMap((w) => [w.wakeAt, w.deadline]).filter((t): t is string => t !== null);
  return [...new Set(times)];
}

/**
 * Records, as failed, the attempts that the execution's last worker started and never finished
 * (it was killed, or handed the execution back mid-attempt); returns the calls as they now stand.
 */
async function recordInterrupted(
  store: Store,
  leases: Leases,
  record: ExecutionRecord,
  calls: CallRecord[],
): Promise<CallRecord[]> {
  const lost = await leases.interrupted(record.id, calls);
  if (lost.length === 0) return calls;
  const bySeq = new Map(calls.map((c) => [c.seq, c]));
  for (const { record: call, attempt, startedAt, owner } of lost) {
    const message =
      record.status === 'queued'
        ? `attempt interrupted: worker ${owner} stopped and handed the execution back`
        : `attempt interrupted: worker ${owner} stopped answering (its lease expired)`;
    call.attempts.push(
      interruptedAttempt(attempt, startedAt, { type: 'KitaruWorkerLostError', message, stack: null }),
    );
    call.status = 'failed';
    call.output = null;
    await store.writeCall(record.id, call);
    bySeq.set(call.seq, call);
  }
  await leases.clearInflight(record.id, true);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}
