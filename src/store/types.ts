import type * as v from 'valibot';
import type {
  attemptSchema,
  callOriginSchema,
  callReasonSchema,
  callSchema,
  callStatusSchema,
  executionSchema,
  inputSchema,
  logEntrySchema,
  replaySchema,
  storedStatusSchema,
  waitInfoSchema,
  waitIssueSchema,
} from './record-schemas.js';

// The record types are inferred from the schemas in record-schemas.ts, so each shape is written once.

/** Version of every document the store writes. */
export const SCHEMA_VERSION = 2;

/** Status of an execution; `crashed` is never written, it is worked out when read. */
export type ExecutionStatus = v.InferOutput<typeof storedStatusSchema> | 'crashed';
/** Status of a call or an attempt. */
export type CallStatus = v.InferOutput<typeof callStatusSchema>;
/** Where a call's result came from. */
export type CallOrigin = v.InferOutput<typeof callOriginSchema>;
/** Why an executed call ran. */
export type CallReason = v.InferOutput<typeof callReasonSchema>;

/** A wait or sleep a `waiting` execution is suspended at. */
export type WaitInfo = v.InferOutput<typeof waitInfoSchema>;
/** A schema's objection to an answer. */
export type WaitIssue = v.InferOutput<typeof waitIssueSchema>;
/** An answer given to a wait, kept until the wait applies it. */
export type InputRecord = v.InferOutput<typeof inputSchema>;

/** The replay plan an execution was started with. */
export type ReplayRecord = v.InferOutput<typeof replaySchema>;

/** `execution.json`. Values (`args`, `output`) are in the store encoding. */
export type ExecutionRecord = v.InferOutput<typeof executionSchema>;

/** One captured log line or structured `log()` entry. */
export type LogEntry = v.InferOutput<typeof logEntrySchema>;

/** One attempt of a call. */
export type AttemptRecord = v.InferOutput<typeof attemptSchema>;

/**
 * `checkpoints/<seq>-<call-id>.json`: one call of an execution. For reused and overridden calls
 * `sourceExecId` is the execution whose result this is; for reused calls `sourceSeq` is the
 * call's position there.
 */
export type CallRecord = v.InferOutput<typeof callSchema>;

/** An execution record with its number of calls, as `list` shows it. */
export type ExecutionSummaryRecord = ExecutionRecord & { checkpointCount: number };
