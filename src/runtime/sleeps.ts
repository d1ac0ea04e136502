import type { CallRecord } from '../store/types.js';
import { isoTime } from './clock.js';
import type { RunState } from './run-state.js';
import { earlierStep, identifyStep, recordStep } from './step-records.js';
import type { SleepRequest } from './types.js';
import { reuseFromPlan } from './waits.js';

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
  let wakeAt = earlierStep(run, record)?.wakeAt;
  if (wakeAt === undefined) {
    if ((await reuseFromPlan(run, record)).hit) return null;
    const startedAt = isoTime();
    wakeAt = isoTime(request.until ? request.until.getTime() : Date.now() + (request.ms ?? 0));
    record.wakeAt = wakeAt;
    await recordStep(run, record, null, null, startedAt);
  }
  await holdUntil(run, record.id, wakeAt);
  return null;
}

/**
 * Holds until `wakeAt` (at once if it has passed). If the run suspends meanwhile, the sleep stops
 * holding the process and is listed among the execution's waits; a resume takes it up again.
 */
function holdUntil(run: RunState, callId: string, wakeAt: string): Promise<void> {
  const ms = Date.parse(wakeAt) - Date.now();
  if (ms <= 0) return Promise.resolve();
  const { sleeping } = run.suspension;
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      sleeping.delete(callId);
      resolve();
    }, ms);
    const info = {
      id: callId,
      kind: 'sleep' as const,
      question: null,
      metadata: null,
      deadline: null,
      wakeAt,
      schema: null,
    };
    sleeping.set(callId, { info, timer });
  });
}
