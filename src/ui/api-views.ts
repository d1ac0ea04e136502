import { callDurationMs, type ExecutionDiff } from '../diff.js';
import type { CallRecord, ExecutionStatus, WaitIssue } from '../store/types.js';
import type { CheckpointView, ExecutionHead, ExecutionSummary } from '../views.js';

// What the page's JSON API answers, one type per route; the page (ui/) checks its code against these.

/** An attempt on the timeline: start and end (ms from the execution's start), 1 if it completed. */
export type TimelineSpan = [startMs: number, endMs: number, completed: 0 | 1];

/** One call on the timeline: id, status, origin and its attempts. */
export type TimelineRow = [id: string, status: string, origin: string, spans: TimelineSpan[]];

/** A call as the calls table lists it: no input, output, logs or stacks (those come with the call). */
export interface CallSummary extends Omit<CheckpointView, 'input' | 'output' | 'attempts'> {
  attempts: number;
  startedAt: string | null;
  durationMs: number | null;
  error: { type: string; message: string } | null;
}

/** One call with everything: its arguments as stored, their hash, and its place in call order. */
export interface CallDetail extends CheckpointView {
  inputHash: string;
  seq: number;
}

/** `GET /api/executions?flow=&status=&limit=`: the newest executions, filtered. */
export interface ListResponse {
  executions: ExecutionSummary[];
  /** How many matched, of which `executions` is the newest `limit`. */
  total: number;
  /** Every flow name among the executions looked at, for the filter. */
  flows: string[];
  warnings: string[];
}

/** `GET /api/executions/<id>?offset=&limit=&timeline=0`: one execution and a page of its calls. */
export interface ExecutionPageResponse {
  execution: ExecutionHead;
  total: number;
  offset: number;
  calls: CallSummary[];
  /** Every call on the timeline; null when asked with `timeline=0`. */
  timeline: TimelineRow[] | null;
}

/** `GET /api/executions/<id>/calls/<call-id>`. */
export interface CallResponse {
  call: CallDetail;
}

/** `POST /api/executions/<id>/replay`: what to run again and what to override. */
export interface ReplayRequest {
  from?: string;
  /** `{"checkpoint.<call-id>": value, "wait.<wait-id>": answer}` */
  overrides?: Record<string, unknown>;
}

/** The answer to a replay request: the new execution, started. */
export interface ReplayResponse {
  execId: string;
  warnings: string[];
}

/** `POST /api/executions/<id>/waits/<wait-id>/input`: the answer to a pending wait. */
export interface InputRequest {
  value: unknown;
}

/**
 * The answer to an input request: kept and applied, the execution resumed in the server's process.
 * `status` is how it stands once the wait took the answer (`running` while the rest still runs).
 */
export interface InputResponse {
  execId: string;
  status: ExecutionStatus;
}

/** `POST /api/executions/<id>/cancel`: the execution, once recorded cancelled. */
export interface CancelResponse {
  execId: string;
  status: ExecutionStatus;
}

/** An input request whose answer the wait's schema refused (400): the schema's issues. */
export interface InputRefusedResponse extends ErrorResponse {
  issues: WaitIssue[];
}

/** `GET /api/diff?a=&b=`. */
export interface DiffResponse {
  diff: ExecutionDiff;
}

/** Any route's answer when it fails (4xx, 5xx). */
export interface ErrorResponse {
  error: { type: string; message: string };
}

/** The timeline of an execution that started at `createdAt`. */
export function timelineOf(createdAt: string, calls: CallRecord[]): TimelineRow[] {
  const t0 = Date.parse(createdAt);
  return calls.map((c) => [
    c.id,
    c.status,
    c.origin,
    c.attempts.map((a) => [
      Date.parse(a.startedAt) - t0,
      Date.parse(a.endedAt) - t0,
      a.status === 'completed' ? 1 : 0,
    ]),
  ]);
}

/** A call as the calls table lists it. */
export function summaryOf(c: CheckpointView): CallSummary {
  const { input: _input, output: _output, attempts, ...fields } = c;
  const last = attempts[attempts.length - 1];
  return {
    ...fields,
    attempts: attempts.length,
    startedAt: attempts[0]?.startedAt ?? null,
    durationMs: callDurationMs(c),
    error: last?.error ? { type: last.error.type, message: last.error.message } : null,
  };
}
