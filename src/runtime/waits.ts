import { decodeValue, encodeValue, type Json } from '../serialization.js';
import type { StandardIssue, StandardSchemaV1 } from '../standard-schema.js';
import type { CallRecord, WaitInfo, WaitIssue } from '../store/types.js';
import { isoTime } from './clock.js';
import { applyDecision } from './run-checkpoint.js';
import type { RunState } from './run-state.js';
import { earlierStep, identifyStep, keepStep, recordStep, timeoutError } from './step-records.js';
import type { WaitRequest } from './types.js';

/** A promise that never settles: the flow body stays at a suspended wait in this process. */
export const never = new Promise<never>(() => {});

/** Starts a `wait()` call: ids and inputs are fixed now, in call order. */
export function startWait(run: RunState, request: WaitRequest): Promise<unknown> {
  try {
    const input = { question: request.question, metadata: request.metadata ?? null };
    const record = identifyStep(run, 'wait', request.name, input);
    return resolveWait(run, record, request);
  } catch (err) {
    return Promise.reject(err);
  }
}

async function resolveWait(run: RunState, record: CallRecord, request: WaitRequest): Promise<unknown> {
  const earlier = earlierStep(run, record);
  if (earlier) {
    if (earlier.status === 'completed') return decodeValue(earlier.output);
    throw timeoutError(run, record.id, earlier.deadline);
  }
  const reused = await reuseFromPlan(run, record, request.schema);
  if (reused.hit) return reused.value;
  const startedAt = isoTime();
  const deadline = deadlineOf(run, record.id, request);
  if (deadline !== null) record.deadline = deadline;
  const answered = await applyAnswer(run, record, request, startedAt);
  if (answered.hit) return answered.value;
  if (deadline !== null && Date.now() >= Date.parse(deadline)) {
    if (request.hasDefault) {
      record.resolution = 'default';
      await recordStep(
        run,
        record,
        encodeValue(request.default, 'default', `wait ${record.id}`),
        null,
        startedAt,
      );
      return request.default;
    }
    const error = timeoutError(run, record.id, deadline);
    record.resolution = 'timeout';
    await recordStep(run, record, null, error, startedAt);
    throw error;
  }
  suspend(run, waitInfo(run, record, request, deadline));
  return never;
}

type Hit = { hit: true; value: unknown } | { hit: false };

/**
 * A replay reuses the source's answer (or sleep) like a completed call's output. An override of a
 * wait's answer is validated by its schema: refused, it is listed like a refused answer and the
 * wait asks.
 */
export async function reuseFromPlan(
  run: RunState,
  record: CallRecord,
  schema: StandardSchemaV1 | null = null,
): Promise<Hit> {
  const kind = record.kind === 'sleep' ? 'sleep' : 'wait';
  const decision = run.plan?.decide(record.id, record.inputHash, kind);
  if (!decision || decision.kind === 'execute') {
    if (decision) record.reason = decision.reason;
    return { hit: false };
  }
  if (decision.kind === 'override') {
    const checked = await validate(schema, decodeValue(decision.value));
    if (!checked.ok) {
      run.rejected.set(record.id, { value: decision.value, issues: checked.issues });
      return { hit: false };
    }
    decision.value = encodeValue(checked.value, 'answer', `wait ${record.id}`);
    record.resolution = 'answer';
  } else {
    copyStepFields(record, decision.source);
  }
  applyDecision(run, record, decision);
  await keepStep(run, record, 0, 0);
  return { hit: true, value: decodeValue(record.output) };
}

/** A reused wait keeps how it ended; a reused sleep its wake time. */
function copyStepFields(record: CallRecord, source: CallRecord): void {
  if (source.resolution !== undefined) record.resolution = source.resolution;
  if (source.wakeAt !== undefined) record.wakeAt = source.wakeAt;
}

/** The wait's absolute deadline: as recorded when it was first reached, else from its timeout now. */
function deadlineOf(run: RunState, callId: string, request: WaitRequest): string | null {
  const prior = run.priorWaits.get(callId)?.deadline;
  if (prior) return prior;
  return request.timeoutMs === null ? null : isoTime(Date.now() + request.timeoutMs);
}

/** Applies an answer given to this wait, if any: validated by its schema, else refused and forgotten. */
async function applyAnswer(
  run: RunState,
  record: CallRecord,
  request: WaitRequest,
  startedAt: string,
): Promise<Hit> {
  const input = run.inputs.get(record.id);
  if (!input) return { hit: false };
  run.inputs.delete(record.id);
  const given = decodeValue(input.value);
  const checked = await validate(request.schema, given);
  if (!checked.ok) {
    run.rejected.set(record.id, { value: input.value, issues: checked.issues });
    await run.store.dropInput(run.execId, record.id);
    return { hit: false };
  }
  record.resolution = 'answer';
  await recordStep(run, record, encodeValue(checked.value, 'answer', `wait ${record.id}`), null, startedAt);
  return { hit: true, value: checked.value };
}

type Checked = { ok: true; value: unknown } | { ok: false; issues: WaitIssue[] };

/** Validates an answer with a Standard Schema (whose `validate` may return a promise). */
export async function validate(schema: StandardSchemaV1 | null, value: unknown): Promise<Checked> {
  if (!schema) return { ok: true, value };
  const result = await schema['~standard'].validate(value);
  if (result.issues) return { ok: false, issues: result.issues.map(issueRecord) };
  return { ok: true, value: result.value };
}

function issueRecord(issue: StandardIssue): WaitIssue {
  const path = (issue.path ?? [])
    .map((p) => String(typeof p === 'object' && p !== null && 'key' in p ? p.key : p))
    .join('.');
  return path ? { message: issue.message, path } : { message: issue.message };
}

function waitInfo(
  run: RunState,
  record: CallRecord,
  request: WaitRequest,
  deadline: string | null,
): WaitInfo {
  const input = record.input as { metadata: Json };
  const info: WaitInfo = {
    id: record.id,
    kind: 'wait',
    question: request.question,
    metadata: input.metadata,
    deadline,
    wakeAt: null,
    schema: jsonSchemaOf(request.schema),
  };
  const rejected = run.rejected.get(record.id);
  if (rejected) info.rejected = { value: rejected.value as Json, issues: rejected.issues };
  return info;
}

/** Lists a wait (or a parked sleep) reached without an answer, and tells the run to stop. */
export function suspend(run: RunState, info: WaitInfo): void {
  run.suspension.waits.push(info);
  if (!run.suspension.reached) run.suspension.reach();
}

type JsonSchemaSource = {
  '~standard'?: { jsonSchema?: { input?: (options: { target: string }) => unknown } };
  toJSONSchema?: () => unknown;
  toJsonSchema?: () => unknown;
};

/** The answer's JSON Schema, when the schema library offers one (Standard JSON Schema, or a method). */
export function jsonSchemaOf(schema: StandardSchemaV1 | null): Json {
  if (!schema) return null;
  const s = schema as JsonSchemaSource;
  try {
    const made =
      s['~standard']?.jsonSchema?.input?.({ target: 'draft-2020-12' }) ??
      s.toJSONSchema?.() ??
      s.toJsonSchema?.() ??
      null;
    return made === null ? null : (JSON.parse(JSON.stringify(made)) as Json);
  } catch {
    return null;
  }
}
