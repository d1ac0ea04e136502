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
function isNameOf(name: string, id: string): boolean {
  const at = suffixAt(id);
  return at < 0 ? name === id : name.length === at && id.startsWith(name);
}

function isDefaultAttemptField(
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
function isDefaultCallField(record: CallRecord, key: string, value: unknown): boolean {
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

/** `"key":` for the fields a call and its attempts have; other keys are quoted by JSON.stringify. */
const KEY_TEXT = new Map(
  [
    ...['schemaVersion', 'seq', 'id', 'name', 'type', 'status', 'origin', 'reason', 'sourceExecId'],
    ...['sourceSeq', 'inputHash', 'input', 'output', 'attempts', 'kind', 'wakeAt', 'deadline'],
    ...['resolution', 'attempt', 'startedAt', 'endedAt', 'error', 'logs'],
  ].map((k) => [k, `"${k}":`]),
);

function keyText(key: string): string {
  return KEY_TEXT.get(key) ?? `${JSON.stringify(key)}:`;
}

/**
 * A call's journal line: the JSON of `compactCall(record)` with `"t":"<t>"` as its last field,
 * built without the compact copies of the record and its attempts. This runs for every call an
 * execution writes (JSON.stringify of the compact copy cost about 0.9 µs a call, this 0.3 µs).
 */
export function compactCallLine(record: CallRecord, t: string): string {
  return usualCallLine(record, t) ?? anyCallLine(record, t);
}

function anyCallLine(record: CallRecord, t: string): string {
  const r = record as unknown as Record<string, unknown>;
  let out = '{';
  for (const key in r) {
    const value = r[key];
    if (value === undefined || typeof value === 'function' || isDefaultCallField(record, key, value))
      continue;
    out += `${keyText(key)}${key === 'attempts' ? attemptsText(record.attempts) : JSON.stringify(value)},`;
  }
  return `${out}"t":"${t}"}`;
}

function attemptsText(attempts: CallRecord['attempts']): string {
  let out = '[';
  for (let i = 0; i < attempts.length; i++) {
    if (i > 0) out += ',';
    out += attemptText(attempts[i] as unknown as Record<string, unknown>, i);
  }
  return `${out}]`;
}

function attemptText(a: Record<string, unknown>, index: number): string {
  if (typeof a !== 'object' || a === null) return '{}';
  let out = '';
  for (const key in a) {
    const value = a[key];
    if (value === undefined || typeof value === 'function' || isDefaultAttemptField(a, key, value, index))
      continue;
    out += `${out === '' ? '' : ','}${keyText(key)}${JSON.stringify(value)}`;
  }
  return `{${out}}`;
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

/** The fields of a call record as the runtime makes it (`newRecord`), in its order. */
const CALL_FIELDS = 14;
const ATTEMPT_FIELDS = 6;

function ownKeyCount(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

/**
 * The line of a call with exactly the usual fields (none undefined, no others: wait and sleep
 * fields, or a later kitaru's), its values scalars or lists of scalars but its output; null for
 * any other record, which `anyCallLine` writes.
 */
function usualCallLine(record: CallRecord, t: string): string | null {
  const { schemaVersion, seq, id, name, type, status, origin, reason, sourceExecId, sourceSeq } = record;
  const { inputHash, input, output, attempts } = record;
  if (
    schemaVersion === undefined ||
    typeof id !== 'string' ||
    typeof name !== 'string' ||
    type === undefined ||
    status === undefined ||
    origin === undefined ||
    reason === undefined ||
    sourceExecId === undefined ||
    sourceSeq === undefined ||
    inputHash === undefined ||
    input === undefined ||
    output === undefined ||
    !Array.isArray(attempts) ||
    ownKeyCount(record) !== CALL_FIELDS
  )
    return null;
  const tried = usualAttemptsText(attempts);
  if (tried === null) return null;
  let out = schemaVersion === SCHEMA_VERSION ? '{' : `{"schemaVersion":${valueText(schemaVersion)},`;
  out += `"seq":${valueText(seq)},"id":${valueText(id)},`;
  if (!isNameOf(name, id)) out += `"name":${valueText(name)},`;
  if (type !== null) out += `"type":${valueText(type)},`;
  if (status !== 'completed') out += `"status":${valueText(status)},`;
  if (origin !== 'executed') out += `"origin":${valueText(origin)},`;
  if (reason !== 'new') out += `"reason":${valueText(reason)},`;
  if (sourceExecId !== null) out += `"sourceExecId":${valueText(sourceExecId)},`;
  if (sourceSeq !== null) out += `"sourceSeq":${valueText(sourceSeq)},`;
  return `${out}"inputHash":${valueText(inputHash)},"input":${valueText(input)},"output":${valueText(output)},"attempts":${tried},"t":"${t}"}`;
}

/** The attempts' text when each has exactly the usual fields, else null. */
function usualAttemptsText(attempts: CallRecord['attempts']): string | null {
  let out = '[';
  for (let i = 0; i < attempts.length; i++) {
    const text = usualAttemptText(attempts[i] as unknown as Record<string, unknown>, i);
    if (text === null) return null;
    out += i > 0 ? `,${text}` : text;
  }
  return `${out}]`;
}

/** Whether an attempt has the usual fields, and no others. */
function isUsualAttempt(a: Record<string, unknown>): boolean {
  return (
    typeof a === 'object' &&
    a !== null &&
    a.attempt !== undefined &&
    a.status !== undefined &&
    a.startedAt !== undefined &&
    a.endedAt !== undefined &&
    a.error !== undefined &&
    a.logs !== undefined &&
    ownKeyCount(a) === ATTEMPT_FIELDS
  );
}

function usualAttemptText(a: Record<string, unknown>, index: number): string | null {
  if (!isUsualAttempt(a)) return null;
  const { attempt, status, startedAt, endedAt, error, logs } = a;
  let text = attempt === index + 1 ? '' : `,"attempt":${valueText(attempt)}`;
  if (status !== 'completed') text += `,"status":${valueText(status)}`;
  text += `,"startedAt":${valueText(startedAt)}`;
  if (endedAt !== startedAt) text += `,"endedAt":${valueText(endedAt)}`;
  if (error !== null) text += `,"error":${valueText(error)}`;
  if (!Array.isArray(logs) || logs.length > 0) text += `,"logs":${valueText(logs)}`;
  return `{${text.slice(1)}}`;
}

/** JSON text of a stored value; scalars and lists of scalars without JSON.stringify. */
function valueText(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return stringText(v);
    case 'number':
      return Number.isFinite(v) ? `${v}` : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      if (v === null) return 'null';
      return (Array.isArray(v) && scalarsText(v)) || (JSON.stringify(v) ?? 'null');
  }
}

/** `[a,b]` for a short list of strings, finite numbers, booleans and nulls; '' for anything else. */
function scalarsText(list: unknown[]): string {
  if (list.length > 8) return '';
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    const simple =
      typeof x === 'string' ||
      typeof x === 'boolean' ||
      x === null ||
      (typeof x === 'number' && Number.isFinite(x));
    if (!simple || !(i in list)) return '';
    out += `${i > 0 ? ',' : ''}${valueText(x)}`;
  }
  return `${out}]`;
}

/** A JSON string: quoted as it is when nothing in it needs escaping (JSON.stringify else). */
export function stringText(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return `"${s}"`;
}
