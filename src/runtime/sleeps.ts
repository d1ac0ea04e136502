import type { CallRecord } from '../store/types.js';
import { isoTime } from './clock.js';
import type { RunState } from './run-state.js';
import { earlierStep, identifyStep, recordStep } from './step-records.js';
import { writeCall } from './store-writes.js';
import type { SleepRequest } from './types.js';
import { never, reuseFromPlan, suspend } from './waits.js';

/** Starts a `sleep()` call; its wake time is recorded when it is first reached, then held to. */
export function startSleep(run: RunState, request: SleepRequest): Promise<null> {
  try {
    const record = identifyStep(run, 'sleep', request.name, []);
    return resolveSleep(run, record, request);
  } catch (err) {
    return Promise.reject(err);
  }
}

async function resolveSleep(run: RunState, record: CallRecord, request: SleepRequest): Promise<null> {
  // Tracked until the wake time is recorded: a run suspending meanwhile lists the sleep, not loses it.
  const fixing = wakeTimeOf(run, record, request);
  run.pending.add(fixing);
  const forget = () => run.pending.delete(fixing);
  fixing.then(forget, forget);
  const wakeAt = await fixing;
  if (wakeAt === null) return null;
  await holdUntil(run, record.id, wakeAt);
  await recordWoken(run, record.id, wakeAt);
  return null;
}

/**
 * Writes the sleep's record again once it has woken, its attempt ending now: the record written
 * when it was reached ends then, before its wake time (readers show such a sleep as sleeping).
 */
async function recordWoken(run: RunState, callId: string, wakeAt: string): Promise<void> {
  const stored = run.waitRecords.get(callId);
  const attempt = stored?.attempts[stored.attempts.length - 1];
  if (stored?.origin !== 'executed' || !attempt || attempt.endedAt >= wakeAt) return;
  const now = isoTime();
  attempt.endedAt = now < wakeAt ? wakeAt : now; // a timer may fire a millisecond early
  const written = writeCall(run, stored);
  if (written) await written;
}

/**
 * The sleep's wake time: as recorded, else fixed and recorded now. A replay reuses the source's
 * (an elapsed sleep returns at once); a sleep at or after `--from` sleeps again from now.
 */
async function wakeTimeOf(run: RunState, record: CallRecord, request: SleepRequest): Promise<string | null> {
  const recorded = earlierStep(run, record)?.wakeAt;
  if (recorded !== undefined) return recorded;
  if ((await reuseFromPlan(run, record)).hit) return record.wakeAt ?? null;
  const startedAt = isoTime();
  const wakeAt = isoTime(request.until ? request.until.getTime() : Date.now() + (request.ms ?? 0));
  record.wakeAt = wakeAt;
  await recordStep(run, record, null, null, startedAt);
  return wakeAt;
}

/**
 * Holds until `wakeAt` (at once if it has passed). If the run suspends meanwhile, the sleep stops
 * holding the process and is listed among the execution's waits; a resume takes it up again.
 */
function holdUntil(run: RunState, callId: string, wakeAt: string): Promise<void> {
  const ms = Date.parse(wakeAt) - Date.now();
  if (ms <= 0) return Promise.resolve();
  const info = {
    id: callId,
    kind: 'sleep' as const,
    question: null,
    metadata: null,
    deadline: null,
    wakeAt,
    schema: null,
  };
  if (run.parkAfterMs !== undefined && ms > run.parkAfterMs) {
    // Parked: the run suspends here, and the sleep is listed with its wake time.
    suspend(run, info);
    return never;
  }
  const { sleeping } = run.suspension;
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      sleeping.delete(callId);
      resolve();
    }, ms);
    sleeping.set(callId, { info, timer });
  });
}
