import * as v from 'valibot';
import { errorRecordSchema } from '../errors.js';
import type { Json } from '../serialization.js';

// The documents the store writes, each shape written once: the record types (types.ts) are
// inferred from these schemas, and the JSON-folder store checks what it reads against them.

/** A value in the store encoding: it came out of JSON.parse, so anything but absent is JSON. */
const json = v.custom<Json>((value) => value !== undefined);

/** Statuses an execution document can hold (`crashed` is worked out when read, never written). */
export const storedStatusSchema = v.picklist(['queued', 'running', 'completed', 'failed', 'cancelled']);
/** Status of a call or an attempt. */
export const callStatusSchema = v.picklist(['completed', 'failed']);
/** Where a call's result came from. */
export const callOriginSchema = v.picklist(['executed', 'reused', 'overridden']);
/** Why an executed call ran. */
export const callReasonSchema = v.picklist(['new', 'from', 'inputs-changed', 'not-completed']);

/** The replay plan an execution was started with. */
export const replaySchema = v.object({
  sourceExecId: v.string(),
  from: v.optional(v.string()),
  overrides: v.record(v.string(), json),
  args: v.optional(json),
  unusedOverrides: v.array(v.string()),
});

/** `execution.json`. */
export const executionSchema = v.object({
  schemaVersion: v.number(),
  id: v.string(),
  flow: v.object({ name: v.string(), file: v.nullable(v.string()), sourceHash: v.nullable(v.string()) }),
  status: storedStatusSchema,
  args: json,
  output: json,
  error: v.nullable(errorRecordSchema),
  originalExecId: v.nullable(v.string()),
  replay: v.nullable(replaySchema),
  pid: v.number(),
  host: v.string(),
  createdAt: v.string(),
  endedAt: v.nullable(v.string()),
  flowAttempts: v.number(),
  /** How many calls the execution recorded (format 2, when it ends). */
  callCount: v.optional(v.number()),
});

/** One line of `logs.jsonl`, and the logs of an attempt. */
export const logEntrySchema = v.object({
  at: v.string(),
  callId: v.optional(v.string()),
  attempt: v.optional(v.number()),
  stream: v.picklist(['stdout', 'stderr', 'log']),
  text: v.optional(v.string()),
  fields: v.optional(json),
});

/** One attempt of a call. */
export const attemptSchema = v.object({
  attempt: v.number(),
  status: callStatusSchema,
  startedAt: v.string(),
  endedAt: v.string(),
  error: v.nullable(errorRecordSchema),
  logs: v.array(logEntrySchema),
});

/** `checkpoints/<seq>-<call-id>.json`, and a whole-call line of `calls.jsonl`. */
export const callSchema = v.object({
  schemaVersion: v.number(),
  seq: v.number(),
  id: v.string(),
  name: v.string(),
  type: v.nullable(v.string()),
  status: callStatusSchema,
  origin: callOriginSchema,
  reason: v.nullable(callReasonSchema),
  sourceExecId: v.nullable(v.string()),
  sourceSeq: v.nullable(v.number()),
  inputHash: v.string(),
  input: json,
  output: json,
  attempts: v.array(attemptSchema),
});
