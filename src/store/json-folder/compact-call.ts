import { type CallRecord, SCHEMA_VERSION } from '../types.js';

// A call's journal line leaves out the fields that hold their usual value (a small checkpoint's
// line is 170 bytes instead of 400): parsing a journal, on every replay and resume, costs in
// proportion to its bytes. Reading puts them back. Lines written whole (before) read as they are.

/** Where the `_<n>` suffix of a call id starts, or -1 when it has none (`name`). */
function suffixAt(id: string): number {
  const at = id.lastIndexOf('_');
  if (at < 1 || at === id.length - 1) return -1;
  for (let i = at + 1; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
  }
  return at;
}

/** The checkpoint name a call id comes from when it was not given: `name` or `name_<n>`. */
function nameOf(id: string): string {
  const at = suffixAt(id);
  return at < 0 ? id : id.slice(0, at);
}

/** Whether `name` is `nameOf(id)`, compared in place. */
export function isNameOf(name: string, id: string): boolean {
  const at = suffixAt(id);
  return at < 0 ? name === id : name.length === at && id.startsWith(name);
}

export function isDefaultAttemptField(
  a: Record<string, unknown>,
  key: string,
  value: unknown,
  index: number,
): boolean {
  switch (key) {
    case 'attempt':
      return value === index + 1;
    case 'status':
      return value === 'completed';
    case 'endedAt':
      return value === a.startedAt;
    case 'error':
      return value === null;
    case 'logs':
      return Array.isArray(value) && value.length === 0;
    default:
      return false;
  }
}

function compactAttempt(a: Record<string, unknown>, index: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in a) if (!isDefaultAttemptField(a, key, a[key], index)) out[key] = a[key];
  return out;
}

/** What goes on a call's journal line: the record without the fields at their usual value. */
export function compactCall(record: CallRecord): Record<string, unknown> {
  const r = record as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key in r) {
    const value = r[key];
    if (isDefaultCallField(record, key, value)) continue;
    out[key] = key === 'attempts' ? record.attempts.map((a, i) => compactAttempt(a, i)) : value;
  }
  return out;
}

/** Whether a call's field holds its usual value (a switch: this runs for every field written). */
export function isDefaultCallField(record: CallRecord, key: string, value: unknown): boolean {
  switch (key) {
    case 'schemaVersion':
      return value === SCHEMA_VERSION;
    case 'type':
    case 'sourceExecId':
    case 'sourceSeq':
      return value === null;
    case 'status':
      return value === 'completed';
    case 'origin':
      return value === 'executed';
    case 'reason':
      return value === 'new';
    case 'name':
      return typeof value === 'string' && isNameOf(value, record.id);
    default:
      return false;
  }
}

/**
 * A call's journal line made whole again: the fields left out get their usual value. A line
 * written whole (it has `schemaVersion`) is returned as it is.
 */
export function expandCall(rec: Record<string, unknown>): Record<string, unknown> {
  if (rec.schemaVersion !== undefined) return rec;
  // A new object with every field, not the parsed one grown field by field: V8 would give each
  // record (and attempt) a growing out-of-object property store, and a journal has thousands.
  const id = rec.id;
  const out: Record<string, unknown> = {
    schemaVersion: SCHEMA_VERSION,
    seq: rec.seq,
    id,
    name: rec.name === undefined && typeof id === 'string' ? nameOf(id) : rec.name,
    type: orDefault(rec.type, null),
    status: orDefault(rec.status, 'completed'),
    origin: orDefault(rec.origin, 'executed'),
    reason: orDefault(rec.reason, 'new'),
    sourceExecId: orDefault(rec.sourceExecId, null),
    sourceSeq: orDefault(rec.sourceSeq, null),
    inputHash: rec.inputHash,
    input: rec.input,
    output: rec.output,
    attempts: Array.isArray(rec.attempts) ? rec.attempts.map(expandAttempt) : rec.attempts,
  };
  for (const key in rec) if (!(key in out)) out[key] = rec[key];
  // Fields a line did not have stay absent, as they were (a check names them missing).
  if (rec.seq === undefined) delete out.seq;
  if (rec.id === undefined) delete out.id;
  if (out.name === undefined) delete out.name;
  if (rec.inputHash === undefined) delete out.inputHash;
  if (rec.input === undefined) delete out.input;
  if (rec.output === undefined) delete out.output;
  if (rec.attempts === undefined) delete out.attempts;
  return out;
}

function orDefault(value: unknown, usual: unknown): unknown {
  return value === undefined ? usual : value;
}

function expandAttempt(a: unknown, index: number): unknown {
  if (typeof a !== 'object' || a === null) return a;
  const at = a as Record<string, unknown>;
  const out: Record<string, unknown> = {
    attempt: at.attempt ?? index + 1,
    status: at.status ?? 'completed',
    startedAt: at.startedAt,
    endedAt: at.endedAt ?? at.startedAt,
    error: at.error ?? null,
    logs: at.logs ?? [],
  };
  for (const key in at) if (!(key in out)) out[key] = at[key];
  if (at.startedAt === undefined) delete out.startedAt;
  if (out.endedAt === undefined) delete out.endedAt;
  return out;
}
