import * as v from 'valibot';
import { errorRecordSchema } from '../errors.js';
import type { Json } from '../serialization.js';

// The documents the store writes, each shape written once: the record types (types.ts) are
// inferred from these schemas, and the JSON-folder store checks what it reads against them.

/** A value in the store encoding: it came out of JSON.parse, so anything but absent is JSON. */
const json = v.custom<Json>((value) => value !== undefined);

/** Statuses an execution document can hold (`crashed` is worked out when read, never written). */
export const storedStatusSchema = v.picklist([
  'queued',
  'running',
  'waiting',
  'completed',
  'failed',
  'cancelled',
]);
/** Status of a call or an attempt. */
export const callStatusSchema = v.picklist(['completed', 'failed']);
/** Where a call's result came from. */
export const callOriginSchema = v.picklist(['executed', 'reused', 'overridden']);
/** What a call is. */
export const callKindSchema = v.picklist(['checkpoint', 'wait', 'sleep']);
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

/** A schema's objection to an answer. */
export const waitIssueSchema = v.object({ message: v.string(), path: v.optional(v.string()) });

/** A wait or sleep an execution is suspended at (its record's `waits`). */
export const waitInfoSchema = v.object({
  id: v.string(),
  kind: v.picklist(['wait', 'sleep']),
  question: v.nullable(v.string()),
  metadata: json,
  /** ISO time past which an unanswered wait times out, or null. */
  deadline: v.nullable(v.string()),
  /** ISO time a sleep ends, or null. */
  wakeAt: v.nullable(v.string()),
  /** The answer's JSON Schema, when the schema library offers one. */
  schema: json,
  /** The last answer the schema refused, with its issues. */
  rejected: v.optional(v.object({ value: json, issues: v.array(waitIssueSchema) })),
});

/** An answer given to a wait (`kitaru input`), before the wait applies it. */
export const inputSchema = v.object({
  waitId: v.string(),
  value: json,
  at: v.string(),
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
  /** The waits and sleeps a `waiting` execution is suspended at. */
  waits: v.optional(v.array(waitInfoSchema)),
  /** How many times the execution was resumed in place. */
  resumes: v.optional(v.number()),
  /** Queue mode: submitted for workers, who run every resume of it (`run --queue`). */
  queue: v.optional(v.boolean()),
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
  /** What the call is; absent (older records) means `checkpoint`. */
  kind: v.optional(callKindSchema),
  /** A sleep's wake time (ISO). */
  wakeAt: v.optional(v.string()),
  /** A wait's deadline (ISO), when it has a timeout. */
  deadline: v.optional(v.string()),
  /** How a wait ended: with an answer, its default past the deadline, or a timeout error. */
  resolution: v.optional(v.picklist(['answer', 'default', 'timeout'])),
});
