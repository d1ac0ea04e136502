import * as v from 'valibot';
import { KitaruStoreError } from '../../errors.js';
import { callSchema, executionSchema } from '../record-schemas.js';
import { type CallRecord, type ExecutionRecord, SCHEMA_VERSION } from '../types.js';

/** A schema of one store document or line. */
type Schema<T> = v.GenericSchema<unknown, T>;

/** At most this many problems are named in one message. */
const MAX_PROBLEMS = 3;

/** Makes the error for a document that fails a check (`what` says which). */
type Fail = (what: string) => KitaruStoreError;

function fileFailure(file: string): Fail {
  return (what) =>
    new KitaruStoreError(
      `corrupt store file ${file}: ${what}. Move it away (or delete its execution folder) and retry.`,
    );
}

function fail(file: string, what: string, cause?: unknown): never {
  throw new KitaruStoreError(fileFailure(file)(what).message, cause === undefined ? undefined : { cause });
}

/** Where an issue is, as a field path (`attempts[0].status`). */
function pathOf(issue: v.BaseIssue<unknown>): string {
  let path = '';
  for (const item of issue.path ?? []) {
    const key = item.key;
    path += typeof key === 'number' ? `[${key}]` : `${path === '' ? '' : '.'}${String(key)}`;
  }
  return path;
}

/** One schema issue in a few words: `missing name`, `seq is "3", expected number`. */
function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = pathOf(issue);
  if (issue.received === 'undefined') return `missing ${path || 'value'}`;
  return `${path || 'the value'} is ${issue.received}, expected ${issue.expected}`;
}

/** Checks `doc` against `schema`: what is wrong with it in a few words, or null if nothing. */
function problems(schema: Schema<unknown>, doc: unknown): string | null {
  const result = v.safeParse(schema, doc);
  if (result.success) return null;
  const issues = result.issues.slice(0, MAX_PROBLEMS).map(describeIssue);
  const more = result.issues.length - MAX_PROBLEMS;
  return `${issues.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    fail(file, text.length === 0 ? 'the file is empty' : 'not valid JSON (truncated or edited?)', cause);
  }
}

/**
 * Checks a parsed document against its schema (and that no newer kitaru wrote it). The object
 * itself is returned (not a copy), so fields this kitaru does not know survive a rewrite.
 */
function checkDocument<T>(doc: unknown, schema: Schema<T>, failWith: Fail): T {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw failWith('not a JSON object');
  const version = (doc as { schemaVersion?: unknown }).schemaVersion;
  if (typeof version !== 'number') throw failWith('no schemaVersion: not a kitaru document');
  if (version > SCHEMA_VERSION) {
    throw failWith(
      `schemaVersion ${version} is newer than this kitaru understands (${SCHEMA_VERSION}); upgrade kitaru`,
    );
  }
  const wrong = problems(schema, doc);
  if (wrong !== null) throw failWith(wrong);
  return doc as T;
}

/** Checks an execution document, which must be that of the execution whose folder is `folderId`. */
export function checkExecution(doc: unknown, folderId: string, failWith: Fail): ExecutionRecord {
  const record = checkDocument(doc, executionSchema, failWith);
  if (record.id !== folderId) {
    throw failWith(
      `it is execution ${JSON.stringify(record.id)}, but its folder is ${folderId} (copied or edited?)`,
    );
  }
  return record;
}

/** Checks a call record against the full schema. */
function checkCall(doc: unknown, failWith: Fail): CallRecord {
  return checkDocument(doc, callSchema, failWith);
}

/**
 * The cheap check of a call record read in bulk (a journal, `calls.jsonl`: thousands at a time on
 * replay, where the full schema would cost as much as the parse): the fields readers rely on.
 */
export function checkCallLight(doc: unknown, failWith: Fail): CallRecord {
  const d = doc as Partial<CallRecord> | null;
  if (typeof d !== 'object' || d === null) throw failWith('not a JSON object');
  if (typeof d.schemaVersion !== 'number' || d.schemaVersion > SCHEMA_VERSION) {
    throw failWith(`schemaVersion ${d.schemaVersion} is not one this kitaru understands (${SCHEMA_VERSION})`);
  }
  if (typeof d.seq !== 'number' || typeof d.id !== 'string' || typeof d.name !== 'string') {
    throw failWith('missing seq, id or name');
  }
  if (typeof d.inputHash !== 'string' || (d.status !== 'completed' && d.status !== 'failed')) {
    throw failWith('missing inputHash or status');
  }
  if (!Array.isArray(d.attempts)) throw failWith('missing attempts');
  return d as CallRecord;
}

/** Parses and checks `execution.json`; `KitaruStoreError` naming the file otherwise. */
export function parseExecution(file: string, text: string, folderId: string): ExecutionRecord {
  return checkExecution(parseJson(file, text), folderId, fileFailure(file));
}

/** Parses and checks a call file; `KitaruStoreError` naming the file otherwise. */
export function parseCall(file: string, text: string): CallRecord {
  return checkCall(parseJson(file, text), fileFailure(file));
}

/**
 * Parses an append-only JSON-lines file and checks each line against `schema`. A torn last line
 * (a crash in the middle of an append) is dropped; any other bad line is corruption.
 */
export function parseLines<T>(file: string, text: string, schema: Schema<T>): T[] {
  const lines = text.split('\n');
  const out: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch (cause) {
      if (i === lines.length - 1) break;
      fail(file, `line ${i + 1} is not valid JSON`, cause);
    }
    const wrong = problems(schema, entry);
    if (wrong !== null) fail(file, `line ${i + 1}: ${wrong}`);
    out.push(entry as T);
  }
  return out;
}
