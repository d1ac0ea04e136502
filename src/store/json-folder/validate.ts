import { KitaruStoreError } from '../../errors.js';
import { type CallRecord, type ExecutionRecord, SCHEMA_VERSION } from '../types.js';

const STATUSES = new Set(['queued', 'running', 'completed', 'failed', 'cancelled']);

/** Makes the error for a document that fails a check (`what` says which). */
type Fail = (what: string) => KitaruStoreError;

function fileFailure(file: string): Fail {
  return (what) =>
    new KitaruStoreError(
      `corrupt store file ${file}: ${what}. Move it away (or delete its execution folder) and retry.`,
    );
}

function parse(file: string, text: string): Record<string, unknown> {
  try {
    return JSON.parse(text);
  } catch (cause) {
    const what = text.length === 0 ? 'the file is empty' : 'not valid JSON (truncated or edited?)';
    throw new KitaruStoreError(fileFailure(file)(what).message, { cause });
  }
}

function checkDocument(doc: unknown, fail: Fail): Record<string, unknown> {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw fail('not a JSON object');
  const d = doc as Record<string, unknown>;
  if (typeof d.schemaVersion !== 'number') throw fail('no schemaVersion: not a kitaru document');
  if (d.schemaVersion > SCHEMA_VERSION) {
    throw fail(
      `schemaVersion ${d.schemaVersion} is newer than this kitaru understands (${SCHEMA_VERSION}); upgrade kitaru`,
    );
  }
  return d;
}

/** Checks an execution document (of the execution whose folder is `folderId`). */
export function checkExecution(doc: unknown, folderId: string, fail: Fail): ExecutionRecord {
  const d = checkDocument(doc, fail);
  if (typeof d.id !== 'string') throw fail('missing id');
  if (d.id !== folderId) {
    throw fail(`it is execution ${JSON.stringify(d.id)}, but its folder is ${folderId} (copied or edited?)`);
  }
  if (typeof d.status !== 'string' || !STATUSES.has(d.status))
    throw fail(`unknown status ${JSON.stringify(d.status)}`);
  const flow = d.flow as Record<string, unknown> | undefined;
  if (typeof flow !== 'object' || flow === null || typeof flow.name !== 'string')
    throw fail('missing flow name');
  if (typeof d.createdAt !== 'string') throw fail('missing createdAt');
  return d as unknown as ExecutionRecord;
}

/** Checks a call record. */
export function checkCall(doc: unknown, fail: Fail): CallRecord {
  const d = checkDocument(doc, fail);
  if (typeof d.id !== 'string' || typeof d.name !== 'string') throw fail('missing call id or name');
  if (typeof d.seq !== 'number') throw fail('missing seq');
  if (d.status !== 'completed' && d.status !== 'failed')
    throw fail(`unknown status ${JSON.stringify(d.status)}`);
  if (!Array.isArray(d.attempts)) throw fail('missing attempts');
  return d as unknown as CallRecord;
}

/** Parses and checks `execution.json`; `KitaruStoreError` naming the file otherwise. */
export function parseExecution(file: string, text: string, folderId: string): ExecutionRecord {
  return checkExecution(parse(file, text), folderId, fileFailure(file));
}

/** Parses and checks a call record; `KitaruStoreError` naming the file otherwise. */
export function parseCall(file: string, text: string): CallRecord {
  return checkCall(parse(file, text), fileFailure(file));
}

/**
 * Parses an append-only JSON-lines file. A torn last line (a crash in the middle of an append) is
 * dropped; any other bad line is corruption.
 */
export function parseLines<T>(file: string, text: string): T[] {
  const lines = text.split('\n');
  const out: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch (cause) {
      if (i === lines.length - 1) break;
      throw new KitaruStoreError(fileFailure(file)(`line ${i + 1} is not valid JSON`).message, { cause });
    }
  }
  return out;
}
