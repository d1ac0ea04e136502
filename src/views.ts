import type { Flow } from './flow.js';
import { decodeValue } from './serialization.js';
import { effectiveStatus } from './store/liveness.js';
import type {
  AttemptRecord,
  CallRecord,
  ExecutionRecord,
  ExecutionStatus,
  ExecutionSummaryRecord,
  WaitInfo,
} from './store/types.js';

/** One attempt of a call. */
export interface AttemptView extends AttemptRecord {
  durationMs: number;
}

/** One call of an execution. */
export interface CheckpointView
  extends Pick<CallRecord, 'id' | 'name' | 'type' | 'status' | 'origin' | 'reason' | 'sourceExecId'> {
  /** A checkpoint, a wait or a sleep. */
  kind: 'checkpoint' | 'wait' | 'sleep';
  /** A sleep's wake time, a wait's deadline (ISO), when there is one. */
  wakeAt: string | null;
  deadline: string | null;
  /**
   * Where a sleep is: `sleeping` (reached, not yet woken: held, or parked until its wake time),
   * `slept` (woken; its attempt's times are the time it slept), `interrupted` (the execution ended
   * before it woke); null for other calls.
   */
  sleep: SleepState | null;
  /** How a wait ended (`answer`, `default`, `timeout`); null for other calls. */
  resolution: 'answer' | 'default' | 'timeout' | null;
  /** The call's arguments, as an array. */
  input: unknown;
  output: unknown;
  attempts: AttemptView[];
}

/** Where a sleep is (see `CheckpointView.sleep`). */
export type SleepState = 'sleeping' | 'slept' | 'interrupted';

/**
 * A sleep's record is written when it is reached (its wake time, so that nothing restarts it) and
 * again when it wakes (its attempt ending then): one whose attempt ended before its wake time has
 * not woken yet.
 */
export function sleepState(c: CallRecord, execution: ExecutionStatus): SleepState | null {
  if (c.kind !== 'sleep') return null;
  const endedAt = c.attempts[c.attempts.length - 1]?.endedAt;
  if (c.origin !== 'executed' || !c.wakeAt || !endedAt || endedAt >= c.wakeAt) return 'slept';
  if (execution === 'completed') return 'slept'; // recorded before sleeps recorded their waking
  return execution === 'failed' || execution === 'cancelled' ? 'interrupted' : 'sleeping';
}

/** An execution without its calls, as `list` shows it. */
export interface ExecutionSummary
  extends Pick<
    ExecutionRecord,
    'id' | 'error' | 'originalExecId' | 'replay' | 'flowAttempts' | 'host' | 'createdAt' | 'endedAt'
  > {
  flow: Pick<ExecutionRecord['flow'], 'name' | 'file'>;
  /** As stored, or `crashed` for a running execution whose process is gone. */
  status: ExecutionStatus;
  args: unknown;
  output: unknown;
  durationMs: number | null;
  checkpointCount: number;
  /** The waits (and parked sleeps) a `waiting` execution is suspended at; else empty. */
  waits: WaitInfo[];
  /** How many times the execution was resumed in place. */
  resumes: number;
  /** Queue mode: workers run it and every resume of it. */
  queue: boolean;
}

/** An execution without its calls or their count (what a run prints at its end). */
export type ExecutionHead = Omit<ExecutionSummary, 'checkpointCount'>;

/** An execution with every call and attempt. */
export interface Execution extends ExecutionHead {
  checkpoints: CheckpointView[];
}

/**
 * An execution of a known flow, from `client.executions.get<typeof myFlow>(id)`: `args` are the
 * flow's parameters and, once `status` is `completed`, `output` is its result (else null). The
 * types are taken on trust: nothing checks at run time that the execution is of that flow.
 */
export type ExecutionOf<F extends Flow<never, unknown>> = Omit<Execution, 'args' | 'output' | 'status'> & {
  args: Parameters<F>;
} & (
    | { status: 'completed'; output: Awaited<ReturnType<F>> }
    | { status: Exclude<ExecutionStatus, 'completed'>; output: null }
  );

const keep = (v: unknown) => v;

function ms(from: string, to: string | null): number | null {
  if (to === null) return null;
  // Most attempts of small checkpoints start and end in the same millisecond: no parse then.
  return to === from ? 0 : Date.parse(to) - Date.parse(from);
}

function attemptView(a: AttemptRecord): AttemptView {
  return { ...a, durationMs: ms(a.startedAt, a.endedAt) ?? 0 };
}

/** A call as the client (`decode`) or the CLI's JSON (stored encoding) shows it. */
export function checkpointView(c: CallRecord, decode: boolean, execution?: ExecutionStatus): CheckpointView {
  return {
    id: c.id,
    name: c.name,
    type: c.type,
    status: c.status,
    origin: c.origin,
    reason: c.reason,
    sourceExecId: c.sourceExecId,
    kind: c.kind ?? 'checkpoint',
    wakeAt: c.wakeAt ?? null,
    deadline: c.deadline ?? null,
    sleep: sleepState(c, execution ?? 'completed'),
    resolution: c.resolution ?? null,
    input: (decode ? decodeValue : keep)(c.input),
    output: (decode ? decodeValue : keep)(c.output),
    attempts: c.attempts.map(attemptView),
  };
}

/** An execution without its calls (what a run prints at its end). */
export function headView(r: ExecutionRecord, decode: boolean): ExecutionHead {
  const value = decode ? decodeValue : keep;
  return {
    id: r.id,
    flow: { name: r.flow.name, file: r.flow.file },
    status: effectiveStatus(r),
    args: value(r.args),
    output: value(r.output),
    error: r.error,
    originalExecId: r.originalExecId,
    replay: r.replay,
    flowAttempts: r.flowAttempts,
    host: r.host,
    createdAt: r.createdAt,
    endedAt: r.endedAt,
    durationMs: ms(r.createdAt, r.endedAt),
    // Queued with waits: an answer queued its resume; the waits stay listed until a worker applies it.
    waits: r.status === 'waiting' || r.status === 'queued' ? (r.waits ?? []) : [],
    resumes: r.resumes ?? 0,
    queue: r.queue === true,
  };
}

/** An execution summary. */
export function summaryView(r: ExecutionSummaryRecord, decode: boolean): ExecutionSummary {
  return { ...headView(r, decode), checkpointCount: r.checkpointCount };
}

/** A whole execution. */
export function executionView(r: ExecutionRecord, calls: CallRecord[], decode: boolean): Execution {
  const head = headView(r, decode);
  return { ...head, checkpoints: calls.map((c) => checkpointView(c, decode, head.status)) };
}
